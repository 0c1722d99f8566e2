// What a run of the built CLI really loaded, read from the URLs record-imports.mjs writes: the files
// themselves, and through the bundle's metafile (dist/cli.meta.json) which sources and packages the
// loaded chunks hold. Works on tsc's dist/ too, so a test reads the same on either build.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(import.meta.dirname, '../..');
const RECORD = join(ROOT, 'test/helpers/record-imports.mjs');

export interface LoadedModules {
  /** Every file loaded, relative to the repository (a linked node_modules as its real path). */
  readonly files: readonly string[];
  /** Packages whose own files were read from node_modules. */
  readonly fromNodeModules: ReadonlySet<string>;
  /** Packages whose code was loaded at all: read from node_modules or compiled into a loaded chunk. */
  readonly packages: ReadonlySet<string>;
  /** Our sources whose code was loaded, as `commands/check.ts`. */
  readonly ours: readonly string[];
}

const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];

/** Runs `node --import record-imports.mjs bin/mtls-doctor.js ...args`; `file` receives the URLs. */
export function loadedBy(args: readonly string[], file: string): LoadedModules {
  try {
    execFileSync(process.execPath, ['--import', RECORD, join(ROOT, 'bin/mtls-doctor.js'), ...args], {
      env: { ...process.env, RECORD_IMPORTS_FILE: file },
      stdio: 'pipe',
    });
  } catch {
    // The exit code is the command's business (findings exit 1); what it loaded is ours.
  }
  return modulesIn(readFileSync(file, 'utf8'));
}

/** Reads a record-imports.mjs file. */
export function modulesIn(recorded: string): LoadedModules {
  const files = recorded
    .split('\n')
    .filter((u) => u.startsWith('file:'))
    .map((u) => relative(ROOT, fileURLToPath(u)));
  const fromNodeModules = new Set(files.flatMap((f) => packageOf(f) ?? []));
  const packages = new Set(fromNodeModules);
  const ours: string[] = [];
  const chunks = bundleInputs();
  for (const f of files) {
    const inputs = chunks.get(f) ?? (f.startsWith('dist/') ? [f.slice('dist/'.length)] : []);
    for (const input of inputs) {
      const pkg = packageOf(input);
      if (pkg) packages.add(pkg);
      else if (/^(src|commands)\//.test(input)) ours.push(input.replace(/\.js$/, '.ts'));
    }
  }
  return { files, fromNodeModules, packages, ours };
}

/** Each bundle chunk (dist/cli/…) and the sources compiled into it, from esbuild's metafile. */
export function bundleInputs(): Map<string, string[]> {
  const metafile = join(ROOT, 'dist/cli.meta.json');
  if (!existsSync(metafile)) return new Map();
  const { outputs } = JSON.parse(readFileSync(metafile, 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(Object.entries(outputs).map(([out, { inputs }]) => [out, Object.keys(inputs)]));
}
