// Whether the bot may carry out a change alert's Revert, asked of the API server before the button is
// offered. revert-rbac.ts knows the kinds the shipped remediate role can write, not where it is bound:
// the ClusterRole is bound per namespace (and a read-only install has none), so a button elsewhere
// would only fail its dry run with a 403. One SelfSubjectAccessReview per verb, resource and namespace,
// kept a few minutes: RBAC changes rarely, and a burst of changes in one namespace asks once. Every
// authenticated identity may create SelfSubjectAccessReviews (the default ClusterRole
// system:basic-user), so this needs no grant of its own.
import type { KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { REVERT_GRANTS, VERB_OF } from './revert-rbac.js';
import type { ChangedObject } from './watch-alerts.js';

export interface AccessAttributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name: string;
}

/** One review: whether the API server allows the request; rejects when the review itself fails. */
export type ReviewAccess = (attributes: AccessAttributes) => Promise<boolean>;

export type RevertAccessResult =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string; readonly error?: unknown };

/** Whether the bot may carry out `change`'s revert; not allowed also when the API server cannot tell. */
export type RevertAccess = (change: ChangedObject) => Promise<RevertAccessResult>;

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 500;

/** Reviews with `objects` (give it a short request timeout: an alert waits for the answer). */
export function accessReviewer(objects: KubernetesObjectApi): ReviewAccess {
  return async ({ verb, group, resource, namespace, name }) => {
    const review = await objects.create({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb, group, resource, namespace, name } },
    } as KubernetesObject);
    return (review as { status?: { allowed?: boolean } }).status?.allowed === true;
  };
}

/** The request a revert makes, as the API server's authorizer sees it. */
export function revertAttributes(change: ChangedObject): AccessAttributes | undefined {
  const grant = REVERT_GRANTS.find((g) => g.kind === change.kind);
  if (!grant || !change.revert) return undefined;
  return {
    verb: VERB_OF[change.revert.action],
    group: grant.group,
    resource: grant.resource,
    // A request on /api/v1/namespaces/<name> is authorized as one inside namespace <name>: that is
    // how a RoleBinding there lets the bot patch its own Namespace.
    namespace: change.kind === 'Namespace' ? change.name : change.namespace,
    name: change.name,
  };
}

/** Asks `review`, cached per verb, resource and namespace for `ttlMs`; a failed review is not kept. */
export function revertAccess(
  review: ReviewAccess,
  options: { readonly ttlMs?: number; readonly now?: () => number } = {},
): RevertAccess {
  const ttl = options.ttlMs ?? TTL_MS;
  const now = options.now ?? Date.now;
  // The promise, not its answer: the changes of one alert, checked together, share one review.
  const cache = new Map<string, { readonly at: number; readonly allowed: Promise<boolean> }>();
  return async (change) => {
    const a = revertAttributes(change);
    if (!a) return { allowed: false, reason: `the bot does not write ${change.kind} objects` };
    const key = `${a.verb} ${a.resource}.${a.group} ${a.namespace ?? ''}`;
    let entry = cache.get(key);
    if (!entry || now() - entry.at >= ttl) {
      const fresh = { at: now(), allowed: review(a) };
      cache.delete(key);
      cache.set(key, fresh);
      fresh.allowed.catch(() => {
        if (cache.get(key) === fresh) cache.delete(key);
      });
      if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
      entry = fresh;
    }
    const what = `${a.verb} ${a.resource}${a.namespace ? ` in ${a.namespace}` : ''}`;
    try {
      if (await entry.allowed) return { allowed: true };
      return { allowed: false, reason: `the bot may not ${what}` };
    } catch (error) {
      return { allowed: false, reason: `could not check whether the bot may ${what}`, error };
    }
  };
}
