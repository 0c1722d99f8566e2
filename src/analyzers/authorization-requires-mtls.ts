// Calls that reach their server without a peer identity (plaintext, or the app's own TLS passed through
// a PERMISSIVE/DISABLE server), where the server's AuthorizationPolicies need one: an ALLOW policy whose
// every rule names principals, namespaces or service accounts, or the "require mTLS" DENY pattern
// (notPrincipals/notNamespaces). The transport works; the server's proxy then denies the call (mesh/
// authorization.ts decides, following Istio's RBAC builder and ztunnel). Kiali's KIA0105 is the nearest
// check, judged from namespace-level settings alone.
import type { AuthorizationDenial } from '../mesh/authorization.js';
import type { TlsSource } from '../mesh/connectivity.js';
import { AMBIENT_CLASS, type ResolvedMesh } from '../mesh/resolve.js';
import { formatSelector } from '../mesh/selectors.js';
import { plansRepairingEach } from '../remediation/plan-set.js';
import { enableAutoMtls, type RemediationPlan, setPeerAuthenticationMode } from '../remediation/plans.js';
import type { AuthorizationPolicy, Labels, Workload } from '../snapshot/types.js';
import {
  affectedNamespaces,
  describeClients,
  type Failure,
  failuresWithReason,
  groupBy,
  targetName,
  workloadName,
} from './connectivity-failures.js';
import {
  apName,
  apRef,
  describeBackendServer,
  describeRuleChoice,
  describeTargets,
  firstSymptom,
  ruleFieldOf,
  ruleOf,
} from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { namespaceModeFix } from './namespace-policy-fix.js';
import { proxyFixes, proxylessIn } from './proxy-fix.js';
import { conflictRemedy } from './tls-conflict-plans.js';

export const authorizationRequiresMtls: Analyzer = {
  name: 'AuthorizationRequiresMtls',
  codes: ['authorization-requires-mtls'],
  analyze(mesh) {
    const failures = failuresWithReason(mesh, 'authorization-requires-mtls');
    // One finding per denying policy (or set of ALLOW policies): that is what its owner reads and changes.
    const byPolicy = groupBy(failures, (f) => {
      const denial = denialOf(f);
      return `${denial?.action}:${denial?.policies.map(apName).join(',')}`;
    });
    const findings: Finding[] = [];
    for (const group of byPolicy.values()) {
      const first = group[0];
      const backend = first?.backends[0];
      const denial = first && denialOf(first);
      if (!first || !backend || !denial) continue;
      const shown = denial.identityFields[0] ?? { policy: denial.policies[0] as AuthorizationPolicy };
      const policy = shown.policy;
      const remedy = remedies(mesh, group);
      findings.push(
        finding({
          code: 'authorization-requires-mtls',
          message: `${describeClients(group)} cannot reach ${describeTargets(group)}: ${policyWords(denial)}, and their calls arrive without one (${arrivalWords(group)}), so ${denial.enforcer === 'ztunnel' ? 'ztunnel' : "the server's sidecar"} denies them. Callers see: ${firstSymptom(group)}.`,
          why: [
            ...denial.policies.map((p) => scopeWords(mesh, p)),
            identityWords(denial),
            describeBackendServer(backend),
            ...clientWhy(group),
          ],
          fix: [...remedy.fix, OTHER_FIX].join('; '),
          resource: apRef(policy),
          location: policy.meta.source,
          path: 'path' in shown ? shown.path : 'spec.rules',
          related: [
            ...denial.policies.slice(1).map(apRef),
            ...group.map((f) => f.target.ref),
            ...group
              .slice(0, 5)
              .flatMap((f) => f.group.sample(3))
              .map((w) => ({ kind: w.kind, namespace: w.meta.namespace, name: w.meta.name })),
          ],
          namespaces: affectedNamespaces(mesh, group),
          remediations: remedy.plans,
        }),
      );
    }
    if (mesh.snapshot.workloads.length === 0) findings.push(...policyOnlyFindings(mesh));
    return findings;
  },
};

/**
 * Policy-only input (a repository of policies, no workloads): where a PeerAuthentication DISABLE governs
 * the workloads a policy selects, every call reaches them as plaintext (auto mTLS sends plaintext there,
 * and mTLS would not be accepted), so a policy that needs an identity denies them all, whoever calls.
 */
function policyOnlyFindings(mesh: ResolvedMesh): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  const root = mesh.rootNamespace;
  const withPolicies = [...new Set(mesh.snapshot.peerAuthentications.map((p) => p.meta.namespace))];
  for (const policy of mesh.authorization.policies()) {
    // A root-namespace policy selects in every namespace: judged where a policy could make them DISABLE.
    const namespaces = policy.meta.namespace === root ? [root, ...withPolicies] : [policy.meta.namespace];
    for (const ns of [...new Set(namespaces)]) {
      if (!sidecarNamespace(mesh, ns)) continue;
      const server = standIn(ns, policy.selector ?? {});
      const decision = mesh.peerAuthentications.forWorkload(server).base;
      if (decision.mode !== 'DISABLE') continue;
      // No port known: its filter chain is not either, so HTTP fields count as "may match".
      const call = { port: undefined, enforcer: 'sidecar', chain: 'http' } as const;
      const denial = mesh.authorization.denialWithoutIdentity(server, call);
      const first = denial?.policies[0];
      if (!denial || !first || reported.has(apName(first))) continue;
      reported.add(apName(first));
      const shown = denial.identityFields[0];
      const pa = decision.policy;
      const scope = policy.selector
        ? `the workloads labelled ${formatSelector(policy.selector)}`
        : 'the workloads';
      findings.push(
        finding({
          code: 'authorization-requires-mtls',
          severity: 'warning',
          message: `${pa ? `PeerAuthentication ${pa.meta.namespace}/${pa.meta.name}` : 'A PeerAuthentication'} makes ${scope} in ${ns} DISABLE, so every call reaches them as plaintext, without a peer identity, and ${policyWords(denial)}: every call to them is denied (${denialSymptomWords}). The input has no workloads, so this is judged from the policies alone.`,
          why: [...denial.policies.map((p) => scopeWords(mesh, p)), identityWords(denial)],
          fix: 'Switch the PeerAuthentication to PERMISSIVE (or STRICT once every client has a sidecar) so that sidecar clients call with mTLS and their identity, or change the AuthorizationPolicy.',
          resource: apRef(first),
          location: first.meta.source,
          path: shown?.path ?? 'spec.rules',
          related: pa
            ? [{ kind: 'PeerAuthentication', namespace: pa.meta.namespace, name: pa.meta.name }]
            : [],
          namespaces: [ns],
          remediations:
            pa && pa.meta.namespace !== root
              ? [setPeerAuthenticationMode(pa, 'PERMISSIVE')]
              : ns !== root
                ? [namespaceModeFix(mesh, ns, 'PERMISSIVE')]
                : [],
        }),
      );
    }
  }
  return findings;
}

const denialSymptomWords = '403 "RBAC: access denied" over HTTP, the connection closed at once over TCP';

/**
 * Whether the policies alone are judged as sidecars enforce them: not in an ambient namespace, where
 * HBONE carries the caller's identity whatever the PeerAuthentication says, nor in one opted out of
 * injection, whose workloads have no proxy to enforce anything. A namespace the input lacks: sidecars.
 */
function sidecarNamespace(mesh: ResolvedMesh, namespace: string): boolean {
  const labels = mesh.snapshot.namespaces.find((n) => n.name === namespace)?.labels ?? {};
  const injection = labels['istio-injection'];
  // Sidecar injection wins over the ambient label (proxy-status.ts decideProxy).
  if (injection === 'enabled') return true;
  return injection !== 'disabled' && labels['istio.io/dataplane-mode'] !== 'ambient';
}

/** A server the policies alone describe: the labels a policy selects, in a namespace. */
function standIn(namespace: string, labels: Labels): Workload {
  return {
    kind: 'Pod',
    meta: { name: '(any workload)', namespace, labels: {}, annotations: {} },
    podLabels: labels,
    podAnnotations: {},
    serviceAccount: 'default',
    containerNames: [],
    ports: [],
    hostNetwork: false,
    httpProbePorts: [],
    proxy: 'sidecar',
    proxyReason: 'judged from the policies alone',
    podNames: [],
  };
}

const OTHER_FIX =
  'or, if these callers are meant to get in without an identity, add a rule for them to the AuthorizationPolicy (by ipBlocks, say: then anyone from those addresses gets in)';

function denialOf(f: Failure): AuthorizationDenial | undefined {
  return f.backends.find((b) => b.authorization)?.authorization;
}

function fieldList(denial: AuthorizationDenial): string {
  const fields = [...new Set(denial.identityFields.map((f) => ruleFieldOf(f.path)))];
  return fields.length > 0 ? fields.join(', ') : 'source identities';
}

function policyWords(denial: AuthorizationDenial): string {
  const names = denial.policies.map(apName);
  if (denial.action === 'DENY')
    return `AuthorizationPolicy ${names[0]} denies callers without an mTLS identity (${fieldList(denial)})`;
  return `${names.length > 1 ? `the ALLOW policies ${names.join(', ')} let` : `AuthorizationPolicy ${names[0]} lets`} in only callers with an mTLS identity (${fieldList(denial)})`;
}

function scopeWords(mesh: ResolvedMesh, p: AuthorizationPolicy): string {
  const root = p.meta.namespace === mesh.rootNamespace;
  const scope = p.selector
    ? `the workloads labelled ${formatSelector(p.selector)}${root ? ' in every namespace (it is in the root namespace)' : ` in ${p.meta.namespace}`}`
    : root
      ? 'every workload of the mesh (it is in the root namespace)'
      : `every workload in ${p.meta.namespace}`;
  return `AuthorizationPolicy ${apName(p)} (${p.action}) applies to ${scope}.`;
}

function identityWords(denial: AuthorizationDenial): string {
  const where =
    denial.enforcer === 'ztunnel'
      ? 'ztunnel gives a plaintext connection no source identity (an ALLOW rule naming HTTP attributes never matches there)'
      : "the sidecar's RBAC filter matches principals, namespaces and service accounts against the peer certificate, which only Istio mTLS carries";
  return denial.action === 'DENY'
    ? `A call without an identity matches ${fieldList(denial)}: ${where}, so "not any of these" holds and the DENY rule applies.`
    : `No ALLOW rule can match a call without an identity: ${where}; once an ALLOW policy applies, a call that matches none of its rules is denied.`;
}

const ARRIVAL: Partial<Record<TlsSource, string>> = {
  'no-proxy': 'plaintext from clients without a sidecar',
  ambient: 'plaintext from ztunnel, which sends HBONE only to ambient pods and to sidecars that accept it',
  'namespace-disable':
    "plaintext: auto mTLS sends plaintext to a service whose namespace's (or the mesh's) PeerAuthentication is DISABLE",
  'auto-mtls': 'plaintext: auto mTLS sends plaintext to pods whose own PeerAuthentication is DISABLE',
  'auto-mtls-off': 'plaintext: enableAutoMtls is false and no DestinationRule sets ISTIO_MUTUAL',
  'destination-rule': 'a DestinationRule sets a tls.mode other than ISTIO_MUTUAL',
  'outbound-excluded': "plaintext: the port or the service's address bypasses the client's sidecar",
  passthrough: 'plaintext through PassthroughCluster: the client sidecar cannot see the service',
  'credential-ignored':
    'plaintext: sidecars ignore a DestinationRule credentialName without workloadSelector',
  'headless-fallback':
    'plaintext: a headless service with a pod without sidecar gets plaintext for every pod',
};

function arrivalWords(group: readonly Failure[]): string {
  const words = [...new Set(group.map((f) => ARRIVAL[f.outcome.tlsSource] ?? 'plaintext'))];
  return words.join('; ');
}

function clientWhy(group: readonly Failure[]): string[] {
  const lines: string[] = [];
  const rules = group.filter((f) => f.outcome.tlsSource === 'destination-rule' && f.outcome.rule);
  if (rules.length > 0) lines.push(describeRuleChoice(rules.map((f) => f.outcome.rule)));
  const clients = [...new Set(group.slice(0, 3).flatMap((f) => f.group.sample(3)))].slice(0, 3);
  for (const w of clients)
    if (w.proxy !== 'sidecar') lines.push(`${workloadName(w)} ${proxyWords(w)}: ${w.proxyReason}`);
  if (group.some((f) => f.group.hypothetical))
    lines.push('The input has no workloads calling it: judged for any client of that kind.');
  return lines;
}

function proxyWords(w: Workload): string {
  return w.proxy === 'ambient' ? 'is in ambient' : 'has no proxy';
}

/** The plans that give the calls an identity, and what to do where no plan fits. */
function remedies(
  mesh: ResolvedMesh,
  group: readonly Failure[],
): { plans: RemediationPlan[]; fix: string[] } {
  const plans: RemediationPlan[] = [];
  const fix: string[] = [];
  const bySource = groupBy(group, (f) => f.outcome.tlsSource);
  for (const [source, failures] of bySource) {
    const first = failures[0] as Failure;
    const backend = first.backends[0];
    switch (source as TlsSource) {
      case 'no-proxy': {
        // A sidecar gives them an identity only where sidecars send the server mTLS.
        const sidecarsReach = failures.every(
          (f) => mesh.outcomeForClass(mesh.asSidecar(f.group), f.target, f.port).ok,
        );
        if (!sidecarsReach) {
          fix.push(
            'Make the server side receive mTLS first (below): with a sidecar, these clients would still send plaintext',
          );
          break;
        }
        const ambientRepairs = () =>
          failures.every((f) => mesh.outcomeForClass(AMBIENT_CLASS, f.target, f.port).ok);
        const namespaces = new Set(failures.flatMap((f) => f.group.namespaces()));
        const advice: string[] = [];
        let withPlans = 0;
        for (const ns of namespaces) {
          const fixes = proxyFixes(mesh, ns, proxylessIn(mesh, ns), { ambientRepairs });
          plans.push(...fixes.plans);
          advice.push(...fixes.advice);
          if (fixes.plans.length > 0 && ++withPlans >= 3) break;
        }
        fix.push(
          `Give the clients without a proxy a sidecar (label their namespace for injection and restart them, or enrol them in ambient): their calls then carry their mTLS identity${advice.length > 0 ? ` (${[...new Set(advice)].slice(0, 3).join('; ')})` : ''}`,
        );
        break;
      }
      case 'namespace-disable': {
        for (const ns of new Set(failures.map((f) => f.target.namespace))) {
          const meshPolicy = mesh.peerAuthentications.meshPolicy;
          if (ns !== mesh.rootNamespace) plans.push(namespaceModeFix(mesh, ns, 'PERMISSIVE'));
          else if (meshPolicy) plans.push(setPeerAuthenticationMode(meshPolicy, 'PERMISSIVE'));
        }
        fix.push(
          "Switch the server namespace's PeerAuthentication from DISABLE to PERMISSIVE (or STRICT once every client has a sidecar): auto mTLS then sends sidecar clients' calls as mTLS, with their identity",
        );
        break;
      }
      case 'auto-mtls': {
        const decision = backend?.decision;
        const own = ownPolicyPlans(failures);
        plans.push(...own);
        fix.push(
          `Switch the server's own PeerAuthentication${decision?.level === 'port' ? ` entry for port ${backend?.backend?.targetPort}` : ''} from DISABLE to PERMISSIVE: auto mTLS then sends its sidecar clients' calls as mTLS${own.length > 1 ? ` (calls are balanced over backends with ${own.length} such policies: relax every one, the plans go together)` : ''}`,
        );
        break;
      }
      case 'auto-mtls-off':
        plans.push(enableAutoMtls(mesh.snapshot.meshConfig.source, mesh.snapshot.meshConfig.meshText));
        fix.push('Enable auto mTLS (or add a DestinationRule with ISTIO_MUTUAL for the service)');
        break;
      case 'destination-rule': {
        for (const byRule of groupBy(failures, (f) => `${policyKey(f)}`).values()) {
          const match = byRule[0]?.outcome.rule;
          const path = byRule[0]?.outcome.resolvedTls?.path;
          if (!match || !path) continue;
          const rule = ruleOf(match.rule);
          const remedy = conflictRemedy(mesh, byRule, match.rule, rule, path, 'ISTIO_MUTUAL');
          plans.push(...remedy.plans);
          fix.push(remedy.fix);
        }
        break;
      }
      case 'ambient':
        fix.push(
          'Let the server\'s sidecars accept HBONE from ztunnel (meshConfig.defaultConfig.proxyMetadata ISTIO_META_ENABLE_HBONE: "true", then restart the server) or enrol the server in ambient: HBONE carries the caller\'s identity',
        );
        break;
      case 'outbound-excluded':
        fix.push(
          "Stop the calls bypassing the client's sidecar (excludeOutboundPorts / excludeOutboundIPRanges)",
        );
        break;
      case 'passthrough':
        fix.push("Let the client's sidecar see the service (exportTo, its Sidecar's egress hosts)");
        break;
      default:
        fix.push(`Make ${targetName(first.target, first.port)}'s callers use Istio mTLS`);
    }
  }
  return { plans, fix };
}

/**
 * PERMISSIVE for the workload-level DISABLE policy of each failing backend: calls are balanced over all
 * backends, so a call is repaired only when every one it reaches is relaxed. A call that needs several
 * gets them marked as a set (appliedTogether); a backend with no such policy leaves its calls unrepaired.
 */
function ownPolicyPlans(failures: readonly Failure[]): RemediationPlan[] {
  return plansRepairingEach(
    failures.map((f) => f.backends),
    (b) => {
      if (b.ok) return undefined;
      const { mode, level, policy } = b.decision ?? {};
      return {
        key: policy ? `${policy.meta.namespace}/${policy.meta.name}` : 'none',
        make: () =>
          mode === 'DISABLE' && level === 'workload' && policy
            ? setPeerAuthenticationMode(policy, 'PERMISSIVE')
            : undefined,
      };
    },
  );
}

function policyKey(f: Failure): string {
  const rule = f.outcome.rule ? ruleOf(f.outcome.rule.rule) : undefined;
  return `${rule?.meta.namespace}/${rule?.meta.name}#${f.outcome.resolvedTls?.path}`;
}
