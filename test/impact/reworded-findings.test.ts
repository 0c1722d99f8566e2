// A finding that stays open but reads differently after a change (more clients fail the same STRICT
// service) is neither "resolved" nor "opened": it is reworded. Before, a pull request that added a
// plaintext caller listed the very finding it worsened as resolved.
import { expect, it } from 'vitest';
import type { Finding } from '../../src/analyzers/finding.js';
import { diffFindings, impact } from '../../src/engine/impact.js';
import { renderImpactMarkdown } from '../../src/render/diff-markdown.js';
import { renderImpactText } from '../../src/render/diff-text.js';
import { app, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const base =
  namespace('catalog') +
  namespace('legacy', 'none') +
  namespace('shop') +
  app('catalog', 'catalog') +
  app('legacy', 'cron') +
  app('shop', 'web') +
  peerAuthentication('catalog', 'default', 'STRICT');

it('one more plaintext caller of a STRICT service: the finding is reworded, not resolved and opened', () => {
  // The pull request turns injection off in shop: web joins cron among the plaintext callers.
  const after = base.replace(/name: shop\n {2}labels:\n {4}istio-injection: enabled/, 'name: shop');
  expect(after).not.toBe(base);
  const result = impact(snapshotOf(base), snapshotOf(after));
  expect(result.counts.broken).toBeGreaterThan(0);
  const codes = (list: readonly Finding[]) => list.map((f) => f.code);
  expect(codes(result.findings.resolved)).not.toContain('strict-plaintext-clients');
  expect(codes(result.findings.opened)).not.toContain('strict-plaintext-clients');
  const reworded = result.findings.reworded.find((r) => r.after.code === 'strict-plaintext-clients');
  expect(reworded?.before.message).not.toBe(reworded?.after.message);
  expect(reworded?.after.message).toContain('shop/web');
  expect(renderImpactText(result, { color: false })).toMatch(
    /Findings still open, now reading \(\d+\)\n {2}~ error strict-plaintext-clients: /,
  );
  expect(renderImpactMarkdown(result)).not.toContain('resolved ~~strict-plaintext-clients~~');
});

it('pairs by count: two findings on one subject, one of them gone, is one resolved and one kept', () => {
  const finding = (message: string, severity = 'error') =>
    ({
      code: 'c',
      severity,
      message,
      resource: { kind: 'Service', namespace: 'n', name: 's' },
    }) as unknown as Finding;
  const a = finding('port 80 refuses plaintext');
  const b = finding('port 81 refuses plaintext');
  expect(diffFindings([a, b], [a])).toEqual({ opened: [], resolved: [b], reworded: [] });
  // A severity that rises is a new problem, not a rewording.
  const worse = finding('port 80 refuses plaintext', 'warning');
  expect(diffFindings([worse], [a])).toEqual({ opened: [a], resolved: [worse], reworded: [] });
});
