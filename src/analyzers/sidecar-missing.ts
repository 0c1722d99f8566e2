// Workloads without a proxy where the policy expects mTLS: STRICT is not enforced on them (only a proxy
// enforces it), pods started before their namespace was labelled need a restart (migration step 2),
// and a workload whose running pods disagree (some with the sidecar, some without) fails or works
// depending on the pod.

import { injectableNamespace, restartWorkload } from '../remediation/plans.js';
import { cannotBeInjected } from '../snapshot/proxy-status.js';
import type { Workload } from '../snapshot/types.js';
import { groupBy } from './connectivity-failures.js';
import { describeDecision } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { proxyFixes } from './proxy-fix.js';

export const sidecarMissing: Analyzer = {
  name: 'SidecarMissing',
  codes: ['sidecar-missing'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const candidates = mesh.snapshot.workloads.filter(
      (w) => w.proxy === 'none' && !w.hostNetwork && !cannotBeInjected(w, mesh.rootNamespace),
    );
    const mixed = candidates.filter((w) => w.mixedPods);
    const notRestarted = candidates.filter((w) => !w.mixedPods && w.proxyReason.includes('although'));
    const underStrict = candidates.filter(
      (w) =>
        !w.mixedPods &&
        !notRestarted.includes(w) &&
        mesh.peerAuthentications.forWorkload(w).base.mode === 'STRICT',
    );
    for (const w of mixed) {
      const pods = w.mixedPods as NonNullable<Workload['mixedPods']>;
      const total = pods.without.length + pods.withSidecar.length;
      findings.push(
        finding({
          code: 'sidecar-missing',
          message: `${pods.without.length} of ${total} running pods of ${w.meta.namespace}/${w.meta.name} have no sidecar: calls from them leave as plaintext and calls to them are not held to mTLS, while its other pods have one. Calls fail or work depending on which pod makes or answers them; it is judged here by its pods without a sidecar.`,
          why: [
            `${w.meta.namespace}/${w.meta.name}: ${w.proxyReason}`,
            `Pods with a sidecar: ${pods.withSidecar.slice(0, 5).join(', ')}${pods.withSidecar.length > 5 ? ', …' : ''}.`,
          ],
          fix: `If the rollout is still running, let it finish and check again. Otherwise restart the workload so every pod is injected; if the newest pods are the ones without a sidecar, check their template (sidecar.istio.io/inject) and the namespace's injection label first.`,
          resource: ref(w),
          location: w.meta.source,
          remediations: [restartWorkload(w, 'so every pod gets the sidecar')],
        }),
      );
    }
    for (const [ns, list] of groupBy(notRestarted, (w) => w.meta.namespace)) {
      findings.push(
        finding({
          code: 'sidecar-missing',
          message: `${names(list)} in ${ns} run without a sidecar although the namespace asks for injection: the pods were started before injection was enabled. They send and accept only plaintext until restarted.`,
          why: list.slice(0, 3).map((w) => `${w.meta.namespace}/${w.meta.name}: ${w.proxyReason}`),
          fix: restartAdvice(list, ns),
          resource: ref(list[0] as Workload),
          location: list[0]?.meta.source,
          related: list.slice(1, 10).map(ref),
          remediations: list.slice(0, 5).map((w) => restartWorkload(w, 'to inject the sidecar')),
        }),
      );
    }
    for (const [ns, list] of groupBy(underStrict, (w) => w.meta.namespace)) {
      const decision = mesh.peerAuthentications.forWorkload(list[0] as Workload).base;
      // What injects them depends on why they have none: an opted-out template, an ambient namespace.
      const fixes = proxyFixes(mesh, ns, list);
      const inject = injectableNamespace(ns, mesh.rootNamespace)
        ? `Inject sidecars (label namespace ${ns} istio-injection=enabled and restart) or enrol the namespace in ambient.`
        : `Inject sidecars into these workloads only (pod template label sidecar.istio.io/inject: "true", then restart them): labelling ${ns}, Istio's own namespace, and restarting it would restart the control plane too.`;
      findings.push(
        finding({
          code: 'sidecar-missing',
          message: `${names(list)} in ${ns} have no proxy, so the STRICT policy that covers them is not enforced: they accept plaintext from anyone, and mesh clients reach them without mTLS.`,
          why: [
            describeDecision(decision),
            ...list.slice(0, 3).map((w) => `${w.meta.namespace}/${w.meta.name}: ${w.proxyReason}`),
          ],
          fix: [
            ...(fixes.needsLabel || fixes.advice.length === 0 ? [inject] : []),
            ...fixes.advice.slice(0, 3).map((a) => `${a}.`),
          ].join(' '),
          resource: ref(list[0] as Workload),
          location: list[0]?.meta.source,
          related: list.slice(1, 10).map(ref),
          remediations: fixes.plans,
        }),
      );
    }
    return findings;
  },
};

// Only Deployments, StatefulSets and DaemonSets have a rollout to restart; the rest are said apart.
function restartAdvice(list: readonly Workload[], ns: string): string {
  const ofKind = (...kinds: string[]) => list.filter((w) => kinds.includes(w.kind));
  const named = (ws: readonly Workload[], format: (w: Workload) => string) =>
    `${ws.slice(0, 3).map(format).join(' ')}${ws.length > 3 ? ' …' : ''}`;
  const rolled = ofKind('Deployment', 'StatefulSet', 'DaemonSet');
  const pods = ofKind('Pod');
  const cronJobs = ofKind('CronJob');
  const others = ofKind('Job', 'ReplicaSet');
  const parts = [];
  if (rolled.length > 0)
    parts.push(
      `Restart them so the injector adds the sidecar (kubectl rollout restart ${named(rolled, (w) => `${w.kind.toLowerCase()}/${w.meta.name}`)} -n ${ns}).`,
    );
  if (pods.length > 0)
    parts.push(
      `Delete and recreate the pods (${named(pods, (w) => w.meta.name)}) so the injector adds the sidecar: bare pods have no controller to restart them.`,
    );
  if (cronJobs.length > 0)
    parts.push(`CronJob ${named(cronJobs, (w) => w.meta.name)}: the next run gets the sidecar.`);
  if (others.length > 0)
    parts.push(
      `Create ${named(others, (w) => `${w.kind} ${w.meta.name}`)} again: it has no rollout to restart.`,
    );
  return parts.join(' ');
}

function ref(w: Workload) {
  return { kind: w.kind, namespace: w.meta.namespace, name: w.meta.name };
}

function names(list: readonly Workload[]): string {
  const shown = list.slice(0, 4).map((w) => w.meta.name);
  return list.length > 4 ? `${shown.join(', ')} and ${list.length - 4} more` : shown.join(', ');
}
