// Speed work must not change what users read: `check -A -o json` and `matrix -A -o json` of every mesh
// we hold must stay byte for byte what the code gave before the optimisations. The golden holds the
// SHA-256 of each normalised output (timings removed), written by the code of main before them; to
// refresh it after an intended change of output, run with MTLS_DOCTOR_WRITE_GOLDEN=1 and review why.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MeshScale, writeMesh } from '../../bench/generate-mesh.js';
import { MEDIUM_MESH } from '../helpers/generated-mesh.js';
import { runCli } from '../helpers/run-cli.js';

const GOLDEN = 'test/engine/output-golden.json';
const NOW = new Date('2026-06-01T00:00:00Z');

// Scales that reach every branch of the generator: legacy namespaces (every 10th), STRICT namespaces,
// port exceptions, cross-namespace and port-level rules, external entries.
const GENERATED: Record<string, MeshScale> = {
  'generated-small': {
    namespaces: 10,
    workloadsPerNamespace: 4,
    peerAuthentications: 30,
    destinationRules: 50,
    serviceEntries: 5,
  },
  'generated-medium': MEDIUM_MESH,
};

function manifestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? manifestFiles(join(dir, e.name))
        : /\.(ya?ml|json)$/.test(e.name)
          ? [join(dir, e.name)]
          : [],
    )
    .sort();
}

/** Every input we hold: the example mesh, each fixture file and each task's manifests on their own. */
function inputs(generatedDir: string): Record<string, string> {
  const all: Record<string, string> = { 'examples/mesh': 'examples/mesh' };
  for (const file of manifestFiles('test/fixtures')) {
    if (file.includes('istioctl')) continue;
    all[file] = file;
  }
  for (const name of Object.keys(GENERATED)) all[name] = join(generatedDir, name);
  return all;
}

function normalised(stdout: string): string {
  try {
    const value = JSON.parse(stdout) as { summary?: { timingsMs?: unknown } };
    if (value.summary) delete value.summary.timingsMs;
    return JSON.stringify(value);
  } catch {
    return stdout; // an error message, compared as written
  }
}

async function digestOf(command: string, path: string, tmp: string): Promise<string> {
  const extra = command === 'check' ? ['--no-istioctl'] : [];
  const run = await runCli([command, '-A', '-f', path, '-o', 'json', ...extra], { now: NOW });
  // The generated meshes live in a fresh temporary folder: its name is not part of the output.
  const text = `${run.code}\n${normalised(run.stdout)}\n${run.stderr}`.replaceAll(tmp, '<tmp>');
  return createHash('sha256').update(text).digest('hex');
}

describe('check and matrix JSON on every mesh we hold', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'output-golden-'));
    for (const [name, scale] of Object.entries(GENERATED)) {
      const meshDir = join(dir, name);
      rmSync(meshDir, { recursive: true, force: true });
      mkdirSync(meshDir);
      writeMesh(meshDir, scale);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('equal the outputs of the code before the speed work', async () => {
    const actual: Record<string, { check: string; matrix: string }> = {};
    for (const [name, path] of Object.entries(inputs(dir))) {
      if (!statSync(path, { throwIfNoEntry: false })) continue;
      actual[name] = {
        check: await digestOf('check', path, dir),
        matrix: await digestOf('matrix', path, dir),
      };
    }
    if (process.env.MTLS_DOCTOR_WRITE_GOLDEN) writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as typeof actual;
    expect(Object.keys(actual).length).toBeGreaterThan(100);
    expect(actual).toEqual(golden);
  }, 120_000);
});
