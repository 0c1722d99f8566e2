// PeerAuthentication on ambient workloads, as ztunnel enforces it (mesh/ambient.ts, after istio/istio
// pilot/pkg/serviceregistry/ambient/authorization.go): DISABLE acts as PERMISSIVE, and some
// portLevelMtls combinations are not converted as written.
import { type AmbientModeDecision, ztunnelInboundMode } from '../mesh/ambient.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import { selectorMatches } from '../mesh/selectors.js';
import { setPeerAuthenticationMode } from '../remediation/plans.js';
import type { PeerAuthentication, Workload } from '../snapshot/types.js';
import { describeClients, failuresWithReason, groupBy, workloadName } from './connectivity-failures.js';
import { firstSymptom, paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { portExceptionFor } from './port-exception.js';

interface PortDecision {
  readonly workload: Workload;
  readonly port?: number;
  readonly ambient: AmbientModeDecision;
}

export const ambientPeerAuthentication: Analyzer = {
  name: 'AmbientPeerAuthentication',
  codes: ['ambient-peerauthentication-disable', 'ambient-port-level-mtls'],
  analyze(mesh) {
    const decisions = ambientDecisions(mesh);
    return [...disableFindings(mesh, decisions), ...portLevelFindings(mesh, decisions)];
  },
};

/** Every ambient workload's ports (container ports and its policy's port keys), and its base mode. */
function ambientDecisions(mesh: ResolvedMesh): PortDecision[] {
  const out: PortDecision[] = [];
  for (const workload of mesh.snapshot.workloads) {
    if (workload.proxy !== 'ambient' || workload.gateway) continue;
    const policy = mesh.peerAuthentications.forWorkload(workload);
    const ports = new Set([...workload.ports.map((p) => p.containerPort), ...policy.ports.keys()]);
    const index = mesh.peerAuthentications;
    out.push({ workload, ambient: ztunnelInboundMode(index, workload, undefined) });
    for (const port of [...ports].sort((a, b) => a - b))
      out.push({ workload, port, ambient: ztunnelInboundMode(index, workload, port) });
  }
  return out;
}

function disableFindings(mesh: ResolvedMesh, decisions: readonly PortDecision[]): Finding[] {
  const disabled = decisions.filter((d) => d.ambient.divergence === 'disable-ignored');
  const findings: Finding[] = [];
  for (const group of groupBy(disabled, (d) => key(d.ambient.decision.policy)).values()) {
    const policy = group[0]?.ambient.decision.policy;
    if (!policy) continue;
    const workloads = [...new Set(group.map((d) => workloadName(d.workload)))];
    const level = group[0]?.ambient.decision.level;
    const onlyAmbient = inScope(mesh, policy).every((w) => w.proxy === 'ambient');
    findings.push(
      finding({
        code: 'ambient-peerauthentication-disable',
        message: `PeerAuthentication ${policy.meta.namespace}/${policy.meta.name} sets DISABLE${level === 'port' ? ` on port ${portsOf(group)}` : ''} for ambient workloads ${list(workloads)}, but ztunnel has no DISABLE: it accepts both HBONE (mTLS) and plaintext there, exactly as PERMISSIVE, and mesh clients keep arriving over HBONE.`,
        why: [
          'istiod turns PeerAuthentication into ztunnel DENY policies that only reject plaintext: a DISABLE mode counts as not STRICT exactly like PERMISSIVE (authorization.go convertedSelectorPeerAuthentications: a namespace policy sets "effective STRICT" only when it is STRICT, a workload policy that is PERMISSIVE or DISABLE clears it), and convertPeerAuthentication treats a DISABLE port like a PERMISSIVE one, so the port is left open to plaintext as under PERMISSIVE.',
          'Sidecars and ztunnel still send HBONE to ambient pods whatever the policy says (cluster_tls.go applyHBONETransportSocketMatches, workloads.go setTunnelProtocol).',
        ],
        fix: 'Write PERMISSIVE, which says what ztunnel does. To take a workload out of mTLS altogether, take it out of ambient (pod label istio.io/dataplane-mode=none).',
        resource: paRef(policy),
        location: policy.meta.source,
        path: level === 'port' ? 'spec.portLevelMtls' : 'spec.mtls.mode',
        related: group.map((d) => workloadRef(d.workload)),
        // The switch changes nothing for ambient pods; for sidecar pods under the same policy it would.
        remediations:
          onlyAmbient && level !== 'port' ? [setPeerAuthenticationMode(policy, 'PERMISSIVE')] : [],
      }),
    );
  }
  return findings;
}

function portLevelFindings(mesh: ResolvedMesh, decisions: readonly PortDecision[]): Finding[] {
  const departing = decisions.filter(
    (d) =>
      d.port !== undefined &&
      (d.ambient.divergence === 'strict-not-enforced' || d.ambient.divergence === 'exception-ignored'),
  );
  const failures = failuresWithReason(mesh, 'ambient-port-level-mtls');
  const findings: Finding[] = [];
  for (const group of groupBy(
    departing,
    (d) => `${key(d.ambient.workloadPolicy)}|${d.ambient.divergence}`,
  ).values()) {
    const first = group[0];
    const policy = first?.ambient.workloadPolicy;
    if (!first || !policy) continue;
    const workloads = [...new Set(group.map((d) => workloadName(d.workload)))];
    const ports = portsOf(group);
    const names = new Set(workloads);
    const hit = failures.filter((f) =>
      f.backends.some((b) => b.backend && names.has(workloadName(b.backend.workload))),
    );
    const meshPolicy = mesh.peerAuthentications.meshPolicy;
    const nsPolicy = mesh.peerAuthentications.namespacePolicy(policy.meta.namespace);
    const parents = `namespace policy ${nsPolicy ? `${nsPolicy.meta.name} (${nsPolicy.mode ?? 'UNSET'})` : 'none'}, mesh policy ${meshPolicy ? `${meshPolicy.meta.name} (${meshPolicy.mode ?? 'UNSET'})` : 'none'}`;
    if (first.ambient.divergence === 'exception-ignored') {
      const selector = policy.selector ?? {};
      findings.push(
        finding({
          code: 'ambient-port-level-mtls',
          ...(hit.length === 0 ? { severity: 'warning' as const } : {}),
          message: `PeerAuthentication ${policy.meta.namespace}/${policy.meta.name} accepts plaintext on port ${ports} of ambient workloads ${list(workloads)}, but ztunnel still rejects it there${hit.length > 0 ? `: ${describeClients(hit)} are reset. Callers see: ${firstSymptom(hit)}` : ''}.`,
          why: [
            `The workload policy has no mode of its own and inherits STRICT (${parents}), and its exceptions are DISABLE only. For that case istiod looks only for PERMISSIVE port entries (authorization.go convertedSelectorPeerAuthentications, the UNSET branch), so the workload keeps the static STRICT policy and the DISABLE exception never reaches ztunnel. A sidecar would honour it: this is Istio's ambient conversion, not the policy.`,
          ],
          fix: `Give ${policy.meta.namespace}/${policy.meta.name} its own mtls.mode STRICT and write port ${ports} as PERMISSIVE (not DISABLE): istiod converts that alone into "deny plaintext except on port ${ports}" under any namespace or mesh policy. PERMISSIVE without the policy's own STRICT is not enough: under a STRICT mesh policy and a namespace policy without a mode, istiod converts nothing and every port accepts plaintext.`,
          resource: paRef(policy),
          location: policy.meta.source,
          path: 'spec.portLevelMtls',
          related: group.map((d) => workloadRef(d.workload)),
          remediations: [...new Set(group.map((d) => d.port as number))].flatMap((port) =>
            // The workload inherits STRICT here, so the exception carries the policy's own STRICT.
            portExceptionFor(mesh, first.workload, selector, port),
          ),
        }),
      );
      continue;
    }
    findings.push(
      finding({
        code: 'ambient-port-level-mtls',
        severity: 'warning',
        message: `PeerAuthentication ${policy.meta.namespace}/${policy.meta.name} leaves port ${ports} of ambient workloads ${list(workloads)} STRICT, but ztunnel accepts plaintext there: clients without a proxy get in unauthenticated.`,
        why: [
          policy.mode === 'PERMISSIVE' || policy.mode === 'DISABLE'
            ? `The workload policy is ${policy.mode} with port entries (${parents}). istiod then attaches only the policy's converted form instead of the static STRICT policy (authorization.go convertedSelectorPeerAuthentications), and convertPeerAuthentication drops STRICT for this port: its check "workload STRICT, or (workload UNSET and namespace STRICT), or (namespace absent/UNSET and mesh STRICT)" is written without parentheses around the first two, so a STRICT mesh policy counts as enforcing the port even for a PERMISSIVE/DISABLE workload. This looks like an Istio bug; it is what the ambient data plane does.`
            : `The workload policy has no mode and a PERMISSIVE port entry under an inherited STRICT (${parents}). istiod then attaches the policy's converted form instead of the static STRICT policy (authorization.go convertedSelectorPeerAuthentications), but convertPeerAuthentication skips a PERMISSIVE port whenever a namespace policy exists that is not STRICT — an UNSET one included — so nothing is converted and ztunnel denies nothing on any port. This looks like an Istio bug; it is what the ambient data plane does.`,
        ],
        fix: `Set mtls.mode STRICT in ${policy.meta.namespace}/${policy.meta.name} and list the plaintext ports as PERMISSIVE, or add a namespace policy with mode STRICT, so the conversion keeps the STRICT port.`,
        resource: paRef(policy),
        location: policy.meta.source,
        path: 'spec.portLevelMtls',
        related: group.map((d) => workloadRef(d.workload)),
      }),
    );
  }
  return findings;
}

function inScope(mesh: ResolvedMesh, policy: PeerAuthentication): Workload[] {
  const root = policy.meta.namespace === mesh.peerAuthentications.rootNamespace && !policy.selector;
  return mesh.snapshot.workloads.filter(
    (w) =>
      (root || w.meta.namespace === policy.meta.namespace) &&
      (!policy.selector || selectorMatches(policy.selector, w.podLabels)),
  );
}

function key(policy: PeerAuthentication | undefined): string {
  return policy ? `${policy.meta.namespace}/${policy.meta.name}` : '';
}

function portsOf(group: readonly PortDecision[]): string {
  return [...new Set(group.flatMap((d) => (d.port === undefined ? [] : [d.port])))].join(', ') || '(all)';
}

function list(names: readonly string[]): string {
  return names.length <= 4
    ? names.join(', ')
    : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;
}

function workloadRef(w: Workload) {
  return { kind: w.kind, namespace: w.meta.namespace, name: w.meta.name };
}
