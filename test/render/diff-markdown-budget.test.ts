// `diff -o markdown` is posted as a pull-request comment, which GitHub refuses past 65,536 characters:
// a mesh-wide change on a large mesh must still give a comment, with what is left out counted.
import { expect, it } from 'vitest';
import type { Finding } from '../../src/analyzers/finding.js';
import type { ImpactResult } from '../../src/engine/impact.js';
import { MARKDOWN_BUDGET, renderImpactMarkdown } from '../../src/render/diff-markdown.js';

function result(opened: number, messageLength: number, changed: number): ImpactResult {
  const finding = (i: number) =>
    ({
      code: 'strict-plaintext-clients',
      severity: 'error',
      message: `team-${i}/svc:80 refuses plaintext ${'x'.repeat(messageLength)}`,
      resource: { kind: 'Service', namespace: `team-${i}`, name: 'svc' },
    }) as unknown as Finding;
  return {
    broken: [],
    repaired: [],
    newFailing: [],
    counts: { broken: 0, repaired: 0, newFailing: 0 },
    findings: { opened: Array.from({ length: opened }, (_, i) => finding(i)), resolved: [], reworded: [] },
    changed: Array.from({ length: changed }, (_, i) => ({
      change: 'modified',
      kind: 'PeerAuthentication',
      namespace: `team-${i}`,
      name: 'default',
      location: { file: `deploy/mesh/team-${i}.yaml`, line: 1 },
    })),
    pairsCompared: 0,
    before: { gaps: [] },
    after: { gaps: [] },
  } as unknown as ImpactResult;
}

it('400 opened findings and 400 changed objects: 50 of each listed, the rest counted, under the budget', () => {
  const text = renderImpactMarkdown(result(400, 120, 400));
  expect(text.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
  expect(text.match(/^- opened /gm)).toHaveLength(50);
  expect(text).toContain('- … and 350 more (`-o json` lists them all)');
  expect(text.match(/^- modified /gm)).toHaveLength(50);
  expect(text).toContain('</details>');
});

it('findings with very long messages: cut at a line under the budget, said so, the details block closed', () => {
  const text = renderImpactMarkdown(result(50, 3_000, 5));
  expect(text.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
  expect(text).toContain('report cut at 60,000 characters');
  expect(text.endsWith('_\n')).toBe(true);
  expect(text.split('<details>').length).toBe(text.split('</details>').length);
});
