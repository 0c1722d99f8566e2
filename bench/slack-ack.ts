// Ack latency of `/mtls` under load: 50 signed slash commands at once against the bot on loopback,
// while the checks they start run. Slack gives an app 3 s to ack; the aim is well under 100 ms.
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
import { BASE_SCALE, generateMesh, scaled } from './generate-mesh.js';

export interface AckReport {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly allAnsweredMs: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

export async function measureAckLatency(concurrent = 50): Promise<AckReport> {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-ack-'));
  const slack = new FakeSlack();
  const slackUrl = await slack.start();
  // A mesh a quarter of the benchmark's size: each check takes real work while the acks are measured.
  for (const [file, text] of generateMesh({
    ...scaled(BASE_SCALE, 1),
    namespaces: 50,
    peerAuthentications: 250,
    destinationRules: 500,
    serviceEntries: 50,
  })) {
    writeFileSync(join(dir, file), text);
  }
  const secret = 'bench-secret';
  // The same worker pool as `mtls-doctor serve`.
  const plans = new PlanCache();
  const pool = createAnswerPool({ files: [dir] }, plans);
  const bot = await startBot(
    {
      port: 0,
      opsPort: 0,
      digests: [],
      storePath: ':memory:',
      approvers: { users: [], requestTtlMs: 0 },
      slack: { botToken: 'xoxb-bench', signingSecret: secret, apiUrl: `${slackUrl}/api/` },
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
  try {
    const url = `http://127.0.0.1:${bot.port}/slack/events`;
    // Warm up as a running bot is: first auth.test, worker started, snapshot read once.
    const warm = slashCommandBody({
      text: 'check team-0',
      channel_id: 'C0BENCH',
      response_url: `${slackUrl}/respond/warm`,
    });
    await fetch(url, {
      method: 'POST',
      headers: slackSignature(secret, warm, Math.floor(Date.now() / 1000)),
      body: warm,
    });
    while (!slack.calls.some((c) => c.method === 'chat.update')) await new Promise((r) => setTimeout(r, 20));
    slack.calls.length = 0;
    const started = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: concurrent }, async (_, i) => {
        const body = slashCommandBody({
          text: `check team-${i % 50}`,
          channel_id: 'C0BENCH',
          response_url: `${slackUrl}/respond/${i}`,
        });
        const t0 = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: slackSignature(secret, body, Math.floor(Date.now() / 1000)),
          body,
        });
        await res.text();
        if (res.status !== 200) throw new Error(`ack ${i}: HTTP ${res.status}`);
        return performance.now() - t0;
      }),
    );
    while (slack.calls.filter((c) => c.method === 'chat.update').length < concurrent) {
      if (performance.now() - started > 600_000) throw new Error('checks did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      requests: concurrent,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? 0,
      allAnsweredMs: performance.now() - started,
    };
  } finally {
    await bot.stop();
    await pool.close();
    await slack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
