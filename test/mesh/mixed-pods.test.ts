// A workload whose running pods disagree (a rollout half done, pods started before injection was
// turned on): it is judged by a pod without the sidecar, whatever order the pods are read in, so its
// calls to a STRICT service are reported, the namespace is not called ready for STRICT, and a
// finding names the pods on each side.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { computePosture } from '../../src/digest/posture.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { livePod } from '../../src/snapshot/live/read-cluster.js';
import { app, matrixOf, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-30T00:00:00Z');

/** A running pod of ReplicaSet `<app>-<hash>` (so of Deployment `app`), with or without the sidecar. */
function pod(name: string, replicaSet: string, sidecar: boolean, ns = 'legacy'): string {
  const app = replicaSet.slice(0, replicaSet.lastIndexOf('-'));
  const hash = replicaSet.slice(app.length + 1);
  return `---
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${app}, pod-template-hash: "${hash}" }
  ownerReferences: [{ apiVersion: apps/v1, kind: ReplicaSet, name: ${replicaSet}, uid: u-${hash} }]
spec:
  containers: [{ name: app, ports: [{ containerPort: 8080 }] }${sidecar ? ', { name: istio-proxy }' : ''}]
status: { phase: Running }
`;
}

const server = `${namespace('payments')}${app('payments', 'payments')}${peerAuthentication('payments', 'default', 'STRICT')}`;
const restarted = pod('cron-5c6b4-aaaaa', 'cron-5c6b4', true);
const old = pod('cron-7d9f8-zzzzz', 'cron-7d9f8', false);

function check(pods: string) {
  const snapshot = snapshotOf(`${namespace('legacy')}${pods}${server}`);
  const diagnosis = diagnose(snapshot, { now: NOW });
  return { snapshot, diagnosis, posture: computePosture(diagnosis.mesh, diagnosis.findings, NOW, 'legacy') };
}

describe('a workload whose pods disagree about the sidecar', () => {
  it('is judged by a pod without it, in either order, and the finding names both sides', () => {
    const first = check(restarted + old);
    const second = check(old + restarted);
    const cron = first.snapshot.workloads.find((w) => w.meta.name === 'cron');
    expect(cron).toMatchObject({
      kind: 'Deployment',
      proxy: 'none',
      podNames: ['cron-5c6b4-aaaaa', 'cron-7d9f8-zzzzz'],
      mixedPods: { withSidecar: ['cron-5c6b4-aaaaa'], without: ['cron-7d9f8-zzzzz'] },
    });
    expect(cron?.proxyReason).toMatch(
      /^1 of 2 running pods have no istio-proxy container \(cron-7d9f8-zzzzz\) and 1 have one/,
    );
    const said = (d: typeof first) => d.diagnosis.findings.map((f) => `${f.code}: ${f.message}`);
    expect(said(second)).toEqual(said(first));

    const mixed = first.diagnosis.findings.find(
      (f) => f.code === 'sidecar-missing' && f.message.startsWith('1 of 2 running pods of legacy/cron'),
    );
    expect(mixed?.why.join(' ')).toContain('Pods with a sidecar: cron-5c6b4-aaaaa.');
    // Its calls from the pod without a sidecar are plaintext: the STRICT server resets them. The
    // restart, which fixes both, is offered once: with the failing calls (its namespace is labelled
    // already, so labelling it is no fix).
    const strict = first.diagnosis.findings.find((f) => f.code === 'strict-plaintext-clients');
    expect(strict?.message).toContain('legacy/cron');
    expect(strict?.remediations.map((p) => p.id)).toContain('restart:Deployment/legacy/cron');
    expect(strict?.remediations.some((p) => p.id.startsWith('label-injection'))).toBe(false);
    expect(mixed?.remediations).toEqual([]);
    // Not ready for STRICT while that pod runs.
    expect(first.posture.namespaces[0]).toMatchObject({ stage: 'add-sidecars', withoutProxy: ['cron'] });
  });

  it('as a server under STRICT, its pods with the sidecar still reset plaintext: the pair fails on them', () => {
    const api = (pods: string) =>
      `${namespace('payments')}${peerAuthentication('payments', 'default', 'STRICT')}${pods}---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: payments }
spec: { selector: { app: api }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
${namespace('legacy', 'none')}${app('legacy', 'batch')}`;
    const pair = (yaml: string) => matrixOf(yaml).get('legacy/batch -> payments/api:80');
    const injected =
      pod('api-5c6b4-a', 'api-5c6b4', true, 'payments') + pod('api-5c6b4-b', 'api-5c6b4', true, 'payments');
    expect(pair(api(injected))).toBe('fail(strict-plaintext-clients)');
    const mixed = injected + pod('api-7d9f8-z', 'api-7d9f8', false, 'payments');
    expect(pair(api(mixed))).toBe('fail(strict-plaintext-clients)');
    const strict = diagnose(snapshotOf(api(mixed)), { now: NOW }).findings.find(
      (f) => f.code === 'strict-plaintext-clients',
    );
    expect(strict?.message).toContain('payments/api:80');
    expect(strict?.why.join(' ')).toContain('payments/api port 8080 is STRICT');
    // Sidecar clients reach both kinds of pod: auto mTLS picks per endpoint.
    const sidecarClient = `${api(mixed)}${namespace('shop')}${app('shop', 'web')}`;
    expect(matrixOf(sidecarClient).get('shop/web -> payments/api:80')).toBe('ok');
    // Unless the template labels its pods tlsMode disabled: the injected ones keep it, so clients send
    // them plaintext, which their STRICT sidecars reset, mixed or not.
    const disabled = (yaml: string) =>
      yaml.replaceAll('labels: { app: api,', 'labels: { security.istio.io/tlsMode: disabled, app: api,');
    const labelled = `${api(disabled(mixed))}${namespace('shop')}${app('shop', 'web')}`;
    expect(matrixOf(labelled).get('shop/web -> payments/api:80')).toBe('fail(tlsmode-label-mismatch)');
  });

  it('a Deployment and a CronJob of the same name are two workloads, not one mixed one', () => {
    const job = `---
apiVersion: v1
kind: Pod
metadata:
  name: cron-29000000-xyz
  namespace: legacy
  labels: { app: report, batch.kubernetes.io/cronjob-name: cron, sidecar.istio.io/inject: "false" }
  ownerReferences: [{ apiVersion: batch/v1, kind: Job, name: cron-29000000, uid: j }]
spec: { containers: [{ name: report }] }
status: { phase: Running }
`;
    const { snapshot, diagnosis } = check(restarted + job);
    expect(
      snapshot.workloads
        .filter((w) => w.meta.name === 'cron')
        .map((w) => `${w.kind} ${w.proxy}`)
        .sort(),
    ).toEqual(['CronJob none', 'Deployment sidecar']);
    expect(snapshot.workloads.some((w) => w.mixedPods)).toBe(false);
    expect(diagnosis.findings.some((f) => f.message.includes('running pods of'))).toBe(false);
    // Each has its own row in the matrix, named with its kind: their pairs never merge.
    const rows = matrixOf(`${namespace('legacy')}${restarted}${job}${server}`);
    expect(rows.get('legacy/cron (Deployment) -> payments/payments:80')).toBe('ok');
    expect(rows.get('legacy/cron (CronJob) -> payments/payments:80')).toBe('fail(strict-plaintext-clients)');
    expect(rows.has('legacy/cron -> payments/payments:80')).toBe(false);
  });

  it('pods that agree are one workload as before: no mixed finding', () => {
    const { snapshot, diagnosis } = check(restarted + pod('cron-5c6b4-bbbbb', 'cron-5c6b4', true));
    const cron = snapshot.workloads.find((w) => w.meta.name === 'cron');
    expect(cron).toMatchObject({ proxy: 'sidecar', podNames: ['cron-5c6b4-aaaaa', 'cron-5c6b4-bbbbb'] });
    expect(cron?.mixedPods).toBeUndefined();
    expect(diagnosis.findings.filter((f) => f.code === 'sidecar-missing')).toEqual([]);
  });
});

describe('pods that have finished (a dump of `kubectl get pods -A -o yaml`)', () => {
  const finished = (yaml: string, phase: string) => yaml.replace('phase: Running', `phase: ${phase}`);

  it('a completed or failed pod without the sidecar does not make its workload mixed or sidecar-less', () => {
    for (const phase of ['Succeeded', 'Failed']) {
      const { snapshot, diagnosis } = check(restarted + finished(old, phase));
      const cron = snapshot.workloads.find((w) => w.meta.name === 'cron');
      expect(cron).toMatchObject({ proxy: 'sidecar', podNames: ['cron-5c6b4-aaaaa'] });
      expect(cron?.mixedPods).toBeUndefined();
      expect(diagnosis.findings.filter((f) => f.code === 'sidecar-missing')).toEqual([]);
      expect(diagnosis.findings.some((f) => f.code === 'strict-plaintext-clients')).toBe(false);
    }
  });

  it('a workload with only finished pods is not a client at all; a pending pod still counts', () => {
    const { snapshot } = check(finished(old, 'Succeeded'));
    expect(snapshot.workloads.some((w) => w.meta.name === 'cron')).toBe(false);
    const pending = check(finished(old, 'Pending')).snapshot.workloads.find((w) => w.meta.name === 'cron');
    expect(pending).toMatchObject({ proxy: 'none', podNames: ['cron-7d9f8-zzzzz'] });
  });
});

describe('what a dump of `kubectl get all -A -o yaml` holds besides the running pods', () => {
  const replicaSet = (name: string, replicas: number, inject: boolean) => `---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
  namespace: legacy
  ownerReferences: [{ apiVersion: apps/v1, kind: Deployment, name: cron, uid: d, controller: true }]
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: cron } }
  template:
    metadata: { labels: { app: cron${inject ? '' : ', sidecar.istio.io/inject: "false"'} } }
    spec: { containers: [{ name: app }] }
`;
  const deployment = `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: cron, namespace: legacy }
spec:
  selector: { matchLabels: { app: cron } }
  template:
    metadata: { labels: { app: cron } }
    spec: { containers: [{ name: app }] }
`;
  const job = (name: string, extra: string) => `---
apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  namespace: legacy
${extra}
spec:
  template:
    metadata: { labels: { app: ${name}, sidecar.istio.io/inject: "false" } }
    spec: { containers: [{ name: job }], restartPolicy: Never }
`;

  it("a Deployment's ReplicaSets, the old one scaled to 0 from before injection, are not workloads of their own", () => {
    const { snapshot, diagnosis } = check(
      `${deployment}${replicaSet('cron-5c6b4', 1, true)}${replicaSet('cron-7d9f8', 0, false)}${restarted}`,
    );
    const legacy = snapshot.workloads.filter((w) => w.meta.namespace === 'legacy');
    expect(legacy.map((w) => `${w.kind} ${w.meta.name} ${w.proxy}`)).toEqual(['Deployment cron sidecar']);
    expect(diagnosis.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual([]);
  });

  it('a finished Job and a CronJob’s Job are no clients; a Job still running is', () => {
    const complete = job(
      'migrate',
      'status: { conditions: [{ type: Complete, status: "True" }], succeeded: 1 }',
    );
    const failed = job('seed', 'status: { conditions: [{ type: Failed, status: "True" }] }');
    const ofCronJob = job(
      'report-29000000',
      '  ownerReferences: [{ apiVersion: batch/v1, kind: CronJob, name: report, uid: c, controller: true }]',
    );
    const running = job('backfill', 'status: { active: 1 }');
    const { snapshot } = check(complete + failed + ofCronJob + running);
    const legacy = snapshot.workloads.filter((w) => w.meta.namespace === 'legacy');
    expect(legacy.map((w) => `${w.kind} ${w.meta.name}`)).toEqual(['Job backfill']);
  });

  it('a terminating pod without the sidecar beside its replacement with one: the replacement stands for the workload', () => {
    const terminating = old.replace(
      '  ownerReferences:',
      '  deletionTimestamp: "2026-11-30T00:00:00Z"\n  ownerReferences:',
    );
    for (const pods of [restarted + terminating, terminating + restarted]) {
      const { snapshot, diagnosis } = check(pods);
      const cron = snapshot.workloads.find((w) => w.meta.name === 'cron');
      expect(cron).toMatchObject({ proxy: 'sidecar', podNames: ['cron-5c6b4-aaaaa'] });
      expect(cron?.mixedPods).toBeUndefined();
      expect(diagnosis.findings.some((f) => f.code === 'strict-plaintext-clients')).toBe(false);
    }
    // All its pods terminating: they still run until they are gone, and still call as they are.
    const alone = check(terminating).snapshot.workloads.find((w) => w.meta.name === 'cron');
    expect(alone).toMatchObject({ proxy: 'none', podNames: ['cron-7d9f8-zzzzz'] });
    // A live read keeps the deletion mark it decides on.
    const raw = livePod(parse(terminating.replace('---\n', '')));
    expect((raw?.object.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp).toBe(
      '2026-11-30T00:00:00Z',
    );
  });
});

it('a Pod without metadata is a clear error, not a crash', () => {
  expect(() => snapshotOf('apiVersion: v1\nkind: Pod\nspec: { containers: [{ name: a }] }\n')).toThrow(
    /Pod \(unnamed\): metadata\.name/,
  );
  expect(() => snapshotOf('apiVersion: v1\nkind: Pod\nmetadata: null\nspec: { containers: [] }\n')).toThrow(
    /Pod \(unnamed\): metadata\.name/,
  );
});
