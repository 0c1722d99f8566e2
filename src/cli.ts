// The `mtls-doctor` command line (design.md §2). Exit codes: 0 no error-level finding, 1 error findings,
// 2 bad usage or input, 3 the check could not complete.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { diagnose, knownNamespaces } from './engine/diagnose.js';
import { buildMatrix, countPairs } from './engine/matrix.js';
import { renderCheckJson, renderMatrixJson } from './render/json.js';
import { renderMatrixText } from './render/matrix-text.js';
import { renderSarif } from './render/sarif.js';
import { renderCheckText } from './render/text.js';
import { loadManifestSnapshot } from './snapshot/load.js';
import { ManifestError } from './snapshot/read-manifests.js';

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

interface SourceOptions {
  file?: string[];
  namespace?: string;
  allNamespaces?: boolean;
  context?: string;
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
      .option('--context <ctx>', 'kubeconfig context (live cluster)')
      .addOption(new Option('-o, --output <format>', 'output format').choices(outputs).default('text'))
      .option('-v, --verbose', 'more detail (all posture findings, timings)');

  withSource(program.command('check').description('diagnose mTLS configuration and explain each problem'), [
    'text',
    'json',
    'sarif',
  ]).action(async (options: SourceOptions) => {
    const { loaded, namespace } = await load(options, io);
    const diagnosis = diagnose(loaded.snapshot, { namespace, now: io.now });
    const timings = { parse: loaded.parseMs };
    if (options.output === 'json') io.stdout(renderCheckJson(diagnosis, timings));
    else if (options.output === 'sarif') io.stdout(renderSarif(diagnosis, VERSION));
    else io.stdout(renderCheckText(diagnosis, { color: io.isTty, verbose: options.verbose, timings }));
    exitCode = diagnosis.findings.some((f) => f.severity === 'error')
      ? EXIT.findings
      : diagnosis.gaps.length > 0
        ? EXIT.incomplete
        : EXIT.ok;
  });

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
    .action(async (options: SourceOptions & { all?: boolean; maxPairs: number }) => {
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

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function load(options: SourceOptions, io: Io) {
  if (options.namespace && options.allNamespaces)
    throw new UsageError('use either -n/--namespace or -A/--all-namespaces, not both');
  if (options.namespace && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(options.namespace)) {
    throw new UsageError(`"${options.namespace}" is not a valid namespace name (RFC 1123 label)`);
  }
  if (!options.file || options.file.length === 0) {
    throw new IncompleteError(
      'reading a live cluster is not available in this version; pass manifests with -f PATH (files, directories, or - for stdin)',
    );
  }
  const loaded = await loadManifestSnapshot(options.file, { cwd: io.cwd });
  if (options.verbose) {
    const s = loaded.snapshot;
    io.stderr(
      `read ${loaded.objects} objects in ${loaded.parseMs.toFixed(0)} ms: ${s.workloads.length} workloads, ${s.services.length} services, ${s.peerAuthentications.length} PeerAuthentications, ${s.destinationRules.length} DestinationRules, ${s.serviceEntries.length} ServiceEntries\n`,
    );
  }
  const namespace = options.namespace;
  if (namespace && !knownNamespaces(loaded.snapshot).has(namespace)) {
    const known = [...knownNamespaces(loaded.snapshot)].sort();
    throw new UsageError(
      `namespace "${namespace}" does not appear in the input${known.length ? ` (namespaces seen: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''})` : ' (it has no namespaced objects)'}`,
    );
  }
  return { loaded, namespace };
}
