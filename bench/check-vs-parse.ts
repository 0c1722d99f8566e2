// Issue #12 target 1: `check -A -f FILE -o json` (the built CLI, as a user runs it) beyond its
// start-up, against the bare parse of the same file: JSON.parse + JSON.stringify for JSON, js-yaml's
// loadAll (the fastest YAML parser available) for multi-document YAML; and the same check on a mesh
// of half the size (the 2x mesh against the 1x one: target ≤ 2.2×).
// Issue #12 target 5 (first half): the peak RSS of that JSON check against the size of its parsed
// objects, taken as the V8 heap growth (heapUsed after a full GC, before and after) of JSON.parse of
// the file in a fresh process that keeps the result; reported both whole and beyond the peak RSS of
// a check of a one-object file (what Node and the CLI's modules take before any input).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import type { MeshScale } from './generate-mesh.js';
import { writeMeshFiles } from './mesh-files.js';

const BIN = new URL('../bin/mtls-doctor.js', import.meta.url).pathname;
const PEAK_RSS_PROBE = new URL('./peak-rss-probe.cjs', import.meta.url).pathname;

export interface CheckAgainstParse {
  readonly objects: number;
  readonly jsonBytes: number;
  readonly startupMs: number;
  readonly jsonCheckMs: number;
  readonly jsonParseMs: number;
  readonly yamlCheckMs: number;
  readonly yamlParseMs: number;
  /** The JSON check of a mesh with half the namespaces, policies and rules, beyond start-up. */
  readonly halfJsonCheckMs: number;
  /** jsonCheckMs / halfJsonCheckMs (target ≤ 2.2). */
  readonly scalingRatio: number;
  /** Peak RSS of the JSON check of the whole mesh (median of the runs). */
  readonly peakRssBytes: number;
  /** Peak RSS of a check of a one-object file: what the process takes before any input. */
  readonly baselineRssBytes: number;
  /** Peak RSS of `node -e 0`: the floor of any Node process, before any module or input. */
  readonly nodeRssBytes: number;
  /** V8 heap growth of JSON.parse of the JSON file (the parsed objects, kept). */
  readonly parsedObjectBytes: number;
  /** peakRssBytes / parsedObjectBytes (target ≤ 4). */
  readonly peakRssRatio: number;
  /** (peakRssBytes - baselineRssBytes) / parsedObjectBytes: the part the input is responsible for. */
  readonly peakRssGrowthRatio: number;
  /**
   * `diff --base FILE -f COPY` beyond start-up, COPY being the same objects in another file: a pull
   * request that touches no mesh object, the most common one a CI job sees.
   */
  readonly unchangedDiffMs: number;
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

/** Median peak RSS (bytes) of `mtls-doctor check -A -f FILE -o json` over `repeats` runs. */
function peakRss(dir: string, file: string, repeats: number): number {
  return medianPeakRss(dir, repeats, [BIN, 'check', '-A', '-f', file, '-o', 'json', '--no-istioctl']);
}

/** Median peak RSS (bytes) of `node ARGS` over `repeats` runs. */
function medianPeakRss(dir: string, repeats: number, args: readonly string[]): number {
  const out = join(dir, 'peak-rss');
  const values: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const argv = ['--require', PEAK_RSS_PROBE, ...args];
    const result = spawnSync(process.execPath, argv, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, MTLS_DOCTOR_PEAK_RSS_FILE: out },
    });
    if (result.status === null || result.status > 1)
      throw new Error(`peak RSS of node ${args.join(' ')}: ${result.stderr}`);
    values.push(Number(readFileSync(out, 'utf8')));
  }
  return median(values);
}

/** The V8 heap growth of JSON.parse of `file`, measured in a fresh process with the result kept. */
function parsedObjectBytes(file: string): number {
  const script = `
    const text = require('node:fs').readFileSync(process.argv[1], 'utf8');
    gc(); gc();
    const before = process.memoryUsage().heapUsed;
    globalThis.kept = JSON.parse(text);
    gc(); gc();
    process.stdout.write(String(process.memoryUsage().heapUsed - before));`;
  const result = spawnSync(process.execPath, ['--expose-gc', '-e', script, file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`parsed size of ${file}: ${result.stderr}`);
  return Number(result.stdout);
}

function halved(scale: MeshScale): MeshScale {
  return {
    namespaces: Math.max(1, Math.round(scale.namespaces / 2)),
    workloadsPerNamespace: scale.workloadsPerNamespace,
    peerAuthentications: Math.max(1, Math.round(scale.peerAuthentications / 2)),
    destinationRules: Math.max(1, Math.round(scale.destinationRules / 2)),
    serviceEntries: Math.max(1, Math.round(scale.serviceEntries / 2)),
  };
}

export function measureCheckAgainstParse(scale: MeshScale, repeats: number): CheckAgainstParse {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-bench-files-'));
  try {
    const { json, yaml, objects } = writeMeshFiles(dir, scale);
    const halfDir = join(dir, 'half');
    mkdirSync(halfDir);
    const half = writeMeshFiles(halfDir, halved(scale));
    const oneObject = join(dir, 'one-object.json');
    writeFileSync(
      oneObject,
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }),
    );
    const startupMs = timed(repeats, () => cli('--help'));
    const check = (file: string) =>
      timed(repeats, () => cli('check', '-A', '-f', file, '-o', 'json', '--no-istioctl')) - startupMs;
    const jsonCheckMs = check(json);
    const halfJsonCheckMs = check(half.json);
    const peakRssBytes = peakRss(dir, json, repeats);
    const baselineRssBytes = peakRss(dir, oneObject, repeats);
    const nodeRssBytes = medianPeakRss(dir, repeats, ['-e', '0']);
    const parsed = parsedObjectBytes(json);
    const copy = join(dir, 'copy.json');
    writeFileSync(copy, readFileSync(json));
    const unchangedDiffMs =
      timed(repeats, () => cli('diff', '--base', json, '-f', copy, '-o', 'json')) - startupMs;
    return {
      objects,
      jsonBytes: statSync(json).size,
      startupMs,
      jsonCheckMs,
      jsonParseMs: timed(repeats, () => JSON.stringify(JSON.parse(readFileSync(json, 'utf8')))),
      yamlCheckMs: check(yaml),
      yamlParseMs: timed(repeats, () => loadAll(readFileSync(yaml, 'utf8'), null, { schema: CORE_SCHEMA })),
      halfJsonCheckMs,
      scalingRatio: jsonCheckMs / halfJsonCheckMs,
      peakRssBytes,
      baselineRssBytes,
      nodeRssBytes,
      parsedObjectBytes: parsed,
      peakRssRatio: peakRssBytes / parsed,
      peakRssGrowthRatio: (peakRssBytes - baselineRssBytes) / parsed,
      unchangedDiffMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line for the benchmark's report: the scaling and the peak RSS figures of a measurement. */
export function scalingAndMemoryLine(m: CheckAgainstParse): string {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  return `- (g2) \`check -A -f\` JSON, 2x mesh / 1x mesh time beyond start-up: **${m.scalingRatio.toFixed(2)}×** (${m.jsonCheckMs.toFixed(0)} vs ${m.halfJsonCheckMs.toFixed(0)} ms; target ≤ 2.2×); peak RSS of the 2x check ${mib(m.peakRssBytes)} / parsed objects ${mib(m.parsedObjectBytes)} (V8 heap growth of JSON.parse of the file): **${m.peakRssRatio.toFixed(1)}×** (target ≤ 4×); beyond a one-object check (${mib(m.baselineRssBytes)}): **${m.peakRssGrowthRatio.toFixed(1)}×**. \`node -e 0\` alone peaks at ${mib(m.nodeRssBytes)}, **${(m.nodeRssBytes / m.parsedObjectBytes).toFixed(1)}×** the parsed objects: with the file's text and the parsed objects held once, no Node process gets under ${((m.nodeRssBytes + m.jsonBytes + m.parsedObjectBytes) / m.parsedObjectBytes).toFixed(1)}×`;
}
