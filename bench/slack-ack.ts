// The bot under a burst, as an incident channel makes one: 50 signed `/mtls check` commands at once
// against `mtls-doctor serve -f` (its own process) on loopback, on the 1x benchmark mesh, from a cold
// start (no snapshot read yet).
// Slack gives an app 3 s to ack; the aim is well under 100 ms, and the whole burst answered within 3×
// the time one command takes alone (one read and one diagnosis shared by all of them).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSlack, slackSignature, slashCommandBody } from '../test/helpers/fake-slack.js';
import { startServe } from '../test/helpers/serve-process.js';
import { BASE_SCALE, writeMesh } from './generate-mesh.js';

export interface AckReport {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** One command alone, from a cold start, until its answer is posted. */
  readonly singleMs: number;
  /** The whole burst, from a cold start, until every answer is posted. */
  readonly allAnsweredMs: number;
  /**
   * CPU time the bot's main thread spent from the burst's first request to its last ack: the bot's own
   * cost of acking, which other load on the machine does not inflate (the latencies above it does).
   */
  readonly ackCpuMs: number;
  /** Peak memory of the bot process (main thread and answer worker) after the burst. */
  readonly peakRssMiB: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

const SECRET = 'bench-secret';

/**
 * `mtls-doctor serve -f dir` as its own process, as users run it: the load generator and the fake
 * Slack stay in this process, so they do not compete with the bot's event loop for the acks.
 */
async function startBenchBot(dir: string, slackUrl: string) {
  const config = join(dir, '..', `bench-config-${process.pid}.yaml`);
  writeFileSync(config, 'access:\n  channels:\n    C0BENCH: ["*"]\n');
  const served = await startServe(['serve', '-f', dir, '--config', config], {
    slackUrl,
    secret: SECRET,
    token: 'xoxb-bench',
    env: { MTLS_DOCTOR_LOG_LEVEL: 'error' },
  });
  const bot = served.child;
  const url = served.url;
  const send = async (text: string, id: string): Promise<number> => {
    const body = slashCommandBody({ text, channel_id: 'C0BENCH', response_url: `${slackUrl}/respond/${id}` });
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: slackSignature(SECRET, body, Math.floor(Date.now() / 1000)),
      body,
    });
    const reply = await res.text();
    if (res.status !== 200) throw new Error(`ack ${id}: HTTP ${res.status}`);
    // An accepted check is acked with an empty body; a refusal or a usage error (answered at once, with
    // no work behind it) would make the latencies look better than they are.
    if (text.startsWith('check') && reply !== '')
      throw new Error(`ack ${id} was not an acceptance: ${reply}`);
    return performance.now() - t0;
  };
  return {
    send,
    /** Peak RSS of the bot process (main thread and answer worker), from /proc. */
    peakRssMiB: () => peakRss(bot.pid),
    mainThreadCpuMs: () => threadCpuMs(bot.pid),
    stop: async () => {
      const exited = new Promise((r) => bot.once('exit', r));
      bot.kill('SIGTERM');
      await exited;
    },
  };
}

function peakRss(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** CPU time of a process's main thread (its thread id is the pid), from the scheduler's statistics. */
function threadCpuMs(pid: number | undefined): number {
  try {
    const sched = readFileSync(`/proc/${pid}/task/${pid}/sched`, 'utf8');
    return Number(/se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(sched)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

async function answered(slack: FakeSlack, count: number, started: number): Promise<number> {
  while (slack.calls.filter((c) => c.method === 'chat.update').length < count) {
    if (performance.now() - started > 900_000) throw new Error('checks did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
  const elapsed = performance.now() - started;
  // Long diagnoses continue in their threads: let those posts land before the bot is stopped.
  for (let seen = -1; seen !== slack.calls.length; ) {
    seen = slack.calls.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  return elapsed;
}

export async function measureAckLatency(concurrent = 50): Promise<AckReport> {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-ack-'));
  // The mesh in its own folder: the bot's configuration file sits beside it.
  const mesh = join(dir, 'mesh');
  mkdirSync(mesh);
  const slack = new FakeSlack();
  const slackUrl = await slack.start();
  writeMesh(mesh, BASE_SCALE);
  try {
    // One command alone, cold: the read, the diagnosis and the answer.
    const single = await startBenchBot(mesh, slackUrl);
    let singleMs: number;
    try {
      slack.calls.length = 0;
      const t0 = performance.now();
      await single.send('check team-0', 'single');
      singleMs = await answered(slack, 1, t0);
    } finally {
      await single.stop();
    }
    // The burst, cold too: every command arrives before the first read is done.
    const burst = await startBenchBot(mesh, slackUrl);
    try {
      // A running bot (connected, its answer worker started) whose snapshot cache is still empty.
      await burst.send('help', 'warm');
      await new Promise((r) => setTimeout(r, 2000));
      slack.calls.length = 0;
      const started = performance.now();
      const cpuBefore = burst.mainThreadCpuMs();
      const latencies = await Promise.all(
        Array.from({ length: concurrent }, (_, i) => burst.send(`check team-${i % 200}`, String(i))),
      );
      const ackCpuMs = burst.mainThreadCpuMs() - cpuBefore;
      const allAnsweredMs = await answered(slack, concurrent, started);
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        requests: concurrent,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted.at(-1) ?? 0,
        singleMs,
        allAnsweredMs,
        ackCpuMs,
        peakRssMiB: burst.peakRssMiB(),
      };
    } finally {
      await burst.stop();
    }
  } finally {
    await slack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
