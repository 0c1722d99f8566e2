// Several PeerAuthentications for one scope: Istio keeps the oldest (creationTimestamp, then name) and
// ignores the rest entirely (pilot/pkg/model/authentication.go addPeerAuthentication,
// policy_applier.go ComposePeerAuthentication).
import type { ResolvedMesh } from '../mesh/resolve.js';
import { formatSelector } from '../mesh/selectors.js';
import { isNotCreatedYet } from '../mesh/server-mode.js';
import type { Labels, PeerAuthentication } from '../snapshot/types.js';
import { paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const peerAuthenticationConflict: Analyzer = {
  name: 'PeerAuthenticationConflict',
  codes: ['peerauthentication-conflict'],
  analyze(mesh) {
    const index = mesh.peerAuthentications;
    const findings: Finding[] = [];
    const secondInScope = index.ignored.filter((i) => i.reason === 'second-in-scope' && i.winner);
    for (const ignored of secondInScope) {
      if (!ignored.winner) continue;
      const ns = ignored.policy.meta.namespace;
      // The winner plus every policy ignored in the same scope.
      const count = 1 + secondInScope.filter((i) => i.policy.meta.namespace === ns).length;
      const scope =
        ns === mesh.rootNamespace
          ? `mesh-wide PeerAuthentications exist (in the root namespace ${ns})`
          : `namespace-wide PeerAuthentications exist in ${ns}`;
      findings.push(
        conflictFinding(
          ignored.policy,
          ignored.winner,
          `${count === 2 ? 'Two' : count} ${scope}; Istio keeps only the oldest`,
        ),
      );
    }
    const losers = new Map<PeerAuthentication, { winner: PeerAuthentication; workloads: string[] }>();
    for (const w of mesh.snapshot.workloads) {
      const policy = index.forWorkload(w);
      if (!policy.workload) continue;
      for (const loser of policy.losingWorkloadPolicies) {
        const entry = losers.get(loser) ?? { winner: policy.workload, workloads: [] };
        entry.workloads.push(w.meta.name);
        losers.set(loser, entry);
      }
    }
    for (const [loser, { winner, workloads }] of losers) {
      findings.push(
        conflictFinding(
          loser,
          winner,
          `Two PeerAuthentications with a selector select ${workloads.slice(0, 3).join(', ')}${workloads.length > 3 ? ` and ${workloads.length - 3} more` : ''}; Istio applies only the oldest, with no merging of ports`,
        ),
      );
    }
    findings.push(...policyOnlySelectorOverlaps(mesh));
    return findings;
  },
};

// Without the namespace's workloads in the input, two selector policies still collide wherever one
// selector contains the other: a workload with the longer selector's labels matches both.
function policyOnlySelectorOverlaps(mesh: ResolvedMesh): Finding[] {
  const findings: Finding[] = [];
  const namespaces = new Set(
    mesh.snapshot.peerAuthentications.filter((p) => p.selector).map((p) => p.meta.namespace),
  );
  for (const ns of namespaces) {
    if (ns === mesh.rootNamespace || mesh.workloads.inNamespace(ns).length > 0) continue;
    const policies = mesh.peerAuthentications.selectorPolicies(ns);
    policies.forEach((newer, i) => {
      const older = policies
        .slice(0, i)
        .find((p) => contains(p.selector, newer.selector) || contains(newer.selector, p.selector));
      if (!older) return;
      const labels = formatSelector({ ...older.selector, ...newer.selector });
      findings.push(
        conflictFinding(
          newer,
          older,
          `Two PeerAuthentications with a selector both select workloads labelled ${labels}; Istio applies only the oldest, with no merging of ports`,
        ),
      );
    });
  }
  return findings;
}

/** Every key=value of `inner` is in `outer`. */
function contains(outer: Labels | undefined, inner: Labels | undefined): boolean {
  return Object.entries(inner ?? {}).every(([k, v]) => outer?.[k] === v);
}

function conflictFinding(ignored: PeerAuthentication, winner: PeerAuthentication, context: string): Finding {
  const ignoredMode = ignored.mode ?? 'UNSET';
  const winnerMode = winner.mode ?? 'UNSET';
  const differs = ignoredMode !== winnerMode || ignored.portLevelMtls.size > 0;
  return finding({
    code: 'peerauthentication-conflict',
    severity: differs ? 'error' : 'warning',
    message: `${context}: PeerAuthentication ${ignored.meta.namespace}/${ignored.meta.name} (${ignoredMode}) is ignored, ${winner.meta.namespace}/${winner.meta.name} (${winnerMode}) applies.${differs ? ' What the ignored policy asks for never takes effect.' : ''}`,
    why: [whyOlder(winner, ignored)],
    fix: 'Keep one policy per scope: merge the settings into the one that applies and delete the other.',
    resource: paRef(ignored),
    location: ignored.meta.source,
    path: 'metadata.creationTimestamp',
    related: [paRef(winner)],
  });
}

function whyOlder(winner: PeerAuthentication, ignored: PeerAuthentication): string {
  const name = `${winner.meta.namespace}/${winner.meta.name}`;
  // An object not created yet (a new file of a pull request) gets its timestamp when it is applied.
  if (!isNotCreatedYet(winner.meta) && isNotCreatedYet(ignored.meta)) {
    const stamp = winner.meta.creationTimestamp;
    return `${name} exists${stamp ? ` (creationTimestamp ${stamp})` : ''} and ${ignored.meta.namespace}/${ignored.meta.name} has no creationTimestamp yet: created now, it is the newer one.`;
  }
  return `${name} is older (creationTimestamp ${winner.meta.creationTimestamp ?? 'unset'}; ties go to the alphabetically first name).`;
}
