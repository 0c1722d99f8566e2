// security.istio.io AuthorizationPolicy as the snapshot keeps it, and the gap that says which policies
// the analysis leaves unchecked (those bound to gateways and waypoints).
import type { z } from 'zod';
import type { authorizationPolicySpecSchema } from './schemas.js';
import type {
  AuthorizationOperation,
  AuthorizationPolicy,
  AuthorizationRule,
  AuthorizationSource,
  Gap,
  ObjectMeta,
  Ref,
  Workload,
} from './types.js';

type Spec = z.infer<typeof authorizationPolicySpecSchema>;
type Values = readonly string[] | null | undefined;

// An empty list is no condition at all (authz/model/model.go insertFront skips a field with neither
// values nor notValues), so it is kept as absent.
const list = (values: Values): readonly string[] | undefined =>
  values && values.length > 0 ? values : undefined;

/** Copies the fields that are set, leaving the others out (absent, not `undefined` keys). */
function present<T extends object>(fields: Record<string, Values>): T {
  const out: Record<string, readonly string[]> = {};
  for (const [key, values] of Object.entries(fields)) {
    const kept = list(values);
    if (kept) out[key] = kept;
  }
  return out as T;
}

export function toAuthorizationPolicy(meta: ObjectMeta, spec: Spec): AuthorizationPolicy {
  const refs = [
    ...(spec.targetRefs ?? []),
    ...(spec.targetRefs?.length ? [] : spec.targetRef ? [spec.targetRef] : []),
  ];
  const rules: AuthorizationRule[] = [];
  // A null rule is skipped (builder.go "skipped nil rule").
  for (const rule of spec.rules ?? []) {
    if (!rule) continue;
    rules.push({
      ...(rule.from?.length
        ? {
            from: rule.from.map((f) =>
              f.source ? present<AuthorizationSource>(f.source as Record<string, Values>) : undefined,
            ),
          }
        : {}),
      ...(rule.to?.length
        ? {
            to: rule.to.map((t) =>
              t.operation
                ? present<AuthorizationOperation>(t.operation as Record<string, Values>)
                : undefined,
            ),
          }
        : {}),
      ...(rule.when?.length
        ? {
            when: rule.when.map((c) => ({
              key: c.key,
              ...(list(c.values) ? { values: c.values as readonly string[] } : {}),
              ...(list(c.notValues) ? { notValues: c.notValues as readonly string[] } : {}),
            })),
          }
        : {}),
    });
  }
  const selector = spec.selector?.matchLabels ?? undefined;
  return {
    meta,
    // A selector without labels selects every workload, as no selector does (policyattachment.go isSelected).
    selector: selector && Object.keys(selector).length > 0 ? selector : undefined,
    targetRefs: refs.map(
      (r): Ref => ({
        kind: r.kind ?? '',
        name: r.name ?? '',
        ...(r.namespace ? { namespace: r.namespace } : {}),
      }),
    ),
    action: (spec.action ?? 'ALLOW').toUpperCase(),
    rules,
  };
}

/**
 * What the analysis does not judge: policies bound by targetRef(s) (gateways, waypoints, Services behind
 * a waypoint) and selector policies on gateway pods. One optional gap naming a few of them.
 */
export function unjudgedAuthorizationGap(
  policies: readonly AuthorizationPolicy[],
  workloads: readonly Workload[],
  rootNamespace: string,
): Gap[] {
  const gateways = workloads.filter((w) => w.gateway);
  const unjudged = policies.filter(
    (p) =>
      p.targetRefs.length > 0 ||
      gateways.some(
        (g) =>
          (p.meta.namespace === rootNamespace || p.meta.namespace === g.meta.namespace) &&
          Object.entries(p.selector ?? {}).every(([k, v]) => g.podLabels[k] === v),
      ),
  );
  if (unjudged.length === 0) return [];
  const names = unjudged.slice(0, 3).map((p) => `${p.meta.namespace}/${p.meta.name}`);
  const more = unjudged.length > 3 ? ` and ${unjudged.length - 3} more` : '';
  return [
    {
      source: 'AuthorizationPolicy on gateways and waypoints',
      reason: `${names.join(', ')}${more} bind${unjudged.length > 1 ? '' : 's'} to a gateway or waypoint (targetRefs, or a selector on gateway pods): their rules are not checked, so calls they deny may show as working`,
      optional: true,
    },
  ];
}
