// `mtls-doctor matrix`: every client workload → service port, whether the call works and why not.
// Exit: 1 when any pair fails, 3 when (no pair fails but) something could not be read.
import type { Command } from 'commander';
import { blockingGaps, diagnose } from '../src/engine/diagnose.js';
import { buildMatrix, countPairs, matrixPairs } from '../src/engine/matrix.js';
import { renderMatrixJsonChunks } from '../src/render/json.js';
import { renderMatrixText } from '../src/render/matrix-text.js';
import { sanitizeText } from '../src/render/sanitize.js';
import { type CommandContext, EXIT, parseCount, UsageError, writeChunks } from './cli-kit.js';
import { checkPictureOptions, OUT_HELP, writePicture } from './picture-output.js';
import { type CliSourceOptions, load, withSource } from './source-options.js';

const DEFAULT_MAX_PAIRS = 2_000_000;

export function register(program: Command, { io, setExit, description }: CommandContext): void {
  withSource(program.command('matrix').description(description), ['text', 'json', 'png'])
    .option('--all', 'text: list every working pair too')
    .option('--out <file>', OUT_HELP)
    .option(
      '--max-pairs <n>',
      'refuse to build a larger matrix (use -n to narrow it)',
      parseCount,
      DEFAULT_MAX_PAIRS,
    )
    .action(async (options: CliSourceOptions & { all?: boolean; maxPairs: number; out?: string }) => {
      checkPictureOptions(options);
      const { loaded, namespace } = await load(options, io);
      const diagnosis = diagnose(loaded.snapshot, { namespace, now: io.now, analyzers: [] });
      const pairs = countPairs(diagnosis.mesh, namespace);
      if (pairs > options.maxPairs) {
        throw new UsageError(
          `the matrix would hold ${pairs.toLocaleString('en')} pairs (limit ${options.maxPairs.toLocaleString('en')}): narrow it with -n NAMESPACE, or raise --max-pairs`,
        );
      }
      let failing = false;
      if (options.output === 'json') {
        // Streamed: millions of pairs never become one string (or one array).
        const skipped: string[] = [];
        const pairs = matrixPairs(diagnosis.mesh, namespace, skipped);
        const counted = (function* () {
          for (const pair of pairs) {
            if (pair.outcome === 'fail') failing = true;
            yield pair;
          }
        })();
        await writeChunks(io, renderMatrixJsonChunks(counted, diagnosis.gaps, skipped));
      } else if (options.output === 'png' && options.out) {
        const matrix = buildMatrix(diagnosis.mesh, namespace);
        failing = matrix.pairs.some((p) => p.outcome === 'fail');
        // Loaded here only: the drawing libraries are heavy and no other output needs them.
        const { renderMatrixPicture } = await import('../src/render/pictures/matrix-heatmap.js');
        const title = namespace ? `Connectivity of ${namespace}` : 'Connectivity of the mesh';
        writePicture(io, options.out, await renderMatrixPicture(matrix.pairs, { title }));
      } else {
        const matrix = buildMatrix(diagnosis.mesh, namespace);
        failing = matrix.pairs.some((p) => p.outcome === 'fail');
        io.stdout(renderMatrixText(matrix, { color: io.isTty, all: options.all, gaps: diagnosis.gaps }));
      }
      // Pairs judged without the policies or pods that could not be read are no all clear.
      const incomplete = blockingGaps(diagnosis);
      if (incomplete.length > 0 && options.output === 'png')
        io.stderr(
          `mtls-doctor matrix: incomplete, could not read ${incomplete.map((g) => sanitizeText(g.source)).join(', ')}\n`,
        );
      setExit(failing ? EXIT.findings : incomplete.length > 0 ? EXIT.incomplete : EXIT.ok);
    });
}
