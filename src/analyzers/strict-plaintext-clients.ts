// Field guide error 1: a STRICT port with clients that can only send plaintext (no sidecar, not ambient).

import { authorizationEnforcer, type BackendOutcome, SYMPTOMS } from '../mesh/connectivity.js';
import { filterChain } from '../mesh/port-protocol.js';
import { AMBIENT_CLASS, type ClientGroup, type ResolvedMesh } from '../mesh/resolve.js';
import { formatSelector } from '../mesh/selectors.js';
import { portExpectsTls } from '../mesh/targets.js';
import { appliedTogether, plansRepairingEach } from '../remediation/plan-set.js';
import { type RemediationPlan, setPeerAuthenticationMode } from '../remediation/plans.js';
import { isNeverInjected } from '../snapshot/proxy-status.js';
import type { Ref } from '../snapshot/types.js';
import {
  affectedNamespaces,
  describeClients,
  type Failure,
  failuresWithReason,
  groupBy,
  workloadName,
} from './connectivity-failures.js';
import { describeBackendServer, describeTargets, firstSymptom, paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { namespaceModeFix } from './namespace-policy-fix.js';
import { portExceptionFor } from './port-exception.js';
import { proxyFixes, proxylessIn } from './proxy-fix.js';

export const strictPlaintextClients: Analyzer = {
  name: 'StrictPlaintextClients',
  codes: ['strict-plaintext-clients'],
  analyze(mesh) {
    const failures = failuresWithReason(mesh, 'strict-plaintext-clients');
    // One finding per set of policies that made the ports STRICT: that is what an operator changes.
    // A service's backends may each get STRICT from another policy, and a call is balanced over all.
    const byPolicies = groupBy(failures, decidingPolicies);
    const findings: Finding[] = [];
    for (const group of byPolicies.values()) {
      const first = group[0];
      const backend = first?.backends[0];
      if (!first || !backend) continue;
      const policy = backend.decision?.policy;
      const deciders = [...decidersOf(group).values()];
      const hypothetical = group.every((f) => f.group.hypothetical);
      const clientNamespaces = affectedNamespaces(mesh, group, { includeTargets: false });
      const services = group.map((f) => f.target.ref);
      // Accepting plaintext repairs nothing where the server's AuthorizationPolicies need a caller
      // identity: the reset would become a 403. Then only giving the clients a proxy helps.
      const denial = authorizationStillDenies(mesh, group);
      const remediations = denial ? [] : [...permissivePlans(mesh, group), ...portExceptions(mesh, first)];
      // Only where the failing callers have no proxy at all: an ambient caller needs HBONE on the
      // server, not a sidecar of its own.
      // By group, not by failure: one group fails towards thousands of service ports.
      const proxylessGroups = new Set(
        group.filter((f) => f.group.profile.proxy === 'none').map((f) => f.group),
      );
      // A sidecar gives them their own identity: no plan where the server's policies refuse it.
      const refused = refusedAsSidecars(mesh, group);
      const proxylessNamespaces = new Set(
        [...proxylessGroups].filter((g) => !refused.has(g)).flatMap((g) => g.namespaces()),
      );
      const refusedNamespaces = [...new Set([...refused].flatMap((g) => g.namespaces()))].sort();
      // What gives them a proxy depends on why they have none (an opt-out, hostNetwork, an ambient
      // namespace): the plans of up to three namespaces, and what to say where labelling is no fix.
      // Asked only when a client could be enrolled in ambient (one walk over the group's failures).
      let ambientReaches: boolean | undefined;
      const ambientRepairs = () =>
        (ambientReaches ??= group.every(
          (f) => f.group.profile.proxy !== 'none' || mesh.outcomeForClass(AMBIENT_CLASS, f.target, f.port).ok,
        ));
      const clientFixes = [];
      for (const ns of clientNamespaces) {
        if (!proxylessNamespaces.has(ns)) continue;
        const fixes = proxyFixes(mesh, ns, proxylessIn(mesh, ns), { ambientRepairs });
        if (fixes.plans.length === 0 && fixes.advice.length === 0) continue;
        clientFixes.push(fixes);
        if (clientFixes.filter((f) => f.plans.length > 0).length >= 3) break;
      }
      for (const fixes of clientFixes) remediations.push(...fixes.plans);
      const advice = [...new Set(clientFixes.flatMap((f) => f.advice))];
      const labelHelps = advice.length === 0 || clientFixes.some((f) => f.needsLabel);
      const resource: Ref = policy ? paRef(policy) : first.target.ref;
      const policyRefs = deciders.flatMap((b) => (b.decision?.policy ? [paRef(b.decision.policy)] : []));
      const several =
        policyRefs.length > 1
          ? ` The backends get STRICT from ${policyRefs.length} policies (${policyRefs.map((r) => `${r.namespace}/${r.name}`).join(', ')}), each for some of them, and calls are balanced over all: relax every one (the plans for them go together); one alone repairs no call.`
          : '';
      const clientRefs = group
        .slice(0, 5)
        .flatMap((f) => f.group.sample(5))
        .map((w) => ({
          kind: w.kind,
          namespace: w.meta.namespace,
          name: w.meta.name,
        }));
      // Ambient clients have a proxy (ztunnel): they send plaintext only to a sidecar that does not
      // accept HBONE, so their cause and fix differ from those of clients without any proxy.
      const ambient = group.some((f) => f.group.profile.proxy === 'ambient');
      const withoutProxy = group.some((f) => f.group.profile.proxy !== 'ambient');
      const clientWhy = [...new Set(group.slice(0, 3).flatMap((f) => f.group.sample(3)))]
        .slice(0, 3)
        .map((w) =>
          w.proxy === 'ambient'
            ? `${workloadName(w)} is in ambient (${w.proxyReason}): ztunnel sends its calls as plaintext to a sidecar that does not accept HBONE`
            : `${workloadName(w)} has no proxy: ${w.proxyReason}`,
        );
      // An ingress controller in kube-system is a real caller the injector will never give a sidecar.
      const uninjectable = [...proxylessNamespaces].filter(isNeverInjected).sort();
      const fixes = [
        ...(withoutProxy && labelHelps && proxylessNamespaces.size > 0
          ? [
              `Give the clients ${ambient ? 'without a proxy ' : ''}a sidecar (label their namespace for injection and restart them, or enrol them in ambient)`,
            ]
          : []),
        ...(withoutProxy ? advice.slice(0, 3) : []),
        ...(ambient
          ? [
              `${withoutProxy ? 'let' : 'Let'} the server's sidecars accept HBONE from ztunnel (meshConfig.defaultConfig.proxyMetadata ISTIO_META_ENABLE_HBONE: "true", as the ambient profile sets, then restart the server so the injector labels it networking.istio.io/tunnel=http) or enrol the server in ambient`,
            ]
          : []),
      ];
      findings.push(
        finding({
          code: 'strict-plaintext-clients',
          severity: hypothetical ? 'warning' : undefined,
          message: withoutProxy
            ? `Clients without a sidecar (${describeClients(group)}) cannot reach ${describeTargets(group)}: the server side requires mTLS and resets plaintext connections. Callers see: ${firstSymptom(group)}.`
            : `Ambient clients (${describeClients(group)}) cannot reach ${describeTargets(group)}: the server's sidecar does not accept HBONE, so ztunnel sends plaintext, which the server side resets as it requires mTLS. Callers see: ${firstSymptom(group)}.`,
          why: [
            ...deciders.slice(0, 3).map(describeBackendServer),
            ...clientWhy,
            ...(withoutProxy
              ? [
                  'A STRICT port accepts only Istio mTLS; a client without a proxy (and not in ambient) can only send plaintext.',
                ]
              : []),
            ...(ambient
              ? [
                  'ztunnel sends HBONE only to ambient pods and to pods labelled networking.istio.io/tunnel=http (workloads.go setTunnelProtocol), plaintext to the rest; the injector adds that label, and the sidecar its HBONE listener, only when the proxy config sets ISTIO_META_ENABLE_HBONE: "true".',
                ]
              : []),
          ],
          fix: `${fixes.join('; ')}${refusedNamespaces.length > 0 ? `${fixes.length > 0 ? '; a' : 'A'} sidecar would not let the callers in ${refusedNamespaces.join(', ')} in: with it they call with their own identity, which the server's AuthorizationPolicies refuse` : ''}; ${denial ? `accepting plaintext (PERMISSIVE, a port exception) would not help: ${denial}, which a plaintext call does not carry, so the reset would become a 403` : 'while migrating, accept plaintext with PERMISSIVE or a port-level exception on a selector policy (keyed by the container port)'}.${several}${uninjectable.length > 0 ? ` Callers in ${uninjectable.join(', ')} never get a sidecar (Istio's injector skips ${uninjectable.length > 1 ? 'those namespaces' : 'that namespace'}): keep the ports they call PERMISSIVE, or route them through an ingress gateway.` : ''}`,
          resource,
          location: policy?.meta.source,
          path: policy ? 'spec.mtls.mode' : undefined,
          related: [...policyRefs.slice(1), ...services, ...clientRefs],
          namespaces: clientNamespaces,
          remediations,
        }),
      );
    }
    if (mesh.snapshot.workloads.length === 0) findings.push(...policyOnlyFindings(mesh));
    return findings;
  },
};

/**
 * The groups of callers without a proxy that a sidecar would not let in: with one they call with their
 * own identity, which the server's AuthorizationPolicies refuse (only groups judged per identity).
 */
function refusedAsSidecars(mesh: ResolvedMesh, group: readonly Failure[]): Set<ClientGroup> {
  const refused = new Set<ClientGroup>();
  for (const f of group) {
    const g = f.group;
    if (g.profile.proxy !== 'none' || !g.profile.identity || refused.has(g)) continue;
    if (!mesh.outcomeForClass(mesh.asSidecar(g), f.target, f.port).ok) refused.add(g);
  }
  return refused;
}

/**
 * "AuthorizationPolicy shop/only-shop needs a caller identity (spec.rules[0].from[0].source.namespaces)"
 * when every failing backend's policies would still deny the call once it is accepted as plaintext.
 */
function authorizationStillDenies(mesh: ResolvedMesh, group: readonly Failure[]): string | undefined {
  if (mesh.authorization.isEmpty) return undefined;
  let named: string | undefined;
  for (const f of group)
    for (const b of f.backends) {
      const server = b.backend?.workload;
      // Who enforces the policies for a plaintext call, as the matrix judges it (connectivity.ts).
      const enforcer = authorizationEnforcer(b, false);
      if (!server || !enforcer) return undefined;
      const chain = filterChain(f.port, portExpectsTls(f.port));
      const call = { port: b.backend?.targetPort, enforcer, chain } as const;
      const denial = mesh.authorization.denialWithoutIdentity(server, call);
      if (!denial) return undefined;
      named ??= denial.identityFields
        .slice(0, 2)
        .map((f) => `AuthorizationPolicy ${f.policy.meta.namespace}/${f.policy.meta.name} asks for ${f.path}`)
        .join(' and ');
    }
  return named ? `${named}: a caller identity` : undefined;
}

/** The policies that made the failing backends STRICT, by name, each with the first backend it decided. */
function decidersOf(failures: readonly Failure[]): Map<string, BackendOutcome> {
  const deciders = new Map<string, BackendOutcome>();
  for (const f of failures)
    for (const b of f.backends) {
      const key = decidingKey(b);
      if (!deciders.has(key)) deciders.set(key, b);
    }
  return deciders;
}

/** The policies that made a failure's backends STRICT, as a key (one policy: its name). */
function decidingPolicies(f: Failure): string {
  // Asked once per failing (client group, port): tens of thousands on a large mesh.
  if (f.backends.length === 1) return decidingKey(f.backends[0] as BackendOutcome);
  const keys = f.backends.map(decidingKey);
  return keys.every((k) => k === keys[0]) ? (keys[0] ?? 'default') : [...new Set(keys)].sort().join('+');
}

const policyKeys = new WeakMap<object, string>();

function decidingKey(b: BackendOutcome): string {
  const policy = b.decision?.policy;
  if (!policy) return 'default';
  let key = policyKeys.get(policy);
  if (key === undefined) {
    key = `${policy.meta.namespace}/${policy.meta.name}`;
    policyKeys.set(policy, key);
  }
  return key;
}

/**
 * PERMISSIVE where each failing backend got STRICT: the policy's own mode (a STRICT port entry stays
 * STRICT whatever spec.mtls.mode says: that port gets its exception instead), or for the mesh policy
 * the namespace's. Only plans that repair a call; those a call needs together are marked so.
 */
function permissivePlans(mesh: ResolvedMesh, group: readonly Failure[]): RemediationPlan[] {
  return plansRepairingEach(
    group.map((f) => f.backends),
    (b) => {
      const namespace = b.backend?.workload.meta.namespace;
      const key = b.decision?.level === 'mesh' ? `namespace ${namespace}` : decidingKey(b);
      return { key, make: () => permissiveFix(mesh, b, namespace) };
    },
  );
}

function permissiveFix(
  mesh: ResolvedMesh,
  b: BackendOutcome,
  namespace: string | undefined,
): RemediationPlan | undefined {
  const { level, policy } = b.decision ?? {};
  if (policy && (level === 'namespace' || level === 'workload'))
    return setPeerAuthenticationMode(policy, 'PERMISSIVE');
  // A namespace-wide policy that sets no mode still wins its scope (the oldest does): a new policy
  // beside it would be ignored, so that policy is the one to set PERMISSIVE. The root namespace's
  // namespace-wide policy is the mesh policy: no namespace fix there.
  if (level === 'mesh' && namespace && namespace !== mesh.rootNamespace)
    return namespaceModeFix(mesh, namespace, 'PERMISSIVE');
  return undefined;
}

/**
 * The port exception for each failing backend of one failure (keyed by its container port), in the
 * selector policy that decides it; the backends without one share the policy made for the Service's
 * selector. Offered when every backend gets one, together when there are several.
 */
function portExceptions(mesh: ResolvedMesh, f: Failure): RemediationPlan[] {
  const selector = f.target.service?.selector;
  if (!selector) return [];
  const plans = new Map<string, RemediationPlan>();
  let forSelector = false;
  for (const b of f.backends) {
    const server = b.backend?.workload;
    const port = b.backend?.targetPort;
    if (!server || port === undefined) return [];
    const own = mesh.peerAuthentications.forWorkload(server).workload;
    if (!own && forSelector) continue;
    const made = portExceptionFor(mesh, server, selector, port);
    if (made.length === 0) return [];
    forSelector ||= !own;
    for (const plan of made) plans.set(plan.id, plan);
  }
  return appliedTogether([...plans.values()]);
}

// Policy-only input: no clients are known, but every STRICT policy still rejects any client without a
// proxy. Not the policies Istio ignores (peerauthentication-conflict names those): they reject nothing.
function policyOnlyFindings(mesh: ResolvedMesh): Finding[] {
  return mesh.snapshot.peerAuthentications
    .filter((pa) => pa.mode === 'STRICT' && !mesh.peerAuthentications.ignoredEverywhere(pa))
    .map((pa) => {
      const scope = pa.selector
        ? `the workloads selected by ${formatSelector(pa.selector)} in ${pa.meta.namespace}`
        : pa.meta.namespace === mesh.rootNamespace
          ? 'every workload in the mesh without its own policy'
          : `every workload in ${pa.meta.namespace}`;
      return finding({
        code: 'strict-plaintext-clients',
        severity: 'warning',
        message: `PeerAuthentication ${pa.meta.namespace}/${pa.meta.name} is STRICT: clients without a sidecar (and not in ambient) that call ${scope} are reset (${SYMPTOMS.reset}). The input has no workloads, so which clients exist is unknown: check against the cluster before merging.`,
        why: ['A STRICT port accepts only Istio mTLS; a client without a proxy can only send plaintext.'],
        fix: 'Make sure every client has a sidecar first; while migrating, use PERMISSIVE or a port-level exception on a selector policy.',
        resource: paRef(pa),
        location: pa.meta.source,
        path: 'spec.mtls.mode',
        remediations:
          pa.meta.namespace === mesh.rootNamespace ? [] : [setPeerAuthenticationMode(pa, 'PERMISSIVE')],
      });
    });
}
