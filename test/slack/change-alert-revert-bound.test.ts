// A change alert's Revert of a modified object is bound to the version the alert saw: after a later
// edit, its button is refused instead of overwriting that edit with the old values, and the printed
// `kubectl patch` carries the version as a precondition the API server checks.
import { afterEach, expect, it } from 'vitest';
import { previewPlan, RemediationError } from '../../src/remediation/apply.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { postAlert } from '../helpers/post-alert.js';
import { until } from '../helpers/until.js';

let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const setMode = (kube: ReturnType<typeof paymentsCluster>, spec: object) =>
  kube.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = spec;
  });

it('the Revert of a PERMISSIVE → STRICT change is refused once the policy was edited again', async () => {
  const kube = paymentsCluster();
  setMode(kube, { mtls: { mode: 'PERMISSIVE' } });
  harness = await watchAlerts(kube);
  setMode(kube, { mtls: { mode: 'STRICT' } });
  await until(() => (harness as AlertHarness).seen.length > 0, 'no alert', 10_000);
  const alert = harness.seen[0] as NonNullable<AlertHarness['seen'][number]>;
  const alertVersion = alert.changes[0]?.resourceVersion as string;

  const { posted, plans } = await postAlert(alert);
  const id = /"value":"(revert:[^"]+)"/.exec(JSON.stringify(posted[0]?.blocks))?.[1] as string;
  const plan = plans.get(id) as RemediationPlan;
  expect(plan).toMatchObject({ action: 'merge-patch', expectVersion: alertVersion });
  expect(plan.kubectl).toContain(`"metadata":{"resourceVersion":"${alertVersion}"}`);

  const objects = createKubeApi({ kubeConfig: harness.config }).objects;
  // Untouched since the alert: the Revert previews the old mode back.
  expect((await previewPlan(objects, plan)).diff).toContain('+    mode: PERMISSIVE');

  // Someone edits the policy deliberately after the alert: the old button must not undo that edit.
  setMode(kube, { mtls: { mode: 'DISABLE' }, portLevelMtls: { '8080': { mode: 'STRICT' } } });
  const later = kube.find('PeerAuthentication', 'payments', 'default')?.metadata.resourceVersion;
  const refused = await previewPlan(objects, plan).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(RemediationError);
  expect(String((refused as Error).message)).toContain(
    `changed after the change this plan undoes (resourceVersion ${alertVersion} → ${later})`,
  );
  expect(kube.writes.filter((w) => !w.dryRun)).toEqual([]);
}, 30_000);
