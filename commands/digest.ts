// `mtls-doctor digest`: mTLS posture per namespace, the migration stage and next safe step, and what
// changed since the last digest (kept in --state). Exit: 3 when something could not be read, else 0;
// such a digest names what could not be read, compares nothing and is not kept as the baseline.
import type { Command } from 'commander';
import { buildDigest } from '../src/digest/build-digest.js';
import { isComplete } from '../src/digest/posture.js';
import { renderDigestJson, renderDigestText } from '../src/render/digest.js';
import { type CommandContext, EXIT, openStore } from './cli-kit.js';
import { checkPictureOptions, OUT_HELP, writePicture } from './picture-output.js';
import { type CliSourceOptions, load, withSource } from './source-options.js';

export function register(program: Command, { io, setExit, description }: CommandContext): void {
  withSource(program.command('digest').description(description), ['text', 'json', 'png'])
    .option(
      '--state <file>',
      'SQLite file that keeps postures, so the digest says what changed since the last one',
    )
    .option('--out <file>', `${OUT_HELP}: the last 30 days from --state`)
    .action(async (options: CliSourceOptions & { state?: string; out?: string }) => {
      checkPictureOptions(options);
      const { loaded, namespace } = await load(options, io);
      // SQLite (a native module) is loaded only when there is a --state to keep.
      const store = options.state ? await openStateStore(options.state) : undefined;
      try {
        const now = io.now ?? new Date();
        const digest = buildDigest(loaded.snapshot, now, store, namespace);
        // A read with gaps may show wrong modes: buildDigest did not store it, and it exits 3.
        const complete = isComplete(digest.posture);
        if (options.output === 'png' && options.out) {
          const { renderTrendPicture, trendSince } = await import('../src/render/pictures/posture-trend.js');
          const scope = namespace ? `namespace:${namespace}` : 'mesh';
          if (!store)
            io.stderr('mtls-doctor: no --state: the chart shows only today (--state keeps the history)\n');
          // The chart leaves an incomplete read out too.
          if (!complete)
            io.stderr(
              'mtls-doctor: the read is incomplete: the chart leaves today out (its score may be wrong)\n',
            );
          // buildDigest stored a complete digest already, so the history ends with it.
          const history = store
            ? store.postureHistory(scope, trendSince(now))
            : complete
              ? [digest.posture]
              : [];
          writePicture(io, options.out, await renderTrendPicture(history, now));
        } else io.stdout(options.output === 'json' ? renderDigestJson(digest) : renderDigestText(digest));
        // Whatever says "Incomplete" (a read gap, an analyzer that crashed) exits 3.
        setExit(complete ? EXIT.ok : EXIT.incomplete);
      } finally {
        store?.close();
      }
    });
}

async function openStateStore(path: string) {
  const { SqliteStore } = await import('../src/store/sqlite-store.js');
  return openStore('--state', path, (file) => new SqliteStore(file));
}
