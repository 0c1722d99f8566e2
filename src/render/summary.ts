// The numbers every renderer shows: counts by severity, what was checked, the verdict.
import { blockingGaps, type Diagnosis } from '../engine/diagnose.js';
import type { MeshSnapshot } from '../snapshot/types.js';

export type Verdict = 'problems-found' | 'no-problems-found' | 'incomplete';

export interface Summary {
  readonly verdict: Verdict;
  readonly scope: string;
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly checked: {
    readonly namespaces: number;
    readonly workloads: number;
    readonly services: number;
    readonly peerAuthentications: number;
    readonly destinationRules: number;
    readonly serviceEntries: number;
    readonly authorizationPolicies: number;
    readonly certificates: number;
  };
  readonly timingsMs: Record<string, number>;
  /** Optional cross-checks that could not run. */
  readonly notCrossChecked: readonly string[];
}

export function summarize(diagnosis: Diagnosis, extraTimings: Record<string, number> = {}): Summary {
  const s = inScope(diagnosis.mesh.snapshot, diagnosis.namespace);
  const count = (severity: string) => diagnosis.findings.filter((f) => f.severity === severity).length;
  const errors = count('error');
  const warnings = count('warning');
  const namespaces = new Set([
    ...s.namespaces.map((n) => n.name),
    ...s.workloads.map((w) => w.meta.namespace),
  ]);
  const timings = {
    ...extraTimings,
    resolve: diagnosis.timings.resolveMs,
    analyze: diagnosis.timings.analyzeMs,
  };
  return {
    verdict: verdictFor(errors + warnings, diagnosis),
    scope: diagnosis.namespace ? `namespace ${diagnosis.namespace}` : 'all namespaces',
    errors,
    warnings,
    infos: count('info'),
    checked: {
      namespaces: namespaces.size,
      workloads: s.workloads.length,
      services: s.services.length,
      peerAuthentications: s.peerAuthentications.length,
      destinationRules: s.destinationRules.length,
      serviceEntries: s.serviceEntries.length,
      authorizationPolicies: s.authorizationPolicies?.length ?? 0,
      certificates: s.certificates.length,
    },
    notCrossChecked: diagnosis.gaps.filter((g) => g.optional).map((g) => g.source),
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10])),
  };
}

/** "1 workload, 7 services, 1 ServiceEntry": what a check looked at, in words. */
export function checkedObjects(k: Summary['checked'], kinds: readonly (keyof Summary['checked'])[]): string {
  return kinds.map((kind) => counted(k[kind], CHECKED_NOUNS[kind])).join(', ');
}

const CHECKED_NOUNS: Record<keyof Summary['checked'], [string, string]> = {
  namespaces: ['namespace', 'namespaces'],
  workloads: ['workload', 'workloads'],
  services: ['service', 'services'],
  peerAuthentications: ['PeerAuthentication', 'PeerAuthentications'],
  destinationRules: ['DestinationRule', 'DestinationRules'],
  serviceEntries: ['ServiceEntry', 'ServiceEntries'],
  authorizationPolicies: ['AuthorizationPolicy', 'AuthorizationPolicies'],
  certificates: ['certificate', 'certificates'],
};

function counted(n: number, [one, many]: [string, string]): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Problems found win; without any, a read that failed leaves the answer incomplete, not all clear. */
export function verdictFor(problems: number, diagnosis: Pick<Diagnosis, 'gaps'>): Verdict {
  if (problems > 0) return 'problems-found';
  return blockingGaps(diagnosis).length > 0 ? 'incomplete' : 'no-problems-found';
}

/**
 * What a check of one namespace looked at: its own objects, the mesh-wide policies and rules of the
 * root namespace that apply to it, and the mesh CA; everything without a namespace.
 */
function inScope(snapshot: MeshSnapshot, namespace: string | undefined): MeshSnapshot {
  if (!namespace) return snapshot;
  const root = snapshot.meshConfig.rootNamespace;
  const own = (o: { meta: { namespace: string } }) => o.meta.namespace === namespace;
  const ownOrMeshWide = (o: { meta: { namespace: string } }) => own(o) || o.meta.namespace === root;
  return {
    ...snapshot,
    namespaces: snapshot.namespaces.filter((n) => n.name === namespace),
    workloads: snapshot.workloads.filter(own),
    services: snapshot.services.filter(own),
    peerAuthentications: snapshot.peerAuthentications.filter(ownOrMeshWide),
    destinationRules: snapshot.destinationRules.filter(ownOrMeshWide),
    serviceEntries: snapshot.serviceEntries.filter(own),
    authorizationPolicies: snapshot.authorizationPolicies?.filter(ownOrMeshWide),
    certificates: snapshot.certificates.filter(
      (c) =>
        c.role.startsWith('ca-') || c.owner.namespace === namespace || c.identity?.namespace === namespace,
    ),
  };
}
