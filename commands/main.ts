// The `mtls-doctor` command line (design.md §2): finds the command named on the command line and
// loads only that command's module, so `--help` and `check -f` never pay for the Slack or Kubernetes
// clients. Each module in this folder declares its options, its action and its exit-code rule.
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ClusterUnavailableError, KubeConfigError, ManifestError } from '../src/snapshot/errors.js';
import {
  type CommandContext,
  type CommandModule,
  defaultIo,
  EXIT,
  IncompleteError,
  type Io,
  packageVersion,
  UsageError,
} from './cli-kit.js';

export { EXIT, type Io } from './cli-kit.js';

interface CommandEntry {
  readonly description: string;
  load(): Promise<CommandModule>;
}

// Descriptions live here, not in the modules, so the overall help loads no command module.
const COMMANDS: Record<string, CommandEntry> = {
  check: {
    description: 'diagnose mTLS configuration and explain each problem',
    load: () => import('./check.js'),
  },
  certs: {
    description: 'show CA, root and proxy certificates, and their problems',
    load: () => import('./certs.js'),
  },
  serve: {
    description: 'run the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP with SLACK_SIGNING_SECRET)',
    load: () => import('./serve.js'),
  },
  digest: {
    description: 'mTLS posture per namespace, migration stage, next step, changes',
    load: () => import('./digest.js'),
  },
  fix: {
    description: 'show (dry run) or apply one remediation plan of the diagnosis, or roll one back',
    load: () => import('./fix.js'),
  },
  matrix: {
    description: 'who can reach which service port, and why not',
    load: () => import('./matrix.js'),
  },
  diff: {
    description: 'which calls a change breaks and repairs (PR review, what-if)',
    load: () => import('./diff.js'),
  },
};

/**
 * The name to show in help: the command as invoked (bin/mtls-doctor.js runs as `mtls-doctor` and as the
 * kubectl plugin `kubectl-mtls`, which users type as `kubectl mtls`).
 */
export function programName(scriptPath: string | undefined): string {
  const invoked = basename(scriptPath ?? '').replace(/\.[cm]?js$/, '');
  if (invoked === 'kubectl-mtls') return 'kubectl mtls';
  return invoked === '' ? 'mtls-doctor' : invoked;
}

export async function main(
  argv: readonly string[],
  io: Io = defaultIo,
  name = 'mtls-doctor',
): Promise<number> {
  let exitCode: number = EXIT.ok;
  const version = packageVersion();
  const program = new Command()
    .name(name)
    .description('Finds, explains and fixes Istio mutual-TLS misconfiguration.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');
  const context: Omit<CommandContext, 'description'> = {
    io,
    version,
    setExit: (code) => {
      exitCode = code;
    },
  };
  // `help check` asks for the same command as `check --help`.
  const named = argv[0] === 'help' ? argv[1] : argv[0];
  try {
    for (const [command, entry] of Object.entries(COMMANDS)) {
      if (command === named)
        (await entry.load()).register(program, { ...context, description: entry.description });
      else program.command(command).description(entry.description);
    }
    if (argv.length === 0) {
      io.stdout(program.helpInformation());
      return EXIT.ok;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const exit = exitCodeOf(error);
    if (exit === undefined) throw error;
    // Messages go to a terminal: no escape sequences, whoever wrote them. Those built from text of
    // elsewhere (an API server's message, a kubeconfig parser's, a file name) are also one line, so no
    // part of them can pass for a line of the tool's own; ours may span lines (a plan's commands).
    // Loaded on an error only: start-up stays main, cli-kit and errors.
    const { oneLine, sanitizeText } = await import('../src/render/sanitize.js');
    const message = (error as Error).message;
    io.stderr(
      `${name}: ${error instanceof UsageError || error instanceof IncompleteError ? sanitizeText(message) : oneLine(message)}\n`,
    );
    return exit;
  }
}

/** Bad usage or input exits 2, no cluster at all or an incomplete run 3, from any command. */
function exitCodeOf(error: unknown): number | undefined {
  if (error instanceof UsageError || error instanceof KubeConfigError || error instanceof ManifestError)
    return EXIT.usage;
  if (error instanceof IncompleteError || error instanceof ClusterUnavailableError) return EXIT.incomplete;
  return undefined;
}
