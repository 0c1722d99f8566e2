// ChangeAlerts on a live model of a loopback API, started and synced, recording every alert, every
// evaluated burst and every repair: what the change-alert tests drive with edits to the fake API.
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterModel, type ModelOptions } from '../../src/snapshot/live/model.js';
import {
  type AlertsHeld,
  type BreakingChange,
  ChangeAlerts,
  type Repair,
} from '../../src/snapshot/live/watch-alerts.js';
import { StreamWatch } from '../../src/snapshot/live/watch-stream.js';
import type { FakeKubeApi } from './fake-kube-api.js';

export interface AlertHarness {
  /** The loopback API's kubeconfig, for a client of its own (applying what an alert offers). */
  readonly config: KubeConfig;
  readonly model: ClusterModel;
  readonly seen: BreakingChange[];
  /** One entry per compared burst: its alert, or undefined when it broke nothing. */
  readonly evaluated: (BreakingChange | undefined)[];
  readonly repairs: Repair[];
  /** Every pause (a burst held for a watch that is down) and resume of the alerts. */
  readonly held: AlertsHeld[];
  stop(): Promise<void>;
}

/**
 * Serves `fake`, models it and watches for breaking changes (200 ms debounce) once its watches are open
 * (every kind's, 13, unless some are refused). A burst held 300 ms is said as a pause.
 */
export async function watchAlerts(
  fake: FakeKubeApi,
  openWatches = 13,
  modelOptions: ModelOptions = {},
): Promise<AlertHarness> {
  const config = fake.kubeConfig(await fake.start());
  const model = new ClusterModel(
    createKubeApi({ kubeConfig: config }),
    new StreamWatch(config),
    modelOptions,
  );
  const seen: BreakingChange[] = [];
  const evaluated: (BreakingChange | undefined)[] = [];
  const repairs: Repair[] = [];
  const held: AlertsHeld[] = [];
  const alerts = new ChangeAlerts(model, {
    debounceMs: 200,
    onAlert: (a) => seen.push(a),
    onEvaluated: (a) => evaluated.push(a),
    onRepaired: (r) => repairs.push(r),
    onHeld: (h) => held.push(h),
    pauseNoticeMs: 300,
  });
  model.start();
  await alerts.start(10_000);
  while (fake.openWatches() < openWatches) await new Promise((r) => setTimeout(r, 20));
  return {
    config,
    model,
    seen,
    evaluated,
    repairs,
    held,
    stop: async () => {
      alerts.stop();
      model.stop();
      await fake.stop();
    },
  };
}
