// Bundles the CLI that bin/mtls-doctor.js runs into dist/cli/, so start-up resolves and compiles a few
// files instead of hundreds (zod alone is 95 ES modules). Run after tsc by `npm run build`/`prepare`;
// tsc's dist/ stays for tests, tsx runs and their worker threads.
//
// - Each command and each `await import()` stays its own lazily loaded chunk (--splitting).
// - Only the small pure-JS packages that every command pays for are bundled; every other dependency
//   (native code, worker threads, fonts, the Kubernetes and Slack clients) still loads from
//   node_modules, and only for the command that uses it.
// - The answer worker is an entry point too: answer-pool finds it next to itself as ./answer-worker.js.
// - Not minified, so stack traces read like the sources: minifying whitespace and syntax saved ~2 ms
//   of compile time on `check -f` (measured), not worth unreadable traces.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist/cli');

/** Dependencies compiled into the bundle; the rest of package.json's dependencies stay external. */
const BUNDLED = new Set(['commander', 'zod', 'yaml', 'js-yaml', 'picocolors', 'diff', 'croner']);

const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies).filter((name) => !BUNDLED.has(name));

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'commands/main.ts', 'answer-worker': 'src/slack/answer-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Bundled CommonJS packages (commander, picocolors) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  metafile: true,
  write: false,
  logLevel: 'warning',
});

// Only changed files are written, each through a rename, so a process that is starting from dist/cli
// while another build runs (the tests build in parallel) never reads a half-written chunk.
mkdirSync(outdir, { recursive: true });
for (const file of result.outputFiles) {
  let current;
  try {
    current = readFileSync(file.path);
  } catch {
    current = undefined;
  }
  if (current?.equals(file.contents)) continue;
  mkdirSync(dirname(file.path), { recursive: true });
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
}
// Chunks of earlier builds (their names carry a content hash) would only pile up.
const written = new Set(result.outputFiles.map((file) => file.path));
for (const name of readdirSync(outdir)) {
  const path = join(outdir, name);
  if (!written.has(path) && !name.endsWith('.tmp')) rmSync(path, { force: true });
}
// Which sources each chunk holds: tests read it to see what a command really loads.
const metafile = join(root, 'dist/cli.meta.json');
const temporary = `${metafile}.${process.pid}.tmp`;
writeFileSync(temporary, JSON.stringify(result.metafile));
renameSync(temporary, metafile);
