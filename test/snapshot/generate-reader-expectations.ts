// Freezes what the manifest reader finds in every fixture (objects, their lines, the line of every field
// path) so a faster reader can be checked against it. Generated once from the yaml-package reader
// (then src/snapshot/read-manifests.ts; now parse-yaml-exact.ts, the same reader):
//   npx tsx test/snapshot/generate-reader-expectations.ts > test/snapshot/reader-expectations.json
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseYamlExact } from '../../src/snapshot/parse-yaml-exact.js';

export const FIXTURE_ROOTS = ['test/fixtures', 'examples'];

export function fixtureFiles(): string[] {
  return FIXTURE_ROOTS.flatMap((root) =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
      .map((f) => join(root, f)),
  ).sort();
}

/** Every key path inside a value (objects and arrays), the empty path first. */
export function allPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      paths.push(...allPaths(v, [...prefix, i]));
    });
  } else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) paths.push(...allPaths(v, [...prefix, k]));
  return paths;
}

function main(): void {
  const out: Record<string, unknown> = {};
  for (const file of fixtureFiles()) {
    try {
      const raws = parseYamlExact(readFileSync(file, 'utf8'), file);
      out[file] = raws.map((raw) => ({
        line: raw.location?.line,
        object: raw.object,
        // A path that does not exist too: the reader falls back to the deepest line it found.
        fieldLines: [...allPaths(raw.object), ['metadata', 'no-such-field']].map((p) => [p, raw.lineOf(p)]),
      }));
    } catch (error) {
      out[file] = { error: (error as Error).message };
    }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1]?.endsWith('generate-reader-expectations.ts')) main();
