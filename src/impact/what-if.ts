// `--what-if 'namespace=shop mode=STRICT'` (or `mesh mode=STRICT`): the after-snapshot built from the
// before one without any YAML, by setting the namespace-wide (or mesh-wide) PeerAuthentication's mode.
import { isNamespaceName } from '../snapshot/k8s-names.js';
import type { MeshSnapshot, MtlsMode, PeerAuthentication } from '../snapshot/types.js';

export interface WhatIf {
  /** undefined: the mesh (root namespace). */
  readonly namespace?: string;
  readonly mode: Exclude<MtlsMode, 'UNSET'>;
}

export class WhatIfError extends Error {}

const MODES = ['STRICT', 'PERMISSIVE', 'DISABLE'] as const;
const USAGE = `expected 'namespace=NS mode=STRICT|PERMISSIVE|DISABLE' or 'mesh mode=STRICT|PERMISSIVE|DISABLE'`;

export function parseWhatIf(text: string): WhatIf {
  let namespace: string | undefined;
  let mesh = false;
  let mode: WhatIf['mode'] | undefined;
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const [key, value] = token.includes('=') ? token.split('=', 2) : [token, undefined];
    if (key === 'mesh' && value === undefined) mesh = true;
    else if ((key === 'namespace' || key === 'ns') && value) {
      if (!isNamespaceName(value))
        throw new WhatIfError(`"${value}" is not a valid namespace name (RFC 1123 label)`);
      namespace = value;
    } else if (key === 'mode' && value) {
      const upper = value.toUpperCase();
      if (!(MODES as readonly string[]).includes(upper))
        throw new WhatIfError(`mode "${value}" is not one of ${MODES.join(', ')}`);
      mode = upper as WhatIf['mode'];
    } else throw new WhatIfError(`"${token}" is not understood: ${USAGE}`);
  }
  if (!mode || mesh === (namespace !== undefined)) throw new WhatIfError(USAGE);
  return { namespace, mode };
}

export function describeWhatIf(w: WhatIf): string {
  return w.namespace ? `namespace ${w.namespace} → ${w.mode}` : `mesh-wide → ${w.mode}`;
}

/**
 * The snapshot as it would be: every namespace-wide PeerAuthentication of the namespace (the root
 * namespace for the mesh) gets the mode, keeping where it is written; without one, `default` is added.
 * Workload policies stay as they are: they still override the namespace, as in Istio.
 */
export function applyWhatIf(snapshot: MeshSnapshot, w: WhatIf): MeshSnapshot {
  const namespace = w.namespace ?? snapshot.meshConfig.rootNamespace;
  const wide = (pa: PeerAuthentication) =>
    pa.meta.namespace === namespace && (!pa.selector || Object.keys(pa.selector).length === 0);
  let found = false;
  const peerAuthentications = snapshot.peerAuthentications.map((pa) => {
    if (!wide(pa)) return pa;
    found = true;
    return { ...pa, mode: w.mode };
  });
  if (!found) {
    peerAuthentications.push({
      meta: { name: 'default', namespace, labels: {}, annotations: {} },
      mode: w.mode,
      portLevelMtls: new Map(),
    });
  }
  return { ...snapshot, peerAuthentications };
}
