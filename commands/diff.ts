// `mtls-doctor diff`: what a change does to who-can-reach-whom. The base is --base PATH, the -f paths
// at --base-ref GITREF, or (with --what-if) the input itself with one policy changed in memory.
// Exit: 1 when a call breaks, 0 otherwise, 2 bad usage or input, 3 too broad to enumerate, unreadable,
// or (nothing breaks but) something could not be read.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { knownNamespaces } from '../src/engine/diagnose.js';
import { DEFAULT_MAX_PAIRS, impact } from '../src/engine/impact.js';
import { avoidancePlan } from '../src/impact/avoid-breakage.js';
import { leftOutOfBaseNotes } from '../src/impact/left-out-of-base.js';
import {
  applyWhatIf,
  describeWhatIf,
  isPolicyWhatIf,
  parseWhatIf,
  WhatIfError,
  whatIfNamespace,
  whatIfUnknownHost,
} from '../src/impact/what-if.js';
import { type ImpactExtras, renderImpactJson } from '../src/render/diff-json.js';
import { renderImpactMarkdown } from '../src/render/diff-markdown.js';
import { renderImpactSarif } from '../src/render/diff-sarif.js';
import { blockingImpactGaps, breakCount } from '../src/render/diff-summary.js';
import { renderImpactText } from '../src/render/diff-text.js';
import { buildSnapshot } from '../src/snapshot/build-snapshot.js';
import { ManifestError } from '../src/snapshot/errors.js';
import { LeftOutObjects } from '../src/snapshot/invalid-object.js';
import type { MeshSnapshot } from '../src/snapshot/types.js';
import { type CommandContext, collect, EXIT, parseCount, parseTimeout, UsageError } from './cli-kit.js';
import { type CliSourceOptions, load } from './source-options.js';

interface DiffOptions extends CliSourceOptions {
  base?: string;
  baseRef?: string;
  whatIf?: string;
  all?: boolean;
  maxPairs: number;
}

export function register(program: Command, { io, version, setExit, description }: CommandContext): void {
  program
    .command('diff')
    .description(description)
    .option('--base <path>', 'manifests before the change (file or directory)')
    .option('--base-ref <gitref>', 'the -f paths as they are at this git ref of the current checkout')
    .option(
      '--what-if <change>',
      "'namespace=NS mode=STRICT|PERMISSIVE|DISABLE', 'mesh mode=...', 'automtls=on|off' or 'host=HOST tls=DISABLE|SIMPLE|MUTUAL|ISTIO_MUTUAL [namespace=NS]'",
    )
    .option('-f, --file <path>', 'manifests after the change (repeatable; - for stdin)', collect)
    .option('--context <ctx>', 'kubeconfig context (live cluster, with --what-if)')
    .option('--kubeconfig <path>', 'kubeconfig file (live cluster, with --what-if)')
    .option('--request-timeout <ms>', 'timeout of each Kubernetes API request', parseTimeout, 10_000)
    .option('--page-size <n>', 'objects per Kubernetes LIST page', parseCount, 5000)
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json', 'sarif', 'markdown'])
        .default('text'),
    )
    .option('--all', 'text: list every broken and repaired call')
    .option(
      '--max-pairs <n>',
      'give up on a change that can affect more pairs',
      parseCount,
      DEFAULT_MAX_PAIRS,
    )
    .option('-v, --verbose', 'timings on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n  mtls-doctor diff --base-ref origin/main -f deploy/mesh -o markdown\n  mtls-doctor diff --base old/ -f new/ -o sarif\n  mtls-doctor diff -f deploy/mesh --what-if "namespace=shop mode=STRICT"\n',
    )
    .action(async (options: DiffOptions) => {
      const bases = [options.base, options.baseRef, options.whatIf].filter((b) => b !== undefined);
      if (bases.length !== 1)
        throw new UsageError('give exactly one of --base PATH, --base-ref GITREF or --what-if CHANGE');
      if ((options.base || options.baseRef) && !options.file?.length)
        throw new UsageError('--base and --base-ref compare with the -f manifests: add -f PATH');
      if (options.baseRef && options.file?.includes('-'))
        throw new UsageError('--base-ref reads the -f paths from git: stdin (-) has no history');
      // Paths are the user's, relative to the working folder the command runs in.
      const absolute = (f: string) => (f === '-' ? f : resolve(io.cwd, f));
      options.file = options.file?.map(absolute);
      if (options.base) options.base = absolute(options.base);
      let before: MeshSnapshot;
      let after: MeshSnapshot;
      const extras: { whatIf?: string; plan?: ImpactExtras['plan']; notes?: string[] } = {};
      let policyWhatIf = false;
      if (options.whatIf !== undefined) {
        let change: ReturnType<typeof parseWhatIf>;
        try {
          change = parseWhatIf(options.whatIf);
        } catch (error) {
          if (error instanceof WhatIfError) throw new UsageError(`--what-if: ${error.message}`);
          throw error;
        }
        before = (await load(options, io)).loaded.snapshot;
        const namespace = whatIfNamespace(change);
        if (namespace && !knownNamespaces(before).has(namespace))
          throw new UsageError(`--what-if: namespace "${namespace}" does not appear in the input`);
        const unknownHost = whatIfUnknownHost(before, change);
        if (unknownHost) throw new UsageError(`--what-if: ${unknownHost}`);
        after = applyWhatIf(before, change);
        extras.whatIf = describeWhatIf(change);
        // The avoidance plan is about callers a stricter policy resets; other what-ifs list their reasons.
        policyWhatIf = isPolicyWhatIf(change);
      } else {
        // The base leaves invalid objects out (named in notes); the -f side stays strict bad input.
        const base = options.base ? 'base' : `base at ${options.baseRef}`;
        const leftOut = new LeftOutObjects();
        before = await namingBase(base, async () =>
          options.base
            ? (await load({ ...options, file: [options.base], leftOut }, io)).loaded.snapshot
            : await snapshotAtRef(options.baseRef as string, { ...options, leftOut }, io),
        );
        after = (await load(options, io)).loaded.snapshot;
        extras.notes = leftOutOfBaseNotes(leftOut, base);
      }
      const result = impact(before, after, { now: io.now, maxPairs: options.maxPairs });
      if (extras.whatIf && policyWhatIf)
        extras.plan = avoidancePlan(result.broken, extras.whatIf, result.counts.broken);
      if (options.verbose)
        io.stderr(
          `diagnosed both sides in ${result.timings.diagnoseMs.toFixed(0)} ms, compared ${result.pairsCompared} pairs in ${result.timings.compareMs.toFixed(0)} ms\n`,
        );
      if (options.output === 'json') io.stdout(renderImpactJson(result, extras));
      else if (options.output === 'sarif') io.stdout(renderImpactSarif(result, version, extras.notes));
      else if (options.output === 'markdown') io.stdout(renderImpactMarkdown(result, extras));
      else io.stdout(renderImpactText(result, { color: io.isTty, all: options.all, ...extras }));
      if (result.tooBroad) {
        io.stderr(`mtls-doctor diff: ${result.tooBroad.message}; raise --max-pairs to enumerate it anyway\n`);
        setExit(EXIT.incomplete);
      } else if (breakCount(result) > 0) setExit(EXIT.findings);
      // "Breaks nothing" from a read that missed pods or policies is no all clear.
      else setExit(blockingImpactGaps(result).length > 0 ? EXIT.incomplete : EXIT.ok);
    });
}

/** What still stops the base's read (a YAML error) says it is the base: the -f file may be fine. */
async function namingBase(base: string, read: () => Promise<MeshSnapshot>): Promise<MeshSnapshot> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    throw new ManifestError(error.file, error.line, error.detail, `${base}: ${error.message}`);
  }
}

async function snapshotAtRef(
  ref: string,
  options: DiffOptions,
  io: CommandContext['io'],
): Promise<MeshSnapshot> {
  // Loaded only here: git (and execa) are not needed for --base or --what-if.
  const { checkoutAtRef, GitBaseError } = await import('../src/impact/git-base.js');
  // A mistyped -f path is named as such, not read as a base with nothing in it.
  for (const file of options.file ?? [])
    if (file !== '-' && !existsSync(file)) throw new UsageError(`-f ${file}: no such file or directory`);
  let base: Awaited<ReturnType<typeof checkoutAtRef>>;
  try {
    base = await checkoutAtRef(ref, options.file ?? [], io.cwd);
  } catch (error) {
    if (error instanceof GitBaseError) throw new UsageError(error.message);
    throw error;
  }
  try {
    // Nothing of the -f paths existed at the ref (a pull request adding them): everything is new.
    if (base.paths.length === 0) return buildSnapshot([]);
    return (await load({ ...options, file: [...base.paths] }, { ...io, cwd: base.cwd })).loaded.snapshot;
  } finally {
    base.cleanup();
  }
}
