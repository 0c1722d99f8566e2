// The bot under a burst, as an incident channel makes one: 50 signed `/mtls check` commands at once
// against the bot on loopback, on the 1x benchmark mesh, from a cold start (no snapshot read yet).
// Slack gives an app 3 s to ack; the aim is well under 100 ms, and the whole burst answered within 3×
// the time one command takes alone (one read and one diagnosis shared by all of them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot } from '../commands/serve/bot.js';
import { createLogger } from '../src/ops/logger.js';
import { BotMetrics } from '../src/ops/metrics.js';
import { createAnswerPool } from '../src/slack/answer-pool.js';
import { IncidentThrottle } from '../src/slack/incident-symptoms.js';
import { PlanCache } from '../src/slack/plan-cache.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { FakeSlack, slackSignature, slashCommandBody } from '../test/helpers/fake-slack.js';
import { BASE_SCALE, generateMesh } from './generate-mesh.js';

export interface AckReport {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** One command alone, from a cold start, until its answer is posted. */
  readonly singleMs: number;
  /** The whole burst, from a cold start, until every answer is posted. */
  readonly allAnsweredMs: number;
  /** Peak memory of the process (bot and answer worker) after the burst. */
  readonly peakRssMiB: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

const SECRET = 'bench-secret';

/** A bot with its own answer pool over the mesh in `dir`, as `mtls-doctor serve -f dir` runs it. */
async function startBenchBot(dir: string, slackUrl: string) {
  const plans = new PlanCache();
  const pool = createAnswerPool({ files: [dir] }, plans);
  const bot = await startBot(
    {
      port: 0,
      opsPort: 0,
      digests: [],
      storePath: ':memory:',
      approvers: { users: [], requestTtlMs: 0 },
      slack: { botToken: 'xoxb-bench', signingSecret: SECRET, apiUrl: `${slackUrl}/api/` },
      access: { channels: { '*': ['*'] } },
      kubernetes: undefined,
    },
    {
      engine: pool,
      plans,
      metrics: new BotMetrics(),
      logger: createLogger('warn'),
      store: new SqliteStore(':memory:'),
      throttle: new IncidentThrottle(),
    },
  );
  const url = `http://127.0.0.1:${bot.port}/slack/events`;
  const send = async (text: string, id: string): Promise<number> => {
    const body = slashCommandBody({ text, channel_id: 'C0BENCH', response_url: `${slackUrl}/respond/${id}` });
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: slackSignature(SECRET, body, Math.floor(Date.now() / 1000)),
      body,
    });
    await res.text();
    if (res.status !== 200) throw new Error(`ack ${id}: HTTP ${res.status}`);
    return performance.now() - t0;
  };
  return {
    send,
    stop: async () => {
      await bot.stop();
      await pool.close();
    },
  };
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
  const slack = new FakeSlack();
  const slackUrl = await slack.start();
  for (const [file, text] of generateMesh(BASE_SCALE)) writeFileSync(join(dir, file), text);
  try {
    // One command alone, cold: the read, the diagnosis and the answer.
    const single = await startBenchBot(dir, slackUrl);
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
    const burst = await startBenchBot(dir, slackUrl);
    try {
      slack.calls.length = 0;
      const started = performance.now();
      const latencies = await Promise.all(
        Array.from({ length: concurrent }, (_, i) => burst.send(`check team-${i % 200}`, String(i))),
      );
      const allAnsweredMs = await answered(slack, concurrent, started);
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        requests: concurrent,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted.at(-1) ?? 0,
        singleMs,
        allAnsweredMs,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
      };
    } finally {
      await burst.stop();
    }
  } finally {
    await slack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
