// Host names as Istio reads them (istio/istio: pilot/pkg/model/config.go ResolveShortnameToFQDN,
// pkg/config/host/name.go Matches/MoreSpecific).

export const CLUSTER_DOMAIN = 'cluster.local';

export function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** A host without a dot gets the config's namespace appended; a dotted one is taken literally. */
export function resolveShortname(host: string, namespace: string): string {
  if (host === '*' || host.includes('.') || host.includes(':')) return host;
  return serviceFqdn(host, namespace);
}

export function isWildcard(host: string): boolean {
  return host.startsWith('*');
}

/** Does `pattern` (exact or `*.suffix` or `*`) cover `host`? */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.charCodeAt(0) === STAR) return endsWithAfterStar(host, pattern);
  return pattern === host;
}

const STAR = 42;

/** `host.endsWith(pattern.slice(1))` without making the slice (called for every rule and pair). */
function endsWithAfterStar(host: string, pattern: string): boolean {
  const n = pattern.length - 1;
  const offset = host.length - n;
  if (offset < 0) return false;
  for (let i = 0; i < n; i++) if (host.charCodeAt(offset + i) !== pattern.charCodeAt(i + 1)) return false;
  return true;
}

/** Orders candidate patterns as Istio's MostSpecificHostMatch: exact first, then longer wildcards. */
export function compareSpecificity(a: string, b: string): number {
  const aw = isWildcard(a);
  const bw = isWildcard(b);
  if (aw !== bw) return aw ? 1 : -1;
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The namespace a `*.svc.cluster.local`-style FQDN names, if any. */
export function namespaceOfServiceHost(host: string): string | undefined {
  const suffix = `.svc.${CLUSTER_DOMAIN}`;
  if (!host.endsWith(suffix)) return undefined;
  const parts = host.slice(0, -suffix.length).split('.');
  return parts.length >= 2 ? parts[parts.length - 1] : undefined;
}

/** Every wildcard pattern that covers a host: `*` and `*.<suffix>` for each suffix. */
export function wildcardsCovering(host: string): string[] {
  const patterns = ['*'];
  for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1))
    patterns.push(`*${host.slice(dot)}`);
  return patterns;
}
