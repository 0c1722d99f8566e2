// Whatever the impact says goes into the what-if answer escaped and within a section's 3,000
// characters: the impact here is made up, with names longer than a section and a reason with markup.
import { describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../src/render/blocks.js';
import { answer } from '../../src/slack/answer.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { namespace, snapshotOf } from '../helpers/mesh.js';

vi.mock('../../src/engine/impact.js', () => {
  const pair = (i: number) => ({
    from: `front/${'web'.repeat(400)}-${i}`,
    to: `shop/api-${i}:80`,
    reason: '<!channel>',
    symptom: 'connection reset',
    client: { proxy: 'sidecar' },
  });
  const pairs = [0, 1, 2, 3].map(pair);
  return {
    impact: () => ({
      broken: pairs,
      repaired: pairs,
      newFailing: [],
      findings: { opened: [], resolved: [], reworded: [] },
      counts: { broken: pairs.length, repaired: pairs.length, newFailing: 0 },
    }),
  };
});

describe('/mtls whatif', () => {
  it('fits every section and escapes the reason a call would break', async () => {
    const snapshot = snapshotOf(namespace('shop'));
    const result = await answer(
      { kind: 'whatif', namespace: 'shop', change: { namespace: 'shop', mode: 'STRICT' } },
      {
        plans: new PlanCache(),
        load: async () => ({ snapshot, readMs: 1, source: { kind: 'manifests', objects: 1 } }),
      },
    );
    const texts = result.message.blocks.map((b) => (b as { text?: { text: string } }).text?.text ?? '');
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(texts[0]).toMatch(/_… \d+ more characters not shown_$/);
    expect(texts[1]).toContain('(&lt;!channel&gt;)');
    expect(JSON.stringify(result.message.blocks)).not.toContain('<!channel>');
  });
});
