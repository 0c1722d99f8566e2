// The options every reading command shares (-f, -n/-A, --context, ...) and the one way they become a
// snapshot: a live cluster or manifests, with bad input turned into exit 2 and no cluster into exit 3.
import { type Command, Option } from 'commander';
import { blockingGaps, type Diagnosis, knownNamespaces } from '../src/engine/diagnose.js';
import { oneLine } from '../src/render/sanitize.js';
import { isNamespaceName } from '../src/snapshot/k8s-names.js';
import { type LoadedSource, loadSource, type SourceOptions } from '../src/snapshot/source.js';
import type { Gap, MeshSnapshot } from '../src/snapshot/types.js';
import { collect, EXIT, IncompleteError, type Io, parseCount, parseTimeout, UsageError } from './cli-kit.js';

export interface CliSourceOptions {
  file?: string[];
  namespace?: string;
  allNamespaces?: boolean;
  context?: string;
  kubeconfig?: string;
  requestTimeout?: number;
  pageSize?: number;
  output: string;
  verbose?: boolean;
  readCaSecret?: boolean;
  /** Reads `-f -` (set by the command, not a flag). */
  stdin?: () => Promise<string>;
  /** Manifests only: invalid objects left out into it (a diff's base), not bad input (set by the command). */
  leftOut?: SourceOptions['leftOut'];
}

// The CA secrets hold ca-key.pem: reading them is an explicit choice, with the risk said where it is made.
export const READ_CA_SECRET_HELP =
  'also read the CA Secrets (cacerts, istio-ca-secret; as istiod does, istio-ca-secret is ignored when cacerts exists) to check the CA and intermediate certificates. RISK: they hold the CA private key (ca-key.pem): whoever holds these credentials can issue any mesh identity. Default: only the istio-ca-root-cert ConfigMaps and proxy chains';

export function withSource(command: Command, outputs: string[]): Command {
  return command
    .option('-f, --file <path>', 'manifest file or directory (repeatable; - for stdin)', collect)
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('-A, --all-namespaces', 'every namespace (default with -f)')
    .option('--context <ctx>', 'kubeconfig context (live cluster; default: the current one)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--request-timeout <ms>', 'timeout of each Kubernetes API request', parseTimeout, 10_000)
    .option('--page-size <n>', 'objects per Kubernetes LIST page', parseCount, 5000)
    .addOption(new Option('-o, --output <format>', 'output format').choices(outputs).default('text'))
    .option('-v, --verbose', 'more detail (all posture findings, timings)');
}

/** 1 for error findings (unless --exit-zero), 3 when something could not be read, else 0. */
export function exitCodeFor(diagnosis: Diagnosis, exitZero = false): number {
  if (!exitZero && diagnosis.findings.some((f) => f.severity === 'error')) return EXIT.findings;
  return blockingGaps(diagnosis).length > 0 ? EXIT.incomplete : EXIT.ok;
}

/**
 * Reads the source the options name; an unknown namespace is bad usage, unless the Namespaces could
 * not be listed: then it may well exist, and the gap is the answer (exit 3).
 */
export async function load(
  options: CliSourceOptions,
  io: Io,
): Promise<{ loaded: LoadedSource; namespace: string | undefined }> {
  // `-n ""` (a script's unset variable) is a mistake, not "every namespace".
  if (options.namespace === '')
    throw new UsageError('-n/--namespace is empty: give a namespace, or -A for all namespaces');
  if (options.namespace && options.allNamespaces)
    throw new UsageError('use either -n/--namespace or -A/--all-namespaces, not both');
  if (options.namespace && !isNamespaceName(options.namespace)) {
    throw new UsageError(`"${options.namespace}" is not a valid namespace name (RFC 1123 label)`);
  }
  // Standard input can be read once: a second `-f -` would find it empty.
  if ((options.file ?? []).filter((f) => f === '-').length > 1)
    throw new UsageError('-f - (standard input) is given more than once: it can be read only once');
  if (options.file?.length && (options.context || options.kubeconfig)) {
    throw new UsageError(
      '-f reads manifests; --context and --kubeconfig are for a live cluster: use one or the other',
    );
  }
  const loaded = await loadSource({
    files: options.file,
    context: options.context,
    kubeconfigPath: options.kubeconfig,
    cwd: io.cwd,
    requestTimeoutMs: options.requestTimeout,
    pageSize: options.pageSize,
    readCaSecret: options.readCaSecret,
    stdin: options.stdin,
    onProgress: process.stderr.isTTY ? io.stderr : undefined,
    leftOut: options.leftOut,
  });
  const s = loaded.snapshot;
  // Like kubectl's warnings: on stderr for every output format (JSON also has summary.source.warnings).
  for (const warning of loaded.source.kind === 'manifests' ? (loaded.source.warnings ?? []) : []) {
    io.stderr(`mtls-doctor: warning: ${oneLine(warning.message)}\n`);
  }
  if (options.verbose) {
    const from =
      loaded.source.kind === 'cluster'
        ? `cluster ${loaded.source.server} with ${loaded.source.requests} API requests`
        : `${loaded.source.objects} manifest objects`;
    io.stderr(
      `read ${from} in ${loaded.readMs.toFixed(0)} ms: ${s.workloads.length} workloads, ${s.services.length} services, ${s.peerAuthentications.length} PeerAuthentications, ${s.destinationRules.length} DestinationRules, ${s.serviceEntries.length} ServiceEntries, ${s.gaps.length} gap(s)\n`,
    );
  }
  const namespace = options.namespace;
  const where = loaded.source.kind === 'cluster' ? 'the cluster' : 'the input';
  if (namespace && !knownNamespaces(s).has(namespace)) {
    const unconfirmed = cannotConfirm(namespace, s);
    if (unconfirmed) throw new IncompleteError(unconfirmed);
    const known = [...knownNamespaces(s)].sort();
    throw new UsageError(
      `namespace "${namespace}" does not appear in ${where}${known.length ? ` (namespaces seen: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''})` : ' (it has no namespaced objects)'}`,
    );
  }
  return { loaded, namespace };
}

/**
 * Why `namespace`, absent from what was read, may still exist: the Namespaces LIST failed (RBAC,
 * mostly), and an empty namespace or one whose objects were not readable shows nowhere else. With
 * the Namespaces listed, absent is absent, whatever else is missing.
 */
function cannotConfirm(namespace: string, snapshot: MeshSnapshot): string | undefined {
  const unlisted = snapshot.gaps.find((g) => !g.optional && g.source.startsWith('namespaces '));
  if (!unlisted) return undefined;
  const others = snapshot.gaps.filter((g) => !g.optional && g !== unlisted);
  // The reason quotes the API server: one line, as main shows its own errors.
  return `cannot confirm namespace "${namespace}": it is not in what could be read, and the namespaces could not be listed: ${oneLine(`${unlisted.source}: ${unlisted.reason}`)}${oneLine(alsoUnread(others))}`;
}

function alsoUnread(gaps: readonly Gap[]): string {
  if (gaps.length === 0) return '';
  const shown = gaps.slice(0, 3).map((g) => g.source);
  return `; also not read: ${shown.join(', ')}${gaps.length > shown.length ? `, and ${gaps.length - shown.length} more` : ''}`;
}
