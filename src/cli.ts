// The `mtls-doctor` command line (design.md §2). Exit codes: 0 no error-level finding, 1 error findings,
// 2 bad usage or input, 3 the check could not complete.
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { caCertificates } from './analyzers/ca-certificates.js';
import { findingsFromIstioctl } from './analyzers/istioctl-messages.js';
import { workloadCertificates } from './analyzers/workload-certificates.js';
import { collectWorkloadCertificates } from './certs/collect-workload-certs.js';
import { type BotConfig, ConfigError, loadConfig } from './config.js';
import { buildDigest } from './digest/build-digest.js';
import { blockingGaps, type Diagnosis, diagnose, knownNamespaces, withAdditions } from './engine/diagnose.js';
import { buildMatrix, countPairs } from './engine/matrix.js';
import { clusterProbe } from './ops/cluster-probe.js';
import { createLogger } from './ops/logger.js';
import { BotMetrics } from './ops/metrics.js';
import { startOpsServer } from './ops/ops-server.js';
import { applyPlan, previewPlan, RemediationError, rollback } from './remediation/apply.js';
import { certificateRows, certificatesInScope, renderCertsJson, renderCertsText } from './render/certs.js';
import { renderDigestJson, renderDigestText } from './render/digest.js';
import { renderCheckJson, renderMatrixJson } from './render/json.js';
import { renderMatrixText } from './render/matrix-text.js';
import { renderSarif } from './render/sarif.js';
import { renderCheckText } from './render/text.js';
import { EVENTS_PATH, startBot } from './serve.js';
import { createAnswerPool } from './slack/answer-pool.js';
import { IncidentThrottle } from './slack/incident-symptoms.js';
import { PlanCache } from './slack/plan-cache.js';
import { findIstioctl, type IstioctlOptions, istioctlAnalyze } from './snapshot/istioctl.js';
import { ClusterUnavailableError, createKubeApi, KubeConfigError } from './snapshot/live/kube-api.js';
import { ManifestError } from './snapshot/read-manifests.js';
import { type LoadedSource, loadSource } from './snapshot/source.js';
import { AuditLog } from './store/audit-store.js';
import { RequestStore } from './store/request-store.js';
import { SqliteStore } from './store/sqlite-store.js';

export const EXIT = { ok: 0, findings: 1, usage: 2, incomplete: 3 } as const;

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly isTty: boolean;
  readonly cwd: string;
  readonly now?: Date;
}

const defaultIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTty: !!process.stdout.isTTY && !process.env.NO_COLOR,
  cwd: process.cwd(),
};

/** A bad argument or input: exit 2 with this message. */
class UsageError extends Error {}
/** The check could not run at all: exit 3. */
class IncompleteError extends Error {}

interface CliSourceOptions {
  file?: string[];
  namespace?: string;
  allNamespaces?: boolean;
  context?: string;
  kubeconfig?: string;
  requestTimeout?: number;
  pageSize?: number;
  output: string;
  verbose?: boolean;
}

export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command()
    .name('mtls-doctor')
    .description('Finds, explains and fixes Istio mutual-TLS misconfiguration.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  const withSource = (command: Command, outputs: string[]) =>
    command
      .option('-f, --file <path>', 'manifest file or directory (repeatable; - for stdin)', collect)
      .option('-n, --namespace <ns>', 'only this namespace')
      .option('-A, --all-namespaces', 'every namespace (default with -f)')
      .option('--context <ctx>', 'kubeconfig context (live cluster; default: the current one)')
      .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
      .option('--request-timeout <ms>', 'timeout of each Kubernetes API request', parseCount, 10_000)
      .option('--page-size <n>', 'objects per Kubernetes LIST page', parseCount, 5000)
      .addOption(new Option('-o, --output <format>', 'output format').choices(outputs).default('text'))
      .option('-v, --verbose', 'more detail (all posture findings, timings)');

  withSource(program.command('check').description('diagnose mTLS configuration and explain each problem'), [
    'text',
    'json',
    'sarif',
  ])
    .option('--istioctl <path>', 'istioctl binary for cross-checks (default: istioctl on PATH)')
    .option('--no-istioctl', 'do not run istioctl (analyze, proxy certificates)')
    .option('--istioctl-timeout <ms>', 'timeout of each istioctl run', parseCount, 60_000)
    .option(
      '--exit-zero',
      'exit 0 even when error findings are reported (usage errors and incomplete checks still fail)',
    )
    .action(
      async (
        options: CliSourceOptions & {
          istioctl?: string | false;
          istioctlTimeout: number;
          exitZero?: boolean;
        },
      ) => {
        const { loaded, namespace } = await load(options, io);
        const istioctl = await resolveIstioctl(options.istioctl);
        const istioctlOptions = {
          context: options.context,
          kubeconfig: options.kubeconfig,
          timeoutMs: options.istioctlTimeout,
        };
        let snapshot = loaded.snapshot;
        if (loaded.source.kind === 'cluster' && options.istioctl !== false) {
          snapshot = await collectWorkloadCertificates(snapshot, istioctl, {
            ...istioctlOptions,
            namespace,
            optional: true,
          });
        }
        let diagnosis = diagnose(snapshot, { namespace, now: io.now });
        if (options.istioctl !== false)
          diagnosis = await crossCheckWithIstioctl(diagnosis, istioctl, istioctlOptions, options.file);
        const timings = { [loaded.source.kind === 'cluster' ? 'read' : 'parse']: loaded.readMs };
        if (options.output === 'json') io.stdout(renderCheckJson(diagnosis, timings, loaded.source));
        else if (options.output === 'sarif') io.stdout(renderSarif(diagnosis, VERSION));
        else io.stdout(renderCheckText(diagnosis, { color: io.isTty, verbose: options.verbose, timings }));
        exitCode = exitCodeFor(diagnosis, options.exitZero);
      },
    );

  withSource(
    program.command('certs').description('show CA, root and proxy certificates, and their problems'),
    ['text', 'json'],
  )
    .option('--pod <pod>', 'only this pod (with -n)')
    .option(
      '--istioctl <path>',
      'istioctl binary used to read proxy certificates (default: istioctl on PATH)',
    )
    .action(async (options: CliSourceOptions & { pod?: string; istioctl?: string }) => {
      if (options.pod && !options.namespace) throw new UsageError('--pod needs -n NAMESPACE');
      const { loaded, namespace } = await load(options, io);
      let snapshot = loaded.snapshot;
      if (loaded.source.kind === 'cluster') {
        const istioctl = await resolveIstioctl(options.istioctl);
        snapshot = await collectWorkloadCertificates(snapshot, istioctl, {
          context: options.context,
          kubeconfig: options.kubeconfig,
          namespace,
          pod: options.pod,
        });
      }
      const now = io.now ?? new Date();
      const diagnosis = diagnose(snapshot, {
        namespace,
        now,
        analyzers: [caCertificates, workloadCertificates],
      });
      const rows = certificateRows(certificatesInScope(snapshot.certificates, namespace, options.pod), now);
      if (options.output === 'json') io.stdout(renderCertsJson(rows, diagnosis.findings, diagnosis.gaps));
      else io.stdout(renderCertsText(rows, diagnosis.findings, diagnosis.gaps, io.isTty));
      exitCode = exitCodeFor(diagnosis);
    });

  program
    .command('serve')
    .description('run the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP with SLACK_SIGNING_SECRET)')
    .option('-f, --file <path>', 'diagnose these manifests instead of a live cluster (demo, tests)', collect)
    .option(
      '--config <file>',
      'YAML configuration (access rules, istioctl, kubernetes); default $MTLS_DOCTOR_CONFIG',
    )
    .option('--context <ctx>', 'kubeconfig context')
    .option('--kubeconfig <path>', 'kubeconfig file')
    .action(async (options: { file?: string[]; config?: string; context?: string; kubeconfig?: string }) => {
      let config: BotConfig;
      try {
        config = loadConfig(process.env, options.config ?? process.env.MTLS_DOCTOR_CONFIG);
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message);
        throw error;
      }
      const istioctl = await findIstioctl(config.istioctl);
      const kube = config.kubernetes ?? {};
      const plans = new PlanCache();
      const pool = createAnswerPool(
        {
          files: options.file,
          context: options.context ?? kube.context,
          kubeconfigPath: options.kubeconfig ?? kube.kubeconfig,
          requestTimeoutMs: kube.requestTimeoutMs,
          cwd: io.cwd,
        },
        plans,
        istioctl,
      );
      const logger = createLogger();
      const metrics = new BotMetrics();
      const store = new SqliteStore(config.storePath);
      // With a live cluster, fixes can be requested, approved and applied; with manifests only shown.
      const remediation = options.file?.length
        ? undefined
        : {
            objects: createKubeApi({
              context: options.context ?? kube.context,
              kubeConfig: kubeConfigFrom(options.kubeconfig ?? kube.kubeconfig),
            }).objects,
            audit: new AuditLog(config.storePath),
            requests: new RequestStore(config.storePath),
          };
      const bot = await startBot(config, {
        remediation,
        engine: pool,
        plans,
        logger,
        metrics,
        store,
        throttle: new IncidentThrottle((config.incidents?.cooldownMinutes ?? 30) * 60_000),
      });
      const probeCluster = clusterProbe(
        options.file,
        options.context ?? kube.context,
        options.kubeconfig ?? kube.kubeconfig,
      );
      const ops = await startOpsServer(config.opsPort, metrics, {
        slack: async () => bot.slackReady(),
        cluster: probeCluster,
      });
      const source = options.file?.length ? `manifests ${options.file.join(', ')}` : 'the live cluster';
      io.stderr(
        bot.mode === 'http'
          ? `mtls-doctor bot listening on port ${bot.port} (HTTP ${EVENTS_PATH}, Slack signatures verified), diagnosing ${source}; health and metrics on port ${ops.port}\n`
          : `mtls-doctor bot connected to Slack (Socket Mode), diagnosing ${source}; health and metrics on port ${ops.port}\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await bot.stop();
      await ops.close();
      await pool.close();
      store.close();
      remediation?.audit.close();
      remediation?.requests.close();
    });

  withSource(
    program.command('digest').description('mTLS posture per namespace, migration stage, next step, changes'),
    ['text', 'json'],
  )
    .option(
      '--state <file>',
      'SQLite file that keeps postures, so the digest says what changed since the last one',
    )
    .action(async (options: CliSourceOptions & { state?: string }) => {
      const { loaded } = await load(options, io);
      const store = options.state ? new SqliteStore(options.state) : undefined;
      try {
        const digest = buildDigest(loaded.snapshot, io.now ?? new Date(), store);
        io.stdout(options.output === 'json' ? renderDigestJson(digest) : renderDigestText(digest));
        exitCode = loaded.snapshot.gaps.some((g) => !g.optional) ? EXIT.incomplete : EXIT.ok;
      } finally {
        store?.close();
      }
    });

  program
    .command('fix')
    .description('show (dry run) or apply one remediation plan of the diagnosis, or roll one back')
    .argument('[plan-id]', 'a plan id, as check shows it in brackets')
    .option('--apply', 'apply the change (default: server-side dry run and diff only)')
    .option('--rollback <audit-id>', 'restore what an applied fix changed', parseCount)
    .option('-n, --namespace <ns>', 'diagnose only this namespace when looking up the plan')
    .option('--context <ctx>', 'kubeconfig context')
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--audit <file>', 'SQLite audit log', process.env.MTLS_DOCTOR_AUDIT ?? 'mtls-doctor-audit.db')
    .action(
      async (
        planId: string | undefined,
        options: {
          apply?: boolean;
          rollback?: number;
          namespace?: string;
          context?: string;
          kubeconfig?: string;
          audit: string;
        },
      ) => {
        if (!planId && options.rollback === undefined)
          throw new UsageError('name a plan id (from check) or --rollback AUDIT-ID');
        const actor = `${process.env.USER ?? 'unknown'} (cli)`;
        const audit = new AuditLog(options.audit);
        try {
          const { loaded, namespace } = await load({ ...options, output: 'text' }, io);
          if (loaded.source.kind !== 'cluster') throw new UsageError('fix changes a live cluster');
          const api = createKubeApi({
            context: options.context,
            kubeConfig: kubeConfigFrom(options.kubeconfig),
          }).objects;
          if (options.rollback !== undefined) {
            const result = await rollback(api, audit, options.rollback, actor);
            io.stdout(
              `${result.diff}\nRolled back audit entry ${options.rollback} (new audit entry ${result.auditId}).\n`,
            );
            return;
          }
          const diagnosis = diagnose(loaded.snapshot, { namespace, now: io.now });
          const plans = diagnosis.findings.flatMap((f) => f.remediations);
          const plan = plans.find((p) => p.id === planId);
          if (!plan) {
            const ids = [...new Set(plans.map((p) => p.id))];
            throw new UsageError(
              `no plan ${planId} in the current diagnosis${ids.length ? `; plans now: ${ids.slice(0, 15).join(', ')}${ids.length > 15 ? ', …' : ''}` : ' (no remediation is offered)'}`,
            );
          }
          const code = diagnosis.findings.find((f) => f.remediations.includes(plan))?.code;
          const before = diagnosis.findings.filter((f) => f.code === code).length;
          if (!options.apply) {
            const preview = await previewPlan(api, plan);
            io.stdout(
              `${plan.title}\nRisk: ${plan.risk}\n\n${preview.diff}\nThe API server accepted this change as a dry run; nothing was changed. Apply with --apply.\n`,
            );
            return;
          }
          const applied = await applyPlan(api, plan, audit, actor);
          const recheck = diagnose(
            (await loadSource({ context: options.context, kubeconfigPath: options.kubeconfig })).snapshot,
            { namespace, now: io.now },
          );
          const after = recheck.findings.filter((f) => f.code === code).length;
          io.stdout(
            `${applied.diff}\nApplied (audit entry ${applied.auditId}). ${code}: ${before} finding(s) before, ${after} after.\nRoll back with: mtls-doctor fix --rollback ${applied.auditId}\n`,
          );
        } catch (error) {
          if (error instanceof RemediationError) throw new IncompleteError(error.message);
          throw error;
        } finally {
          audit.close();
        }
      },
    );

  withSource(program.command('matrix').description('who can reach which service port, and why not'), [
    'text',
    'json',
  ])
    .option('--all', 'text: list every working pair too')
    .option(
      '--max-pairs <n>',
      'refuse to build a larger matrix (use -n to narrow it)',
      parseCount,
      DEFAULT_MAX_PAIRS,
    )
    .action(async (options: CliSourceOptions & { all?: boolean; maxPairs: number }) => {
      const { loaded, namespace } = await load(options, io);
      const diagnosis = diagnose(loaded.snapshot, { namespace, now: io.now, analyzers: [] });
      const pairs = countPairs(diagnosis.mesh, namespace);
      if (pairs > options.maxPairs) {
        throw new UsageError(
          `the matrix would hold ${pairs.toLocaleString('en')} pairs (limit ${options.maxPairs.toLocaleString('en')}): narrow it with -n NAMESPACE, or raise --max-pairs`,
        );
      }
      const matrix = buildMatrix(diagnosis.mesh, namespace);
      if (options.output === 'json') io.stdout(renderMatrixJson(matrix, diagnosis.gaps));
      else io.stdout(renderMatrixText(matrix, { color: io.isTty, all: options.all }));
      exitCode = matrix.pairs.some((p) => p.outcome === 'fail') ? EXIT.findings : EXIT.ok;
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (argv.length === 0) {
      io.stdout(program.helpInformation());
    }
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ManifestError || error instanceof UsageError) {
      io.stderr(`mtls-doctor: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof IncompleteError) {
      io.stderr(`mtls-doctor: ${error.message}\n`);
      return EXIT.incomplete;
    }
    throw error;
  }
}

const DEFAULT_MAX_PAIRS = 2_000_000;

function kubeConfigFrom(path: string | undefined): KubeConfig | undefined {
  if (!path) return undefined;
  const config = new KubeConfig();
  config.loadFromFile(path);
  return config;
}

/** 1 for error findings (unless --exit-zero), 3 when something could not be read, else 0. */
function exitCodeFor(diagnosis: Diagnosis, exitZero = false): number {
  if (!exitZero && diagnosis.findings.some((f) => f.severity === 'error')) return EXIT.findings;
  return blockingGaps(diagnosis).length > 0 ? EXIT.incomplete : EXIT.ok;
}

async function resolveIstioctl(option: string | false | undefined): Promise<string | undefined> {
  if (option === false) return undefined;
  const found = await findIstioctl(option);
  if (option && !found) throw new UsageError(`--istioctl ${option}: not an executable file`);
  return found;
}

/** istioctl analyze's messages join the diagnosis; its absence or failure is an optional gap. */
async function crossCheckWithIstioctl(
  diagnosis: Diagnosis,
  istioctl: string | undefined,
  options: IstioctlOptions,
  files: readonly string[] | undefined,
): Promise<Diagnosis> {
  if (!istioctl) {
    return withAdditions(
      diagnosis,
      [],
      [
        {
          source: 'istioctl analyze',
          reason: 'istioctl is not on PATH (install it, or pass --istioctl PATH)',
          optional: true,
        },
      ],
    );
  }
  const result = await istioctlAnalyze(istioctl, { namespace: diagnosis.namespace, files }, options);
  if (!result.ok) return withAdditions(diagnosis, [], [{ ...result.gap, optional: true }]);
  return withAdditions(diagnosis, findingsFromIstioctl(result.value, diagnosis.findings), []);
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function load(options: CliSourceOptions, io: Io) {
  if (options.namespace && options.allNamespaces)
    throw new UsageError('use either -n/--namespace or -A/--all-namespaces, not both');
  if (options.namespace && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(options.namespace)) {
    throw new UsageError(`"${options.namespace}" is not a valid namespace name (RFC 1123 label)`);
  }
  if (options.file?.length && (options.context || options.kubeconfig)) {
    throw new UsageError(
      '-f reads manifests; --context and --kubeconfig are for a live cluster: use one or the other',
    );
  }
  let loaded: LoadedSource;
  try {
    loaded = await loadSource({
      files: options.file,
      context: options.context,
      kubeconfigPath: options.kubeconfig,
      cwd: io.cwd,
      requestTimeoutMs: options.requestTimeout,
      pageSize: options.pageSize,
      onProgress: process.stderr.isTTY ? io.stderr : undefined,
    });
  } catch (error) {
    if (error instanceof KubeConfigError) throw new UsageError(error.message);
    if (error instanceof ClusterUnavailableError) throw new IncompleteError(error.message);
    throw error;
  }
  const s = loaded.snapshot;
  // Like kubectl's warnings: on stderr for every output format (JSON also has summary.source.warnings).
  for (const warning of loaded.source.kind === 'manifests' ? (loaded.source.warnings ?? []) : []) {
    io.stderr(`mtls-doctor: warning: ${warning.message}\n`);
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
    const known = [...knownNamespaces(s)].sort();
    throw new UsageError(
      `namespace "${namespace}" does not appear in ${where}${known.length ? ` (namespaces seen: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''})` : ' (it has no namespaced objects)'}`,
    );
  }
  return { loaded, namespace };
}
