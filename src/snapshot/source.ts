// Where a snapshot comes from: manifest files (-f) or the live cluster of a kubeconfig context.
import type { LeftOutObjects } from './invalid-object.js';
import type { ManifestWarning } from './load.js';
import type { MeshSnapshot } from './types.js';

export type SourceInfo =
  | {
      readonly kind: 'manifests';
      readonly objects: number;
      /** Present when the input raised warnings (an object given twice with different content). */
      readonly warnings?: readonly ManifestWarning[];
    }
  | { readonly kind: 'cluster'; readonly server: string; readonly requests: number };

export interface LoadedSource {
  readonly snapshot: MeshSnapshot;
  readonly readMs: number;
  readonly source: SourceInfo;
}

export interface SourceOptions {
  readonly files?: readonly string[];
  readonly context?: string;
  readonly kubeconfigPath?: string;
  readonly cwd?: string;
  readonly requestTimeoutMs?: number;
  readonly pageSize?: number;
  /** Reads `-` (stdin) among the files; default process.stdin. */
  readonly stdin?: () => Promise<string>;
  /** Read the CA Secrets too (they hold the CA key; see readClusterSnapshot). */
  readonly readCaSecret?: boolean;
  /** Progress lines while reading manifests takes more than a second (give it only to a terminal). */
  readonly onProgress?: (line: string) => void;
  /** Manifests: leave invalid objects out into this collector instead of stopping at the first. */
  readonly leftOut?: LeftOutObjects;
}

// Tests set this to 0 to see the progress line without a slow read.
const PROGRESS_AFTER_MS = process.env.MTLS_DOCTOR_PROGRESS_AFTER_MS;

export async function loadSource(options: SourceOptions): Promise<LoadedSource> {
  if (options.files && options.files.length > 0) {
    // Loaded on demand: manifests never need the Kubernetes client, and it is slow to import.
    const { loadManifestSnapshot } = await import('./load.js');
    const loaded = await loadManifestSnapshot(options.files, {
      cwd: options.cwd,
      stdin: options.stdin,
      onProgress: options.onProgress,
      progressAfterMs: PROGRESS_AFTER_MS ? Number(PROGRESS_AFTER_MS) : undefined,
      leftOut: options.leftOut,
    });
    const warnings = loaded.warnings.length > 0 ? { warnings: loaded.warnings } : {};
    return {
      snapshot: loaded.snapshot,
      readMs: loaded.parseMs,
      source: { kind: 'manifests', objects: loaded.objects, ...warnings },
    };
  }
  const [{ createKubeApi, kubeConfigFromFile }, { readClusterSnapshot }] = await Promise.all([
    import('./live/kube-api.js'),
    import('./live/read-cluster.js'),
  ]);
  const kubeConfig = options.kubeconfigPath ? kubeConfigFromFile(options.kubeconfigPath) : undefined;
  const api = createKubeApi({
    context: options.context,
    kubeConfig,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  const read = await readClusterSnapshot(api, {
    pageSize: options.pageSize,
    readCaSecret: options.readCaSecret,
  });
  return {
    snapshot: read.snapshot,
    readMs: read.readMs,
    source: { kind: 'cluster', server: api.server, requests: read.requests },
  };
}
