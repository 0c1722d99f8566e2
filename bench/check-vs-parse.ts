// Issue #12 target 1: `check -A -f FILE -o json` (the built CLI, as a user runs it) beyond its
// start-up, against the bare parse of the same file: JSON.parse + JSON.stringify for JSON, js-yaml's
// loadAll (the fastest YAML parser available) for multi-document YAML.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import type { MeshScale } from './generate-mesh.js';
import { writeMeshFiles } from './mesh-files.js';

const BIN = new URL('../bin/mtls-doctor.js', import.meta.url).pathname;

export interface CheckAgainstParse {
  readonly objects: number;
  readonly jsonBytes: number;
  readonly startupMs: number;
  readonly jsonCheckMs: number;
  readonly jsonParseMs: number;
  readonly yamlCheckMs: number;
  readonly yamlParseMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function timed(repeats: number, run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return median(times);
}

function cli(...argv: string[]): void {
  const result = spawnSync(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status === null || result.status > 1)
    throw new Error(`mtls-doctor ${argv.join(' ')}: ${result.stderr}`);
}

export function measureCheckAgainstParse(scale: MeshScale, repeats: number): CheckAgainstParse {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-bench-files-'));
  try {
    const { json, yaml, objects } = writeMeshFiles(dir, scale);
    const startupMs = timed(repeats, () => cli('--help'));
    const check = (file: string) =>
      timed(repeats, () => cli('check', '-A', '-f', file, '-o', 'json', '--no-istioctl')) - startupMs;
    return {
      objects,
      jsonBytes: statSync(json).size,
      startupMs,
      jsonCheckMs: check(json),
      jsonParseMs: timed(repeats, () => JSON.stringify(JSON.parse(readFileSync(json, 'utf8')))),
      yamlCheckMs: check(yaml),
      yamlParseMs: timed(repeats, () => loadAll(readFileSync(yaml, 'utf8'), null, { schema: CORE_SCHEMA })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
