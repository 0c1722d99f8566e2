// Text from outside the bot inside an inline code span (a field manager anyone who can edit a policy
// chooses, an alert's quoted line): a backtick in it must not end the span and let the rest render
// as the bot's own bold "approved" words.
import { afterEach, expect, it } from 'vitest';
import { inlineCode } from '../../src/render/blocks.js';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { postAlert } from '../helpers/post-alert.js';
import { until } from '../helpers/until.js';

let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const FORGED = 'x` *:white_check_mark: Approved change CHG-1234 by the security team.* `y';

it('inlineCode keeps one span whatever the text holds', () => {
  const code = inlineCode(FORGED);
  expect(code.startsWith('`') && code.endsWith('`')).toBe(true);
  expect(code.slice(1, -1)).not.toContain('`');
  expect(inlineCode('<!channel> & co')).toBe('`&lt;!channel&gt; &amp; co`');
});

it("a change alert names a forged field manager inside one code span, never as the bot's words", async () => {
  const kube = paymentsCluster();
  kube.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  harness = await watchAlerts(kube);
  kube.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
    o.metadata.managedFields = [{ manager: FORGED, operation: 'Update', time: '2026-11-30T03:00:00Z' }];
  });
  await until(() => (harness as AlertHarness).seen.length > 0, 'no alert', 10_000);
  const { posted } = await postAlert(harness.seen[0] as NonNullable<AlertHarness['seen'][number]>);
  const texts = (posted[0]?.blocks ?? [])
    .map((b) => b.text?.text ?? '')
    .filter((t) => t.includes('CHG-1234'));
  expect(texts.length).toBeGreaterThan(0);
  for (const text of texts) {
    // Every backtick in the line pairs up, and the forged words sit between a pair.
    const line = text.split('\n').find((l) => l.includes('CHG-1234')) as string;
    const before = line.slice(0, line.indexOf('CHG-1234'));
    expect((before.match(/`/g) ?? []).length % 2).toBe(1);
    expect((line.match(/`/g) ?? []).length % 2).toBe(0);
  }
}, 30_000);
