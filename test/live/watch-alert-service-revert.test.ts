// A change alert's Revert must undo what the alert shows. A Service's exportTo is an annotation, so its
// Revert patches the annotation back (it patched only the unchanged spec, a no-op audited as applied).
// The remediate role may not write Services: no button (it would fail at its dry run with a 403), the
// kubectl command instead.
import { afterEach, expect, it } from 'vitest';
import type { BreakingChange } from '../../src/snapshot/live/watch-alerts.js';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { postAlert } from '../helpers/post-alert.js';
import { until } from '../helpers/until.js';

let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const EXPORT_TO = 'networking.istio.io/exportTo';

it('hiding a Service with exportTo: the revert, by hand, removes the annotation and leaves the spec alone', async () => {
  const fake = paymentsCluster();
  fake.add(
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'web', labels: { 'istio-injection': 'enabled' } },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-0',
        namespace: 'web',
        labels: { app: 'web', 'security.istio.io/tlsMode': 'istio' },
      },
      spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
      status: { phase: 'Running' },
    },
  );
  harness = await watchAlerts(fake);
  fake.update('Service', 'payments', 'payments', (o) => {
    o.metadata.annotations = { [EXPORT_TO]: '.' };
  });
  await until(() => (harness as AlertHarness).seen.length > 0, 'no alert', 10_000);
  const change = (harness.seen[0] as BreakingChange).changes.find((c) => c.kind === 'Service');
  expect(change?.diff).toContain(`exportTo: .`);
  expect(change?.revert).toEqual({
    apiVersion: 'v1',
    action: 'merge-patch',
    body: { metadata: { annotations: { [EXPORT_TO]: null } } },
    byHand: true,
  });
  const { posted, plans } = await postAlert(harness.seen[0] as BreakingChange);
  const blocks = posted[0]?.blocks ?? [];
  expect(blocks.filter((b) => b.type === 'actions')).toEqual([]);
  const text = blocks.map((b) => b.text?.text ?? '').join('\n');
  expect(text).toContain('*Undo by hand*');
  expect(text).toContain("kubectl patch service payments -n payments --type merge -p '");
  expect(plans.get(`revert:Service/payments/payments:modified@${change?.resourceVersion}`)).toBeUndefined();
}, 30_000);
