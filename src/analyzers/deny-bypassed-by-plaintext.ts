// A DENY AuthorizationPolicy whose rule names the callers to refuse by their mTLS identity (principals,
// namespaces, service accounts, trust domains, a source.* condition) on a server port that accepts
// plaintext (PERMISSIVE or DISABLE, or ztunnel's PERMISSIVE): a plaintext call carries no peer identity,
// so the rule never matches it, and the caller it names gets in by calling without mTLS (a pod without
// a sidecar, or an outbound port excluded from it). A security hole, not an outage: nothing fails.
// Istio's ISTIO-SECURITY-2021-004 and concepts/security "Dependency on mutual TLS" describe it; neither
// istioctl analyze nor Kiali reports it. What matches a call without an identity is mesh/authorization.ts
// (generator.go/model.go: a positive identity value is an `authenticated` or peer-principal matcher,
// which a connection without a peer certificate never matches; a `not` value wraps it in NotId, so
// notPrincipals/notNamespaces DO match plaintext: the "require mTLS" pattern, no hole).
import { type Enforcer, identityOnlyDenyFields } from '../mesh/authorization.js';
import { accepts, authorizationEnforcer, type ServerSide } from '../mesh/connectivity.js';
import { filterChain } from '../mesh/port-protocol.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import { withNamespaceMode } from '../mesh/server-mode.js';
import { backendsForPort, portExpectsTls } from '../mesh/targets.js';
import type { RemediationPlan } from '../remediation/plans.js';
import { setPeerAuthenticationMode } from '../remediation/plans.js';
import type { AuthorizationPolicy, AuthorizationRule, Ref } from '../snapshot/types.js';
import { groupBy, targetName, workloadName } from './connectivity-failures.js';
import { bypassingToday } from './deny-bypass-today.js';
import { apName, apRef, describeDecision, paRef, ruleFieldOf } from './explain.js';
import { type AnalysisContext, type Analyzer, type Finding, finding } from './finding.js';
import { namespaceModeFix } from './namespace-policy-fix.js';
import { checkStrictChange, type OpenPort } from './strict-plan-check.js';

/** How many STRICT plans one finding judges (each resolves the mesh again). */
const MAX_CHECKED = 4;
/** And all findings of one check together: many DENY policies on a large mesh must not take minutes. */
const MAX_CHECKED_PER_MESH = 16;

/** STRICT judgements left in one analysis. */
interface Budget {
  left: number;
}

/** One DENY rule a plaintext call slips past on one server port. */
export interface Hole extends OpenPort {
  readonly policy: AuthorizationPolicy;
  readonly ruleIndex: number;
  /** The rule's identity fields, as paths (`spec.rules[0].from[0].source.namespaces`). */
  readonly paths: readonly string[];
  readonly server: ServerSide;
  readonly enforcer: Enforcer;
}

export const denyBypassedByPlaintext: Analyzer = {
  name: 'DenyBypassedByPlaintext',
  codes: ['deny-bypassed-by-plaintext'],
  analyze(mesh, context) {
    if (mesh.authorization.isEmpty) return [];
    const byPolicy = groupBy(findHoles(mesh), (h) => `${h.policy.meta.namespace}/${h.policy.meta.name}`);
    const budget: Budget = { left: MAX_CHECKED_PER_MESH };
    return [...byPolicy.values()].map((holes) => policyFinding(mesh, context, holes, budget));
  },
};

/**
 * Every server port behind a Service whose proxy enforces the policies on plaintext and accepts it,
 * where a DENY rule asks for an identity and nothing else of the workload's policies refuses a call
 * without one (an ALLOW policy that needs an identity, a "require mTLS" DENY rule): then the hole is real.
 */
function findHoles(mesh: ResolvedMesh): Hole[] {
  const holes: Hole[] = [];
  for (const workload of mesh.snapshot.workloads) {
    if (workload.proxy === 'none' || workload.gateway) continue;
    const deny = mesh.authorization.policiesFor(workload).deny;
    if (deny.length === 0) continue;
    for (const target of mesh.targetsOf(workload)) {
      for (const port of target.ports) {
        for (const backend of backendsForPort(target, port)) {
          if (backend.workload !== workload || backend.targetPort === undefined) continue;
          const server = mesh.evaluator.serverSide(backend);
          // No proxy on the port (excluded, a gateway's listeners): nothing enforces the rule at all.
          const enforcer = authorizationEnforcer(server, false);
          const appTls = portExpectsTls(port);
          if (!enforcer || !accepts(server, 'DISABLE', appTls)) continue;
          const call = { port: backend.targetPort, enforcer, chain: filterChain(port, appTls) };
          if (mesh.authorization.refusesWithoutIdentity(workload, call)) continue;
          for (const policy of deny)
            policy.rules.forEach((rule, ruleIndex) => {
              const paths = identityOnlyDenyFields(rule, ruleIndex, call);
              if (paths.length > 0)
                holes.push({ policy, ruleIndex, paths, target, port, backend, server, enforcer });
            });
        }
      }
    }
  }
  return holes;
}

function policyFinding(
  mesh: ResolvedMesh,
  context: AnalysisContext,
  holes: readonly Hole[],
  budget: Budget,
): Finding {
  const first = holes[0] as Hole;
  const { policy } = first;
  const rules = [...new Set(holes.map((h) => h.ruleIndex))].map((i) => policy.rules[i] as AuthorizationRule);
  const meant = meantWords(rules);
  const ports = [...new Set(holes.map(portName))];
  const shownPorts =
    ports.length > 4 ? `${ports.slice(0, 4).join(', ')} and ${ports.length - 4} more` : ports.join(', ');
  const today = bypassingToday(mesh, holes);
  const remedy = remedies(mesh, context, holes, budget);
  const todayWords =
    today.length > 0
      ? ` It happens today: ${today.slice(0, 3).join('; ')}${today.length > 3 ? ` and ${today.length - 3} more` : ''}.`
      : '';
  const servers = [...new Map(holes.map((h) => [serverKey(h), h])).values()];
  return finding({
    code: 'deny-bypassed-by-plaintext',
    message: `AuthorizationPolicy ${apName(policy)} (DENY) is meant to refuse ${meant}, but ${shownPorts} accept${ports.length > 1 ? '' : 's'} plaintext: a plaintext call carries no peer identity, so the rule never matches it, and those callers get in by calling without mTLS (from a pod without a sidecar, or through a port that bypasses it).${todayWords}`,
    why: [
      `${[...new Set(holes.map((h) => `spec.rules[${h.ruleIndex}]`))].join(', ')} match${rules.length > 1 ? '' : 'es'} the caller by ${fieldList(holes)}: Istio compares ${rules.length > 1 ? 'them' : 'it'} with the peer certificate of Istio mTLS (an "authenticated" matcher in the sidecar's RBAC filter, the connection's identity in ztunnel), which a plaintext call does not have, so it cannot match; a DENY rule that does not match denies nothing (ISTIO-SECURITY-2021-004).`,
      ...servers.slice(0, 4).map(serverWords),
      'Nothing else in the policies of these workloads refuses a call without an identity (no ALLOW policy that needs one, no DENY rule with notPrincipals or notNamespaces).',
    ],
    fix: [
      ...remedy.fix,
      `or make the policies refuse calls without an identity (ISTIO-SECURITY-2021-004): add a DENY rule with source notNamespaces: ["*"], or write the policy as ALLOW with namespaces: ["*"] beside notNamespaces listing the callers it names. Either refuses every plaintext caller (a 403 where STRICT resets), so clients that need plaintext must get a sidecar first; an ALLOW with notNamespaces alone lets plaintext in too`,
    ].join('; '),
    resource: apRef(policy),
    location: policy.meta.source,
    path: first.paths[0],
    related: [
      ...[...new Set(holes.map((h) => h.server.decision?.policy).filter((p) => !!p))].map((p) =>
        paRef(p as NonNullable<typeof p>),
      ),
      ...holes.map((h) => h.target.ref),
      ...servers.map(
        (h): Ref => ({
          kind: h.backend.workload.kind,
          namespace: h.backend.workload.meta.namespace,
          name: h.backend.workload.meta.name,
        }),
      ),
    ],
    namespaces: holes.map((h) => h.target.namespace),
    remediations: remedy.plans,
  });
}

function portName(h: Hole): string {
  return `${targetName(h.target, h.port)} (${workloadName(h.backend.workload)} port ${h.backend.targetPort})`;
}

function serverKey(h: Hole): string {
  return `${workloadName(h.backend.workload)}:${h.backend.targetPort}`;
}

function serverWords(h: Hole): string {
  const where = `${workloadName(h.backend.workload)} port ${h.backend.targetPort}`;
  if (h.enforcer === 'ztunnel')
    return `${where} is ambient and ztunnel accepts plaintext there: ${describeDecision(h.server.decision, h.backend.targetPort)}. ztunnel applies the rule, but a plaintext connection has no identity.`;
  return `${where} accepts plaintext: ${describeDecision(h.server.decision, h.backend.targetPort)}.`;
}

/** "callers in namespace legacy, principal cluster.local/ns/ops/sa/tool" */
function meantWords(rules: readonly AuthorizationRule[]): string {
  const words: string[] = [];
  const add = (what: string, values: readonly string[] | undefined) => {
    if (!values) return;
    if (values.includes('*')) words.push(`every caller with an mTLS ${what}`);
    else words.push(`${what}${values.length > 1 ? 's' : ''} ${values.join(', ')}`);
  };
  for (const rule of rules) {
    for (const source of rule.from ?? []) {
      add('namespace', source?.namespaces);
      add('principal', source?.principals);
      add('service account', source?.serviceAccounts);
      add('trust domain', source?.trustDomains);
    }
    for (const c of rule.when ?? []) if (c.key.startsWith('source.') && c.values) add(c.key, c.values);
  }
  const unique = [...new Set(words)];
  return `callers from ${unique.slice(0, 4).join('; ')}${unique.length > 4 ? ' and more' : ''}`;
}

function fieldList(holes: readonly Hole[]): string {
  const fields = new Set(holes.flatMap((h) => h.paths.map(ruleFieldOf)));
  return [...fields].join(', ');
}

/**
 * STRICT where it closes the ports and breaks nothing (checkStrictChange), else what to do instead.
 * STRICT at the level that decides the port: the workload's own policy, or the namespace's; a
 * port-level entry has no plan of its own, nor does the root namespace (that would be the whole mesh).
 */
function remedies(
  mesh: ResolvedMesh,
  context: AnalysisContext,
  holes: readonly Hole[],
  budget: Budget,
): { plans: RemediationPlan[]; fix: string[] } {
  const plans: RemediationPlan[] = [];
  const fix: string[] = [];
  const byServer = [...new Map(holes.map((h) => [serverKey(h), h])).values()];
  const candidates = new Map<
    string,
    {
      plan: RemediationPlan;
      change: () => ReturnType<typeof withNamespaceMode>;
      namespace: string;
      open: Hole[];
    }
  >();
  const manual: string[] = [];
  for (const h of byServer) {
    const decision = h.server.decision;
    const ns = h.backend.workload.meta.namespace;
    const all = mesh.snapshot.peerAuthentications;
    let candidate: { plan: RemediationPlan; change: () => ReturnType<typeof withNamespaceMode> } | undefined;
    if (decision?.level === 'port' && decision.policy) {
      manual.push(
        `set port ${h.backend.targetPort} of PeerAuthentication ${decision.policy.meta.namespace}/${decision.policy.meta.name} (portLevelMtls) to STRICT`,
      );
    } else if (decision?.level === 'workload' && decision.policy) {
      const pa = decision.policy;
      candidate = {
        plan: setPeerAuthenticationMode(pa, 'STRICT'),
        change: () => all.map((p) => (p === pa ? { ...p, mode: 'STRICT' as const } : p)),
      };
    } else if (ns !== mesh.rootNamespace) {
      candidate = {
        plan: namespaceModeFix(mesh, ns, 'STRICT'),
        change: () => withNamespaceMode(all, ns, 'STRICT'),
      };
    }
    if (!candidate) continue;
    const entry = candidates.get(candidate.plan.id) ?? { ...candidate, namespace: ns, open: [] };
    entry.open.push(h);
    candidates.set(candidate.plan.id, entry);
  }
  const breaks: string[] = [];
  let closed = 0;
  let refused = 0;
  // Each check resolves the mesh again: a policy over many namespaces gets a few judged, not all.
  const judged = [...candidates.values()].slice(0, Math.min(MAX_CHECKED, budget.left));
  budget.left -= judged.length;
  const unjudged = candidates.size - judged.length;
  for (const c of judged) {
    const check = checkStrictChange(
      mesh,
      context,
      c.namespace,
      c.change(),
      c.open,
      holes[0]?.policy as AuthorizationPolicy,
    );
    if (!check.closes) continue;
    if (check.breaks.length > 0) {
      breaks.push(...check.breaks);
      continue;
    }
    plans.push(c.plan);
    closed += c.open.length;
    refused += check.refused;
  }
  const ports = (n: number) => (n > 1 ? 'ports' : 'port');
  if (plans.length > 0)
    fix.push(
      `Make the ${closed === byServer.length ? ports(closed) : `${ports(closed)} it can`} STRICT (${plans.length > 1 ? 'plans' : 'plan'} below): judged on every call that works today, it breaks none but those the policy means to refuse, and a call without mTLS is then refused before the policy is asked${refused > 0 ? `. Its impact counts the ${refused > 1 ? `${refused} calls` : 'call'} the policy then refuses as broken (the policy working at last): fix --apply needs --accept-breaking, and Slack asks the approver to confirm` : ''}`,
    );
  if (breaks.length > 0) {
    const shown = [...new Set(breaks)];
    fix.push(
      `STRICT is not offered${plans.length > 0 ? ' for the others' : ''}: it would reset calls that reach the namespace's services without mTLS today: ${shown.slice(0, 3).join('; ')}${shown.length > 3 ? ` and ${shown.length - 3} more` : ''}. Give those clients a sidecar (or enrol them in ambient) first, then switch to STRICT`,
    );
  }
  if (unjudged > 0)
    fix.push(
      `STRICT for ${unjudged} more ${unjudged > 1 ? 'scopes' : 'scope'} (a namespace or a workload policy) is not judged here: check the matrix for plaintext clients first`,
    );
  if (manual.length > 0) fix.push(`${manual.slice(0, 3).join('; ')} (no plan: the port entry decides)`);
  if (plans.length === 0 && breaks.length === 0 && manual.length === 0)
    fix.push(`Switch the ${ports(byServer.length)} to STRICT once no client needs plaintext there`);
  return { plans, fix };
}
