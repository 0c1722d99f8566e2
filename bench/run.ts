// `npm run bench`: analysis cost against parse cost, scaling with mesh size, matrix time, peak memory.
// All figures come from one run on this machine; ratios, not absolute timings, are the claims.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diagnose } from '../src/engine/diagnose.js';
import { buildMatrix } from '../src/engine/matrix.js';
import { loadManifestSnapshot } from '../src/snapshot/load.js';
import { measureCheckAgainstParse, scalingAndMemoryLine } from './check-vs-parse.js';
import { BASE_SCALE, type MeshScale, scaled, writeMesh } from './generate-mesh.js';
import { type ImpactMeasure, measureImpact } from './impact.js';
import { liveReadLine, measureLiveRead } from './live-read.js';
import { measureAckLatency } from './slack-ack.js';
import { measureStartup } from './startup.js';
import { atMost, below, targetTable } from './targets.js';
import { measureWatchModel, watchModelLine } from './watch-model.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

interface Measured {
  readonly label: string;
  readonly objects: number;
  readonly workloads: number;
  readonly parseMs: number;
  readonly analysisMs: number;
  readonly findings: number;
  readonly matrixMs: number;
  readonly matrixPairs: number;
  readonly impact?: ImpactMeasure;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(label: string, scale: MeshScale, withImpact = false): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-bench-'));
  try {
    mkdirSync(dir, { recursive: true });
    writeMesh(dir, scale);
    const parse: number[] = [];
    const analysis: number[] = [];
    const matrix: number[] = [];
    let objects = 0;
    let workloads = 0;
    let findings = 0;
    let pairs = 0;
    for (let i = 0; i < REPEATS; i++) {
      const loaded = await loadManifestSnapshot([dir]);
      parse.push(loaded.parseMs);
      objects = loaded.objects;
      workloads = loaded.snapshot.workloads.length;
      const started = performance.now();
      const diagnosis = diagnose(loaded.snapshot);
      analysis.push(performance.now() - started);
      findings = diagnosis.findings.length;
      const matrixStarted = performance.now();
      pairs = buildMatrix(diagnosis.mesh, 'team-3').pairs.length;
      matrix.push(performance.now() - matrixStarted);
    }
    const impact = withImpact ? await measureImpact(dir, 'team-4', REPEATS) : undefined;
    return {
      label,
      impact,
      objects,
      workloads,
      parseMs: median(parse),
      analysisMs: median(analysis),
      findings,
      matrixMs: median(matrix),
      matrixPairs: pairs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  // The ack latency first, in a process not yet loaded by the large meshes' garbage.
  const ack = await measureAckLatency(50);
  const startup = measureStartup();
  const base = await measure('1x', BASE_SCALE);
  const double = await measure('2x', scaled(BASE_SCALE, 2), true);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const files = measureCheckAgainstParse(scaled(BASE_SCALE, 2), REPEATS);
  const watch = await measureWatchModel();
  const live = await measureLiveRead();
  const startupBeyond = (ms: number) => ms - startup.nodeMs;
  const targets = targetTable([
    atMost('(a) analysis / parse, 1x mesh', base.analysisMs / base.parseMs, 1, '×'),
    atMost('(b) analysis, 2x / 1x mesh', double.analysisMs / base.analysisMs, 2.3, '×'),
    below('(e) bot burst: ack p99', ack.p99Ms, 100, 'ms'),
    atMost('(e) bot burst: all answered / one alone', ack.allAnsweredMs / ack.singleMs, 3, '×'),
    below('(e) bot burst: peak RSS', ack.peakRssMiB, 1024, 'MiB'),
    atMost('(f) start-up beyond `node -e 0`: `--help`', startupBeyond(startup.helpMs), 300, 'ms'),
    atMost(
      '(f) start-up beyond `node -e 0`: `check -f` small file',
      startupBeyond(startup.checkSmallMs),
      300,
      'ms',
    ),
    atMost('(g) `check -A -f` JSON / JSON.parse + stringify', files.jsonCheckMs / files.jsonParseMs, 3, '×'),
    atMost('(g) `check -A -f` YAML / js-yaml loadAll', files.yamlCheckMs / files.yamlParseMs, 3, '×'),
    atMost('(g2) `check -A -f` JSON, 2x / 1x mesh', files.scalingRatio, 2.2, '×'),
    atMost('(g2) peak RSS of the 2x check / its parsed objects', files.peakRssRatio, 4, '×'),
    ...(double.impact
      ? [atMost('(h) change impact / one check', double.impact.impactMs / double.impact.checkMs, 2, '×')]
      : []),
    atMost(
      '(h) `diff --base` of a change that touches no mesh object / one `check -A -f`',
      files.unchangedDiffMs / files.jsonCheckMs,
      2,
      '×',
    ),
    atMost('(i) live model: Kubernetes requests per answer', watch.requestsPerAnswer, 0, 'requests'),
    atMost('(i) live model: breaking change to alert, beyond debounce', watch.alertMs / 1000, 30, 's'),
    atMost(
      '(j) live read: client (requests, JSON.parse, pods) / API answer time',
      live.fetchMs / live.apiMs,
      1,
      '×',
    ),
    atMost(
      '(j) live read: client with the snapshot build / API answer time',
      live.clientMs / live.apiMs,
      1,
      '×',
    ),
  ]);
  const lines = [
    ...targets,
    '',
    `| mesh | objects | workloads | parse | resolve + analyze | analysis / parse | findings | matrix -n team-3 (pairs) |`,
    `|---|---|---|---|---|---|---|---|`,
    ...[base, double].map(
      (m) =>
        `| ${m.label} | ${m.objects} | ${m.workloads} | ${fmt(m.parseMs)} | ${fmt(m.analysisMs)} | ${(m.analysisMs / m.parseMs).toFixed(2)}× | ${m.findings} | ${fmt(m.matrixMs)} (${m.matrixPairs}) |`,
    ),
    '',
    `- (a) analysis time / parse time on the 1x mesh: **${(base.analysisMs / base.parseMs).toFixed(2)}×** (target ≤ 1×)`,
    `- (b) 2x mesh / 1x mesh analysis time: **${(double.analysisMs / base.analysisMs).toFixed(2)}×** (target ≤ 2.3×; parse scaled ${(double.parseMs / base.parseMs).toFixed(2)}×)`,
    `- (c) \`matrix -n team-3\` on the 2x mesh: **${fmt(double.matrixMs)}** for ${double.matrixPairs} pairs`,
    `- (d) peak memory (RSS) of the whole benchmark process: **${peakRssMiB.toFixed(0)} MiB**`,
    `- (e) the bot under a burst on the 1x mesh, cold: ${ack.requests} concurrent signed \`/mtls check\` commands acked in **p50 ${fmt(ack.p50Ms)}, p99 ${fmt(ack.p99Ms)}** (max ${fmt(ack.maxMs)}; target p99 < 100 ms); all answered after ${fmt(ack.allAnsweredMs)}, **${(ack.allAnsweredMs / ack.singleMs).toFixed(2)}×** one command alone (${fmt(ack.singleMs)}; target ≤ 3×); peak RSS ${ack.peakRssMiB.toFixed(0)} MiB (Deployment limit 1 GiB)`,
    `- (f) start-up beyond a bare \`node -e 0\` (${fmt(startup.nodeMs)}): \`--help\` **+${fmt(startup.helpMs - startup.nodeMs)}**, \`check -f\` of a 6-object file **+${fmt(startup.checkSmallMs - startup.nodeMs)}** (target ≤ 300 ms each)`,
    `- (g) \`check -A -f\` of the 2x mesh (${files.objects} objects) beyond start-up (\`--help\` ${fmt(files.startupMs)}), against the bare parse of the same file: JSON (${(files.jsonBytes / 1e6).toFixed(1)} MB) ${fmt(files.jsonCheckMs)} vs JSON.parse + JSON.stringify ${fmt(files.jsonParseMs)}: **${(files.jsonCheckMs / files.jsonParseMs).toFixed(2)}×** (target ≤ 3×); multi-document YAML ${fmt(files.yamlCheckMs)} vs js-yaml loadAll ${fmt(files.yamlParseMs)}: **${(files.yamlCheckMs / files.yamlParseMs).toFixed(2)}×** (target ≤ 3×)`,
    scalingAndMemoryLine(files),
    ...(double.impact
      ? [
          `- (h) change impact on the 2x mesh (team-4's namespace policy PERMISSIVE → STRICT, \`impact()\` of two snapshots read from files) / one \`check\` (parse + resolve + analyze): **${(double.impact.impactMs / double.impact.checkMs).toFixed(2)}×** (target ≤ 2×; ${fmt(double.impact.impactMs)} vs ${fmt(double.impact.checkMs)}, ${double.impact.pairsCompared} pairs compared, ${double.impact.broken} broken)`,
        ]
      : []),
    `- (h) \`diff --base mesh.json -f copy.json -o json\` on the 2x mesh, the copy holding the same objects (a pull request that touches no mesh object) / one \`check -A -f\` of it, both beyond start-up: **${(files.unchangedDiffMs / files.jsonCheckMs).toFixed(2)}×** (target ≤ 2×: it reads two inputs; ${fmt(files.unchangedDiffMs)} vs ${fmt(files.jsonCheckMs)})`,
    watchModelLine(watch),
    liveReadLine(live),
    `- medians of ${REPEATS} runs; Node ${process.version}`,
  ];
  const report = lines.join('\n');
  console.log(report);
  if (process.argv.includes('--write-readme')) {
    const readme = readFileSync('README.md', 'utf8');
    const updated = readme.replace(
      /<!-- bench:start -->[\s\S]*<!-- bench:end -->/,
      `<!-- bench:start -->\n${report}\n<!-- bench:end -->`,
    );
    writeFileSync('README.md', updated);
    console.log('\nREADME.md updated.');
  }
}

await main();
