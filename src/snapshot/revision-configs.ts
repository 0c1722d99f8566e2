// Workloads served by another revision's istiod than the one whose config the snapshot checks. istiod of
// revision R pushes to the proxies R injected and reads ConfigMap `istio-R` (mesh-config-sources.ts), so
// its auto mTLS, trust domain, exportTo defaults... are `istio-R`'s. The model has one mesh config: where
// R's differs in a setting it reads, the verdicts of R's workloads may be wrong, and a blocking gap says
// so (check and diff then end "incomplete", never "ok" on a guess); where it matches, an optional note.
import type {
  Gap,
  InjectorConfig,
  Labels,
  MeshConfig,
  NamespaceInfo,
  Ref,
  RevisionConfig,
  Workload,
} from './types.js';
import { formatRef } from './types.js';

const REVISION = 'istio.io/rev';

/** `default` names the default revision as '' does (getMeshConfigMapName). */
const revisionName = (value: string) => (value === 'default' ? '' : value);

/**
 * The revision whose istiod serves the workload's sidecar; undefined without one. A running pod says
 * it (the injection template's annotation istio.io/rev); a template is injected by the webhook its labels
 * select, in the chart's order: istio-injection=enabled (the default revision), the namespace's
 * istio.io/rev, the pod's. Revision tags are taken as revision names.
 */
export function proxyRevision(w: Workload, namespaceLabels: Labels | undefined): string | undefined {
  if (w.proxy !== 'sidecar') return undefined;
  const injected = w.podNames.length > 0 ? w.podAnnotations[REVISION] : undefined;
  if (injected !== undefined) return revisionName(injected);
  if (namespaceLabels?.['istio-injection'] === 'enabled') return '';
  return revisionName(namespaceLabels?.[REVISION] ?? w.podLabels[REVISION] ?? '');
}

/** One gap per other revision with workloads in the input, blocking when its config differs in a setting read. */
export function revisionConfigGaps(
  checked: { readonly meshConfig: MeshConfig; readonly injector: InjectorConfig },
  others: readonly RevisionConfig[],
  workloads: readonly Workload[],
  namespaces: readonly NamespaceInfo[],
): Gap[] {
  if (others.length === 0) return [];
  const labels = new Map(namespaces.map((n) => [n.name, n.labels]));
  const gaps: Gap[] = [];
  for (const other of others) {
    const served = workloads.filter((w) => proxyRevision(w, labels.get(w.meta.namespace)) === other.revision);
    if (served.length === 0) continue;
    const compared = [
      other.meshConfig && compare(other.meshConfig, checked.meshConfig),
      other.injector && compare(other.injector, checked.injector),
    ].filter((c) => c !== undefined);
    const differences = compared.flatMap((c) => c.differences);
    const servedNamespaces = [...new Set(served.map((w) => w.meta.namespace))].sort();
    const whose = `istiod of revision ${other.revision} reads it for the proxies of namespace(s) ${servedNamespaces.join(', ')} (${served.length} workload(s)), checked with ${compared.map((c) => c.checked).join(' and ')}`;
    gaps.push({
      source: compared.map((c) => c.source).join(', '),
      reason:
        differences.length > 0
          ? `${whose}: it differs in ${differences.join(', ')}, so their calls may be judged wrong`
          : `${whose}: it matches in every setting checked`,
      ...(differences.length > 0 ? {} : { optional: true }),
    });
  }
  return gaps;
}

/** A revision's config beside the checked one: the objects that hold them, and the settings that differ. */
function compare<T extends { readonly source?: Ref }>(mine: T, checked: T) {
  return {
    source: mine.source ? formatRef(mine.source) : 'revision config',
    checked: checked.source ? formatRef(checked.source) : "Istio's defaults",
    differences: settingsThatDiffer(mine, checked),
  };
}

// Where the object was read and its text are not settings.
const NOT_SETTINGS = new Set(['source', 'meshText']);

/** `enableAutoMtls: false (checked: true)` for each setting of `mine` that `checked` has otherwise. */
function settingsThatDiffer<T extends object>(mine: T, checked: T): string[] {
  const a = mine as Record<string, unknown>;
  const b = checked as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => !NOT_SETTINGS.has(key) && text(a[key]) !== text(b[key]))
    .sort()
    .map((key) => `${key}: ${text(a[key]) ?? 'unset'} (checked: ${text(b[key]) ?? 'unset'})`);
}

/** A setting as text, object keys sorted so that equal settings read alike. */
function text(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
}
