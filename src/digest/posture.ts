// The mesh's mTLS posture, per namespace: the effective mode, who has no proxy, which ports accept
// plaintext, open problems, certificates near expiry, and where the namespace stands on the field
// guide's migration path (PERMISSIVE → sidecars everywhere → STRICT per namespace → mesh STRICT) with
// the next safe step. Plain data, so it can be stored and compared from one digest to the next.
import type { Finding } from '../analyzers/finding.js';
import type { Diagnosis } from '../engine/diagnose.js';
import { isInboundExcluded } from '../mesh/connectivity.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import { webhooksBrokenByStrict } from '../mesh/webhooks.js';
import { isIstioAgent, isIstioNamespace, isNeverInjected } from '../snapshot/proxy-status.js';
import type { Gap } from '../snapshot/types.js';

export type NamespaceMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'no-proxy' | 'mixed' | 'no-workloads';
export type MigrationStage = 'add-sidecars' | 'switch-to-strict' | 'strict';

export interface NamespacePosture {
  readonly namespace: string;
  readonly mode: NamespaceMode;
  readonly workloads: number;
  readonly withoutProxy: readonly string[];
  /** `workload:port` entries that accept plaintext. */
  readonly plaintextPorts: readonly string[];
  readonly errors: number;
  readonly warnings: number;
  readonly expiringCertificates: number;
  readonly stage: MigrationStage;
  readonly nextStep: string;
  /** Clients that would be reset if this namespace went STRICT (proxy-less workloads elsewhere). */
  readonly wouldBreakIfStrict: readonly string[];
}

export interface Posture {
  readonly takenAt: string;
  readonly meshMode: string;
  /** Share of workload ports that require mTLS, 0 to 100. */
  readonly score: number;
  readonly namespaces: readonly NamespacePosture[];
  /**
   * What could not be read (blocking gaps only): the modes, score and counts above come from the rest
   * and may be wrong. Absent in postures computed without a diagnosis and in those stored before it was
   * added; a posture with gaps is never stored as a baseline.
   */
  readonly gaps?: readonly Gap[];
}

/** The posture of a diagnosis, with the gaps of its read (the cross-checks, being optional, left out). */
export function postureOf(
  diagnosis: Pick<Diagnosis, 'mesh' | 'findings' | 'gaps'>,
  now: Date,
  namespace?: string,
): Posture {
  return {
    ...computePosture(diagnosis.mesh, diagnosis.findings, now, namespace),
    gaps: diagnosis.gaps.filter((g) => !g.optional),
  };
}

/** Read completely: fit to compare with a baseline and to become one. */
export function isComplete(posture: Posture): boolean {
  return (posture.gaps?.length ?? 0) === 0;
}

/** The posture of every namespace, or of one (`namespace`: its rows and its own score only). */
export function computePosture(
  mesh: ResolvedMesh,
  findings: readonly Finding[],
  now: Date,
  namespace?: string,
): Posture {
  const pa = mesh.peerAuthentications;
  const proxyless = mesh.snapshot.workloads
    .filter((w) => w.proxy === 'none' && !isIstioAgent(w, mesh.rootNamespace))
    .map((w) => `${w.meta.namespace}/${w.meta.name}`);
  let strictPorts = 0;
  let allPorts = 0;
  const namespaces = [...new Set(mesh.snapshot.workloads.map((w) => w.meta.namespace))]
    .filter(
      (ns) =>
        !isIstioNamespace(ns, mesh.rootNamespace) &&
        !isNeverInjected(ns) &&
        (namespace === undefined || ns === namespace),
    )
    .sort()
    .map((ns): NamespacePosture => {
      const workloads = mesh.workloads.inNamespace(ns);
      const modes = new Set<string>();
      const plaintextPorts: string[] = [];
      for (const w of workloads) {
        const ports = w.ports.length > 0 ? w.ports.map((p) => p.containerPort) : [0];
        for (const port of ports) {
          const mode =
            w.proxy === 'none' || (w.proxy === 'sidecar' && port && isInboundExcluded(w, port))
              ? 'no-proxy'
              : pa.modeForPort(w, port).mode;
          modes.add(mode);
          allPorts++;
          if (mode === 'STRICT') strictPorts++;
          else if (port) plaintextPorts.push(`${w.meta.name}:${port}`);
        }
      }
      const mode: NamespaceMode =
        workloads.length === 0
          ? 'no-workloads'
          : modes.size === 1
            ? ([...modes][0] as NamespaceMode)
            : 'mixed';
      const withoutProxy = workloads.filter((w) => w.proxy === 'none').map((w) => w.meta.name);
      const mine = findings.filter((f) => f.namespaces.includes(ns));
      const stage: MigrationStage =
        mode === 'STRICT' ? 'strict' : withoutProxy.length > 0 ? 'add-sidecars' : 'switch-to-strict';
      const wouldBreak = proxyless.filter((name) => !name.startsWith(`${ns}/`));
      // The API server calls webhooks in this namespace without a sidecar: their ports stay PERMISSIVE.
      const webhookPorts = [
        ...new Set(webhooksBrokenByStrict(mesh, ns).map((e) => `${e.workload.meta.name}:${e.targetPort}`)),
      ];
      const keepWebhooks =
        webhookPorts.length > 0
          ? `keep the admission webhook port${webhookPorts.length > 1 ? 's' : ''} ${webhookPorts.slice(0, 3).join(', ')}${webhookPorts.length > 3 ? ' and more' : ''} PERMISSIVE (the API server has no sidecar), then `
          : '';
      const nextStep =
        stage === 'strict'
          ? 'done: every port requires mTLS'
          : stage === 'add-sidecars'
            ? `inject sidecars into ${withoutProxy.slice(0, 3).join(', ')}${withoutProxy.length > 3 ? ` and ${withoutProxy.length - 3} more` : ''}, then restart them`
            : wouldBreak.length > 0
              ? `${keepWebhooks}switch to STRICT once these clients without a proxy stop calling it or get one: ${wouldBreak.slice(0, 3).join(', ')}${wouldBreak.length > 3 ? ` and ${wouldBreak.length - 3} more` : ''}`
              : `${keepWebhooks}switch the namespace to STRICT (no client without a proxy would break)`;
      return {
        namespace: ns,
        mode,
        workloads: workloads.length,
        withoutProxy,
        plaintextPorts,
        errors: mine.filter((f) => f.severity === 'error').length,
        warnings: mine.filter((f) => f.severity === 'warning').length,
        expiringCertificates: mine.filter(
          (f) => f.code === 'certificate-expiring' || f.code === 'certificate-expired',
        ).length,
        stage,
        nextStep,
        wouldBreakIfStrict: stage === 'switch-to-strict' ? wouldBreak : [],
      };
    });
  const meshMode = pa.meshPolicy?.mode && pa.meshPolicy.mode !== 'UNSET' ? pa.meshPolicy.mode : 'PERMISSIVE';
  return {
    takenAt: now.toISOString(),
    meshMode,
    score: allPorts === 0 ? 0 : Math.round((strictPorts / allPorts) * 100),
    namespaces,
  };
}

export interface PostureChange {
  readonly namespace?: string;
  readonly what: string;
  /** Protection lost: a weaker mode than before, or ports newly accepting plaintext. */
  readonly regression?: true;
}

// How much a mode protects; a namespace with no workloads has nothing to protect and is not ranked.
const PROTECTION: Readonly<Record<string, number>> = {
  STRICT: 3,
  mixed: 2,
  PERMISSIVE: 1,
  DISABLE: 0,
  'no-proxy': 0,
};

function weakened(then: string, now: string): boolean {
  const before = PROTECTION[then];
  const after = PROTECTION[now];
  return before !== undefined && after !== undefined && after < before;
}

const regressionIf = (lost: boolean) => (lost ? { regression: true as const } : {});

/** What changed since the previous digest, in plain words. */
export function diffPosture(previous: Posture | undefined, current: Posture): PostureChange[] {
  if (!previous) return [{ what: 'first digest: nothing to compare with yet' }];
  const changes: PostureChange[] = [];
  if (previous.meshMode !== current.meshMode)
    changes.push({
      what: `mesh-wide mode ${previous.meshMode} → ${current.meshMode}`,
      ...regressionIf(weakened(previous.meshMode, current.meshMode)),
    });
  if (previous.score !== current.score) changes.push({ what: `score ${previous.score} → ${current.score}` });
  const before = new Map(previous.namespaces.map((n) => [n.namespace, n]));
  for (const now of current.namespaces) {
    const then = before.get(now.namespace);
    before.delete(now.namespace);
    if (!then) {
      changes.push({ namespace: now.namespace, what: `new namespace (${now.mode})` });
      continue;
    }
    if (then.mode !== now.mode)
      changes.push({
        namespace: now.namespace,
        what: `mode ${then.mode} → ${now.mode}`,
        ...regressionIf(weakened(then.mode, now.mode)),
      });
    const opened = now.plaintextPorts.filter((p) => !then.plaintextPorts.includes(p));
    const closed = then.plaintextPorts.filter((p) => !now.plaintextPorts.includes(p));
    if (opened.length)
      changes.push({
        namespace: now.namespace,
        what: `now accepts plaintext on ${opened.join(', ')}`,
        regression: true,
      });
    if (closed.length)
      changes.push({ namespace: now.namespace, what: `no longer accepts plaintext on ${closed.join(', ')}` });
    if (then.errors !== now.errors)
      changes.push({ namespace: now.namespace, what: `errors ${then.errors} → ${now.errors}` });
  }
  for (const gone of before.keys())
    changes.push({ namespace: gone, what: 'namespace gone (no workloads any more)' });
  return changes;
}
