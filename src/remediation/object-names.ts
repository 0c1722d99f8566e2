// Names for the objects plans create. The name is part of the plan id, and a Slack button finds its
// plan by id, so two different changes must never get one name. The readable form is used only when
// it spells the whole identity of the change; when it drops something (a lossy mapping, a cut to fit
// 63 characters) a short hash of the identity keeps the names apart.
import { createHash } from 'node:crypto';

const MAX_NAME = 63;
const HASH_LENGTH = 8;

/**
 * A DNS-1123 label `<readable>-<suffix>`, or `<readable, shortened>-<hash of identity>-<suffix>` when
 * the caller says the readable part is not `exact` (it could stand for another identity), when it is
 * not already a valid label fragment, or when it does not fit.
 */
export function generatedName(readable: string, suffix: string, identity: string, exact: boolean): string {
  const cleaned = readable
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const plain = `${cleaned}-${suffix}`;
  if (exact && cleaned === readable && cleaned.length > 0 && plain.length <= MAX_NAME) return plain;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, HASH_LENGTH);
  const room = MAX_NAME - suffix.length - HASH_LENGTH - 2;
  const head = cleaned.slice(0, room).replace(/-+$/, '');
  return `${head ? `${head}-` : ''}${hash}-${suffix}`;
}

/** A label selector written the same way whatever the order of its keys (for identities). */
export function canonicalLabels(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A DNS-1123 name for an external host's rule, one per host: the host as it reads (dots as hyphens)
 * only when that cannot be another host's name too (lower-case letters, digits and dots alone:
 * `api-x.com` and `api.x.com` would both read `api-x-com`), else with a hash of the host.
 */
export function externalRuleName(host: string, suffix: string): string {
  const readable = host.toLowerCase().replace(/^\*\./, 'wildcard-').replace(/\./g, '-');
  return generatedName(readable, suffix, host, /^[a-z0-9]+(\.[a-z0-9]+)*$/.test(host));
}
