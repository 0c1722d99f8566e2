// Which of the mesh configs in the input istiod reads. istiod of the default revision reads ConfigMap
// `istio` of its own namespace, istiod of revision R reads `istio-R` (istio/istio
// pilot/pkg/bootstrap/mesh.go getMeshConfigMapName; SHARED_MESH_CONFIG is opt-in and not modelled).
// A canary's `istio-1-24` therefore never changes what the default control plane does. The snapshot
// has one mesh config: the default revision's, else (a cluster run by revisions only) one revision's.
import type { Gap } from './types.js';

const DEFAULT_REVISION = '';

/** One mesh config found in the input: a ConfigMap's `mesh` key or an IstioOperator's meshConfig. */
export interface MeshConfigSource<T> {
  readonly kind: 'ConfigMap' | 'IstioOperator';
  readonly namespace: string;
  readonly name: string;
  /** '' for the default revision. */
  readonly revision: string;
  readonly config: T;
}

/** `istio` → the default revision, `istio-R` → R (the ConfigMap names istiod reads). */
export function configMapRevision(name: string): string {
  return name === 'istio' ? DEFAULT_REVISION : name.slice('istio-'.length);
}

/** `istio-sidecar-injector` → the default revision, `istio-sidecar-injector-R` → R. */
export function injectorRevision(name: string): string {
  const base = 'istio-sidecar-injector';
  return name === base ? DEFAULT_REVISION : name.slice(base.length + 1);
}

/** An IstioOperator writes the ConfigMap of its spec.revision; `default` is the default revision. */
export function operatorRevision(revision: unknown): string {
  return typeof revision === 'string' && revision !== 'default' ? revision : DEFAULT_REVISION;
}

/**
 * The sources istiod reads, in input order (an IstioOperator and its ConfigMap layer as before), the
 * other revisions' sources by revision (their istiod serves only their own proxies:
 * revision-configs.ts), and a gap when several revisions and no default leave the choice open.
 * ConfigMaps count only in the Istio namespace: `istioNamespace` when the reader knows it (live), else
 * istio-system when a mesh ConfigMap is there, else the namespace of the first one (manifests of an
 * install elsewhere).
 */
export function meshConfigsIstiodReads<T>(
  sources: readonly MeshConfigSource<T>[],
  istioNamespace?: string,
): { read: MeshConfigSource<T>[]; otherRevisions: Map<string, MeshConfigSource<T>[]>; gap?: Gap } {
  const configMaps = sources.filter((s) => s.kind === 'ConfigMap');
  const namespace =
    istioNamespace ??
    (configMaps.some((s) => s.namespace === 'istio-system') ? 'istio-system' : configMaps[0]?.namespace);
  const byRevision = new Map<string, MeshConfigSource<T>[]>();
  for (const s of sources) {
    if (s.kind === 'ConfigMap' && s.namespace !== namespace) continue;
    byRevision.set(s.revision, [...(byRevision.get(s.revision) ?? []), s]);
  }
  const revisions = [...byRevision.keys()].sort();
  const chosen = byRevision.has(DEFAULT_REVISION) ? DEFAULT_REVISION : revisions[0];
  const read = (chosen === undefined ? undefined : byRevision.get(chosen)) ?? [];
  const otherRevisions = new Map([...byRevision].filter(([revision]) => revision !== chosen));
  if (chosen === DEFAULT_REVISION || revisions.length < 2) return { read, otherRevisions };
  return {
    read,
    otherRevisions,
    gap: {
      source: 'mesh config',
      reason: `no default revision's mesh config (ConfigMap istio) and ${revisions.length} revisions' (${revisions.join(', ')}): checked with revision ${chosen}'s; workloads of the others may behave differently`,
      optional: true,
    },
  };
}
