// The drawing libraries are heavy (vega, resvg's native binary, a font): only `-o png` loads them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedBy } from '../helpers/loaded-modules.js';

const root = join(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'mtls-lazy-'));
beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root });
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const DRAWING = ['vega', 'vega-lite', '@resvg/resvg-js'];

function packagesLoadedBy(args: string[]): ReadonlySet<string> {
  return loadedBy(args, join(tmp, `${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`)).packages;
}

describe('drawing libraries load only for pictures', () => {
  it('matrix and digest as text or JSON load none of them', () => {
    for (const args of [
      ['matrix', '-f', join(root, 'examples/mesh')],
      ['digest', '-f', join(root, 'examples/mesh'), '-o', 'json'],
    ]) {
      const loaded = packagesLoadedBy(args);
      for (const pkg of DRAWING) expect(loaded.has(pkg), `${args[0]} loaded ${pkg}`).toBe(false);
    }
  });

  it('matrix -o png loads them', () => {
    const loaded = packagesLoadedBy([
      'matrix',
      '-f',
      join(root, 'examples/mesh'),
      '-o',
      'png',
      '--out',
      join(tmp, 'm.png'),
    ]);
    for (const pkg of DRAWING) expect(loaded.has(pkg), pkg).toBe(true);
  });
});
