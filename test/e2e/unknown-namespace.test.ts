// A namespace (or service) missing from an incomplete read is not said to be absent: against a
// Kubernetes API on loopback that refuses the lists that would show it, `/mtls check` answers that it
// could not be confirmed and lists what could not be read, and an incident message naming it gets that
// answer in its thread (signed events to the bot in process, Slack's Web API on loopback).
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../commands/serve/bot.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { answer } from '../../src/slack/answer.js';
import run from '../../src/slack/answer-worker.js';
import { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { modelSource, stopLiveModels } from '../../src/snapshot/live/model-source.js';
import { loadSource } from '../../src/snapshot/source.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { incidentBotConfig } from '../helpers/bot-config.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { FakeSlack, slackSignature } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';

const SECRET = 'unknown-ns-signing-secret';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The payments cluster with the lists that would show `payments` forbidden (or all readable). */
async function cluster(forbidden: boolean): Promise<string> {
  const kube: FakeKubeApi = paymentsCluster();
  if (forbidden)
    for (const path of ['/api/v1/namespaces', '/api/v1/pods', '/api/v1/services', '/apis/security.istio.io'])
      kube.fault(path, { status: 403, reason: 'Forbidden', message: 'forbidden', list: true });
  const server = await kube.start();
  cleanups.push(() => kube.stop());
  return kubeconfigFile(server);
}

const textOf = (a: Awaited<ReturnType<typeof answer>>) =>
  a.message.blocks.map((b) => JSON.stringify(b)).join('\n');

describe('a namespace missing from an incomplete read', () => {
  it('/mtls check answers that it could not be confirmed, with the gaps, from a one-shot read', async () => {
    const kubeconfigPath = await cluster(true);
    const result = await answer(
      { kind: 'check', namespace: 'payments' },
      { plans: new PlanCache(), load: () => loadSource({ kubeconfigPath }) },
    );
    expect(result.verdict).toBe('incomplete');
    expect(result.message.text).toContain('Could not confirm namespace `payments`');
    expect(result.message.text).not.toContain('does not exist');
    expect(result.gaps.length).toBeGreaterThan(0);
    expect(result.gaps.some((g) => g.includes('namespaces'))).toBe(true);
    expect(textOf(result)).toContain('forbidden');
  });

  it('and from the watched model', async () => {
    const kubeconfigPath = await cluster(true);
    cleanups.push(() => stopLiveModels());
    const result = await answer(
      { kind: 'check', namespace: 'payments' },
      { plans: new PlanCache(), load: modelSource({ kubeconfigPath }, {}, { syncMs: 5000, writeMs: 100 }) },
    );
    expect(result.verdict).toBe('incomplete');
    expect(result.message.text).toContain('Could not confirm namespace `payments`');
    expect(result.gaps.length).toBeGreaterThan(0);
  }, 20_000);

  it('a complete read still says a namespace does not exist', async () => {
    const kubeconfigPath = await cluster(false);
    const result = await answer(
      { kind: 'check', namespace: 'nowhere' },
      { plans: new PlanCache(), load: () => loadSource({ kubeconfigPath }) },
    );
    expect(result).toMatchObject({ verdict: 'unknown-namespace', gaps: [] });
    expect(result.message.text).toBe(':grey_question: Namespace `nowhere` does not exist in the cluster.');
  });
});

describe('an incident naming what an incomplete read does not show', () => {
  async function incidentBot(forbidden: boolean) {
    const kubeconfigPath = await cluster(forbidden);
    const slack = new FakeSlack();
    const slackUrl = await slack.start();
    cleanups.push(() => slack.stop());
    const config = incidentBotConfig(slackUrl, 'xoxb-unknown-ns', SECRET);
    let generation = 0;
    const bot: RunningBot = await startBot(config, {
      // The worker's own incident task, run in this thread.
      engine: {
        answer: () => Promise.reject(new Error('not used')),
        posture: () => Promise.reject(new Error('not used')),
        incident: async (symptom, visible) => {
          const result = await run({
            kind: 'incident',
            symptom,
            visible,
            source: { kubeconfigPath },
            generation,
          });
          generation += 1;
          if (result.kind !== 'incident') throw new Error('unexpected worker result');
          return { namespace: result.namespace, answer: result.answer };
        },
        clusterChanged: () => {},
      },
      plans: new PlanCache(),
      store: new SqliteStore(':memory:'),
      throttle: new IncidentThrottle(),
      metrics: new BotMetrics(),
      logger: createLogger('silent'),
    });
    cleanups.push(() => bot.stop());
    const post = async (ts: string, text: string) => {
      const body = JSON.stringify({
        token: 't',
        team_id: 'T0',
        api_app_id: 'A0',
        type: 'event_callback',
        event_id: `Ev${ts}`,
        event_time: 1,
        event: { type: 'message', channel: 'C0INC', user: 'U0PAGER', ts, text },
      });
      const res = await fetch(`http://127.0.0.1:${bot.port}/slack/events`, {
        method: 'POST',
        headers: {
          ...slackSignature(SECRET, body, Math.floor(Date.now() / 1000)),
          'content-type': 'application/json',
        },
        body,
      });
      expect(res.status).toBe(200);
    };
    return { slack, post };
  }

  it('the thread is told the namespace could not be confirmed, with the gaps', async () => {
    const { slack, post } = await incidentBot(true);
    const posted = slack.waitFor('chat.postMessage', 4000);
    await post(
      '1700000001.000100',
      'upstream connect error or disconnect/reset before headers: payments.payments.svc.cluster.local',
    );
    const message = await posted;
    expect(message.args.thread_ts).toBe('1700000001.000100');
    const text = JSON.stringify(message.args.blocks);
    expect(text).toContain('Could not confirm namespace `payments`');
    expect(text).toContain('forbidden');
  });

  it('a service named alone is said to be not found in an incomplete read, to a channel that sees everything', async () => {
    const { slack, post } = await incidentBot(true);
    const posted = slack.waitFor('chat.postMessage', 4000);
    await post('1700000002.000100', 'read tcp: connection reset by peer (service: payments)');
    const text = JSON.stringify((await posted).args.blocks);
    expect(text).toContain('Could not find service `payments`');
    expect(text).toContain('forbidden');
  });
});
