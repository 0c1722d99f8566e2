// The bot's live model on the 2x synthetic mesh, served by the loopback API (every Deployment as one
// running Pod, since a cluster is read by its pods): requests per answer after warm-up (must be 0),
// the heap the model keeps (stores + built snapshot), the first sync, the rebuild after one change,
// and what a structured clone of the snapshot would cost (why the model answers in its own thread).
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Watch } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { computePosture } from '../src/digest/posture.js';
import { diagnose } from '../src/engine/diagnose.js';
import { answer } from '../src/slack/answer.js';
import { PlanCache } from '../src/slack/plan-cache.js';
import { createKubeApi } from '../src/snapshot/live/kube-api.js';
import { ClusterModel } from '../src/snapshot/live/model.js';
import { type BreakingChange, ChangeAlerts } from '../src/snapshot/live/watch-alerts.js';
import type { LoadedSource } from '../src/snapshot/source.js';
import { FakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { BASE_SCALE, generateMesh, scaled } from './generate-mesh.js';

export interface WatchModelReport {
  readonly objects: number;
  readonly workloads: number;
  readonly requestsPerAnswer: number;
  readonly answers: number;
  readonly modelHeapMiB: number;
  readonly syncMs: number;
  readonly rebuildMs: number;
  readonly answerMs: number;
  readonly cloneMs: number;
  /** From a breaking change at the API to the alert, beyond the debounce; and the pairs it broke. */
  readonly alertMs: number;
  readonly alertBroken: number;
}

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: unknown;
};

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The 2x mesh as a cluster holds it: a running pod per Deployment, with the sidecar the injector adds. */
export function clusterObjects(): Obj[] {
  const objects = [...generateMesh(scaled(BASE_SCALE, 2)).values()].flatMap((text) =>
    parseAllDocuments(text).map(
      (doc) => doc.toJS() as Obj & { metadata: { labels?: Record<string, string> } },
    ),
  );
  const injected = new Set(
    objects
      .filter((o) => o.kind === 'Namespace' && o.metadata.labels?.['istio-injection'] === 'enabled')
      .map((o) => o.metadata.name),
  );
  return objects.map((o) => {
    if (o.kind !== 'Deployment') return o;
    const template = (o.spec as { template: { metadata: object; spec: { containers: object[] } } }).template;
    const sidecar = injected.has(o.metadata.namespace ?? '') ? [{ name: 'istio-proxy' }] : [];
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...template.metadata, name: `${o.metadata.name}-0`, namespace: o.metadata.namespace },
      spec: { ...template.spec, containers: [...template.spec.containers, ...sidecar] },
      status: { phase: 'Running' },
    } as Obj;
  });
}

export async function measureWatchModel(): Promise<WatchModelReport> {
  const objects = clusterObjects();
  const fake = new FakeKubeApi().add(...objects);
  const server = await fake.start();
  const config = fake.kubeConfig(server);
  const api = createKubeApi({ kubeConfig: config });
  const before = heapAfterGc();
  const started = performance.now();
  const model = new ClusterModel(api, new Watch(config));
  try {
    model.start();
    if (!(await model.whenSynced(120_000))) throw new Error('the model did not sync');
    const workloads = model.snapshot().workloads.length;
    const syncMs = performance.now() - started;
    while (fake.openWatches() < 11) await new Promise((r) => setTimeout(r, 20));
    const modelHeapMiB = (heapAfterGc() - before) / 2 ** 20;

    // Warm: a check, a matrix and a digest posture, as the answering thread makes them.
    const load = async (): Promise<LoadedSource> => ({
      snapshot: model.snapshot(),
      readMs: 0,
      source: { kind: 'cluster', server, requests: 0 },
    });
    const requestsBefore = fake.requests.length;
    const answerStarted = performance.now();
    await answer({ kind: 'check', namespace: 'team-3' }, { load, plans: new PlanCache() });
    const answerMs = performance.now() - answerStarted;
    await answer({ kind: 'matrix', namespace: 'team-3' }, { load, plans: new PlanCache() });
    const diagnosis = diagnose(model.snapshot());
    computePosture(diagnosis.mesh, diagnosis.findings, new Date());
    const requestsPerAnswer = (fake.requests.length - requestsBefore) / 3;

    // One change: the next snapshot is rebuilt from the stores.
    const changed = fake.update('PeerAuthentication', 'team-3', 'default', (o) => {
      o.spec = { mtls: { mode: 'STRICT' } };
    });
    const written = [
      {
        kind: 'PeerAuthentication',
        namespace: 'team-3',
        name: 'default',
        resourceVersion: String(changed.metadata.resourceVersion),
      },
    ];
    await model.seen(written, 10_000);
    const rebuildStarted = performance.now();
    const snapshot = model.snapshot();
    const rebuildMs = performance.now() - rebuildStarted;
    const cloneStarted = performance.now();
    structuredClone(snapshot);
    const cloneMs = performance.now() - cloneStarted;

    // A breaking change (a namespace with plaintext callers switched to STRICT) to its alert.
    let alerted: ((alert: BreakingChange) => void) | undefined;
    const alerts = new ChangeAlerts(model, {
      debounceMs: 0,
      onAlert: (alert) => alerted?.(alert),
      onEvaluated: (alert) => {
        if (!alert) throw new Error('the breaking change of the benchmark broke nothing');
      },
      onError: (error) => {
        throw error;
      },
    });
    await alerts.start();
    const alertStarted = performance.now();
    const alert = await new Promise<BreakingChange>((resolve) => {
      alerted = resolve;
      fake.update('PeerAuthentication', 'team-4', 'default', (o) => {
        o.spec = { mtls: { mode: 'STRICT' } };
      });
    });
    const alertMs = performance.now() - alertStarted;
    alerts.stop();
    return {
      objects: objects.length,
      workloads,
      requestsPerAnswer,
      answers: 3,
      modelHeapMiB,
      syncMs,
      rebuildMs,
      answerMs,
      cloneMs,
      alertMs,
      alertBroken: alert.broken,
    };
  } finally {
    model.stop();
    await fake.stop();
  }
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/** The benchmark report's line (i). */
export function watchModelLine(w: WatchModelReport): string {
  return `- (i) \`serve\`'s live model of the 2x mesh (${w.objects} objects, ${w.workloads} workloads, from a loopback API): **${w.requestsPerAnswer} Kubernetes requests per answer** after warm-up (check, matrix, digest posture; target 0); model heap **${w.modelHeapMiB.toFixed(0)} MiB** (stores + snapshot); first sync ${fmt(w.syncMs)}; snapshot rebuilt after a change ${fmt(w.rebuildMs)}; a check from it ${fmt(w.answerMs)}; a structured clone of the snapshot would add ${fmt(w.cloneMs)} per answer (so the model answers in its own thread); a breaking change (${w.alertBroken} pairs) to its alert **${fmt(w.alertMs)}** plus the debounce (5 s by default; target ≤ 30 s)`;
}

if (process.argv[1]?.endsWith('watch-model.ts')) console.log(watchModelLine(await measureWatchModel()));
