// `mtls-doctor check`: what breaks, for whom, why, and the fix. Reads the source, diagnoses it,
// cross-checks with istioctl where it is installed, renders text, JSON or SARIF.
// Exit: 1 for error findings (0 with --exit-zero), 3 when something could not be read.
import type { Command } from 'commander';
import { findingsFromIstioctl } from '../src/analyzers/istioctl-messages.js';
import { collectWorkloadCertificates } from '../src/certs/collect-workload-certs.js';
import { type Diagnosis, diagnose, withAdditions } from '../src/engine/diagnose.js';
import { renderCheckJsonChunks } from '../src/render/json.js';
import { renderSarif } from '../src/render/sarif.js';
import { renderCheckText } from '../src/render/text.js';
import { findIstioctl, type IstioctlOptions, istioctlAnalyze } from '../src/snapshot/istioctl.js';
import { type CommandContext, type Io, parseTimeout, UsageError, writeChunks } from './cli-kit.js';
import {
  type CliSourceOptions,
  exitCodeFor,
  load,
  READ_CA_SECRET_HELP,
  withSource,
} from './source-options.js';

interface CheckOptions extends CliSourceOptions {
  istioctl?: string | false;
  istioctlTimeout: number;
  exitZero?: boolean;
}

export function register(program: Command, { io, version, setExit, description }: CommandContext): void {
  withSource(program.command('check').description(description), ['text', 'json', 'sarif'])
    .option('--istioctl <path>', 'istioctl binary for cross-checks (default: istioctl on PATH)')
    .option('--no-istioctl', 'do not run istioctl (analyze, proxy certificates)')
    .option('--istioctl-timeout <ms>', 'timeout of each istioctl run', parseTimeout, 60_000)
    .option('--read-ca-secret', READ_CA_SECRET_HELP)
    .option(
      '--exit-zero',
      'exit 0 even when error findings are reported (usage errors and incomplete checks still fail)',
    )
    .action(async (options: CheckOptions) => {
      // `-f -` is read once: the analysis and istioctl analyze both need its text.
      const stdin = rememberStdin(io);
      const { loaded, namespace } = await load({ ...options, stdin: stdin.read }, io);
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
        diagnosis = await crossCheckWithIstioctl(
          diagnosis,
          istioctl,
          istioctlOptions,
          options.file,
          stdin.text(),
        );
      const timings = { [loaded.source.kind === 'cluster' ? 'read' : 'parse']: loaded.readMs };
      if (options.output === 'json')
        await writeChunks(io, renderCheckJsonChunks(diagnosis, timings, loaded.source));
      else if (options.output === 'sarif') io.stdout(renderSarif(diagnosis, version));
      else io.stdout(renderCheckText(diagnosis, { color: io.isTty, verbose: options.verbose, timings }));
      setExit(exitCodeFor(diagnosis, options.exitZero));
    });
}

export async function resolveIstioctl(option: string | false | undefined): Promise<string | undefined> {
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
  stdinText?: string,
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
  const result = await istioctlAnalyze(
    istioctl,
    { namespace: diagnosis.namespace, files, stdinText },
    options,
  );
  if (!result.ok) return withAdditions(diagnosis, [], [{ ...result.gap, optional: true }]);
  return withAdditions(diagnosis, findingsFromIstioctl(result.value, diagnosis.findings), []);
}

/** Reads stdin once on demand and keeps its text for istioctl analyze. */
function rememberStdin(io: Io): { read: () => Promise<string>; text: () => string | undefined } {
  let text: string | undefined;
  const readAll = async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  return {
    read: async () => {
      text = await (io.stdin ?? readAll)();
      return text;
    },
    text: () => text,
  };
}
