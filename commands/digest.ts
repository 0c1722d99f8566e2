// `mtls-doctor digest`: mTLS posture per namespace, the migration stage and next safe step, and what
// changed since the last digest (kept in --state). Exit: 3 when something could not be read, else 0.
import type { Command } from 'commander';
import { buildDigest } from '../src/digest/build-digest.js';
import { renderDigestJson, renderDigestText } from '../src/render/digest.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { type CommandContext, EXIT, openStore } from './cli-kit.js';
import { type CliSourceOptions, load, withSource } from './source-options.js';

export const description = 'mTLS posture per namespace, migration stage, next step, changes';

export function register(program: Command, { io, setExit }: CommandContext): void {
  withSource(program.command('digest').description(description), ['text', 'json'])
    .option(
      '--state <file>',
      'SQLite file that keeps postures, so the digest says what changed since the last one',
    )
    .action(async (options: CliSourceOptions & { state?: string }) => {
      const { loaded, namespace } = await load(options, io);
      const store = options.state
        ? openStore('--state', options.state, (path) => new SqliteStore(path))
        : undefined;
      try {
        const digest = buildDigest(loaded.snapshot, io.now ?? new Date(), store, namespace);
        io.stdout(options.output === 'json' ? renderDigestJson(digest) : renderDigestText(digest));
        setExit(loaded.snapshot.gaps.some((g) => !g.optional) ? EXIT.incomplete : EXIT.ok);
      } finally {
        store?.close();
      }
    });
}
