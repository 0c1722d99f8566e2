import { describe, expect, it } from 'vitest';
import { answer } from '../../src/slack/answer.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import type { CertificateSource } from '../../src/snapshot/types.js';
import { namespace, snapshotOf } from '../helpers/mesh.js';

/** Namespace shop with `pods` proxies that hold no certificate: a finding (and a button) each. */
function certsOfShop(pods: number) {
  const base = snapshotOf(namespace('shop'));
  const certificates = Array.from(
    { length: pods },
    (_, i): CertificateSource => ({
      role: 'workload-chain',
      owner: { kind: 'Pod', namespace: 'shop', name: `web-${i}` },
      key: 'default',
      pem: '',
      identity: { namespace: 'shop', serviceAccount: 'default' },
    }),
  );
  const snapshot = { ...base, certificates };
  return answer(
    { kind: 'certs', namespace: 'shop' },
    {
      plans: new PlanCache(),
      load: async () => ({ snapshot, readMs: 1, source: { kind: 'manifests', objects: 1 } }),
    },
  );
}

describe('/mtls certs', () => {
  it('lists the certificates first and continues a long answer in the thread within Slack limits', async () => {
    const result = await certsOfShop(80);
    const messages = [result.message.blocks, ...result.message.thread.map((t) => t.blocks)];
    expect(messages.length).toBeGreaterThan(1);
    for (const blocks of messages) expect(JSON.stringify(blocks).length).toBeLessThan(13_000);
    // Header, counts, then the list.
    expect(JSON.stringify(result.message.blocks[2])).toContain('`shop/web-0` default: no certificate');
    expect(JSON.stringify(result.message.blocks.at(-1))).toContain('Continued in the thread');
    const shown = messages.flat().filter((b) => JSON.stringify(b).includes('*certificate-missing*'));
    expect(shown).toHaveLength(80);
  });
});
