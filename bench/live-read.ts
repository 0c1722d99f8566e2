// The one-shot live read (`check -A` without -f) of the 2x mesh from a loopback API server in this
// process: the API's own time to produce its answers against the client's (everything else the read
// takes: requests, bodies, parsing, reducing pods, building the snapshot), and the request count.
import { createKubeApi } from '../src/snapshot/live/kube-api.js';
import { readClusterSnapshot } from '../src/snapshot/live/read-cluster.js';
import { FakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { clusterObjects } from './watch-model.js';

export interface LiveReadReport {
  readonly objects: number;
  readonly requests: number;
  /** The loopback API server's time producing answers (filtering, paging, serialising, writing). */
  readonly apiMs: number;
  /** The rest of the read: the client's share. */
  readonly clientMs: number;
  /** Of clientMs, building the MeshSnapshot from the objects (the same work as for manifests). */
  readonly buildMs: number;
  /** Of clientMs, the rest: requests, bodies, JSON.parse, reducing pods (and their garbage). */
  readonly fetchMs: number;
  readonly totalMs: number;
  /**
   * The floor of any client that parses: JSON.parse alone of the very bodies the API wrote in one
   * read (median of five). Against this loopback API, which is little more than JSON.stringify,
   * it is itself about the API's time.
   */
  readonly parseFloorMs: number;
}

/** Reads the 2x mesh `repeats` times (after one warm-up read); the run with the median total. */
export async function measureLiveRead(repeats = 5): Promise<LiveReadReport> {
  const objects = clusterObjects();
  const fake = new FakeKubeApi().add(...objects);
  const server = await fake.start();
  try {
    const runs: LiveReadReport[] = [];
    for (let i = 0; i <= repeats; i++) {
      const api = createKubeApi({ kubeConfig: fake.kubeConfig(server) });
      fake.answerMs = 0;
      fake.keptBodies = [];
      const started = performance.now();
      const read = await readClusterSnapshot(api);
      const totalMs = performance.now() - started;
      if (read.snapshot.gaps.length > 0)
        throw new Error(`the live read had gaps: ${JSON.stringify(read.snapshot.gaps)}`);
      if (i === 0) continue;
      runs.push({
        objects: objects.length,
        requests: read.requests,
        apiMs: fake.answerMs,
        clientMs: totalMs - fake.answerMs,
        buildMs: read.buildMs,
        fetchMs: totalMs - fake.answerMs - read.buildMs,
        totalMs,
        parseFloorMs: parseFloor(fake.keptBodies),
      });
    }
    runs.sort((a, b) => a.totalMs - b.totalMs);
    return runs[Math.floor(runs.length / 2)] as LiveReadReport;
  } finally {
    await fake.stop();
  }
}

/** Median time of JSON.parse of every body, five times over. */
function parseFloor(bodies: readonly string[]): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    for (const body of bodies) JSON.parse(body);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[2] as number;
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/** The benchmark report's line for the live read. */
export function liveReadLine(r: LiveReadReport): string {
  return `- (j) live \`check -A\` read of the 2x mesh (${r.objects} objects) from a loopback API in the same process: client **${fmt(r.clientMs)}** vs the API's own answer time ${fmt(r.apiMs)}: **${(r.clientMs / r.apiMs).toFixed(2)}×** (target ≤ 1×), of which requests + JSON.parse + pod reduction ${fmt(r.fetchMs)} (**${(r.fetchMs / r.apiMs).toFixed(2)}×**) and the snapshot build ${fmt(r.buildMs)}; ${r.requests} requests (constant with namespace count); total ${fmt(r.totalMs)}. The floor of a client that parses at all, JSON.parse alone of the same bodies, is ${fmt(r.parseFloorMs)}: **${(r.parseFloorMs / r.apiMs).toFixed(2)}×** the API's time`;
}

if (process.argv[1]?.endsWith('live-read.ts')) console.log(liveReadLine(await measureLiveRead()));
