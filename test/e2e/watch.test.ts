// The real `mtls-doctor serve` process against a loopback Kubernetes API that serves WATCH: readiness
// waits for the model's first sync; after it, /mtls check, matrix and digest make no request at all;
// changes arrive through the watch (410 Gone re-lists); a refused watch is a gap in every answer until
// it is back; after a fix the re-check waits for the write to come through the watch.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { buttonClickBody, FakeSlack, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';
import { until as poll } from '../helpers/until.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SECRET = 'watch-signing-secret';
const PA_GAP = 'peerauthentications.security.istio.io watch (all namespaces)';

let slack: FakeSlack;
let slackUrl: string;
let kube: FakeKubeApi;
let bot: ServeProcess;
let url: string;
let opsUrl: string;
let releasePods: () => void = () => {};

const until = (condition: () => boolean | Promise<boolean>, message: () => string, timeoutMs = 15_000) =>
  poll(condition, message, timeoutMs);

beforeAll(async () => {
  slack = new FakeSlack();
  slackUrl = await slack.start();
  kube = paymentsCluster();
  // The first LIST of pods is held until the readiness test has seen the bot not ready.
  kube.fault('/api/v1/pods', { list: true, times: 1, until: new Promise<void>((r) => (releasePods = r)) });
  const server = await kube.start();
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-watch-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `access:\n  channels:\n    C0OPS: ["*"]\napprovers:\n  users: [U0ALICE, U0BOB]\nstore:\n  path: ${join(dir, 'state.db')}\n`,
  );
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  bot = await startServe(['serve', '--kubeconfig', kubeconfigFile(server), '--config', config], {
    slackUrl,
    secret: SECRET,
    token: 'xoxb-watch-token',
  });
  url = bot.url;
  opsUrl = bot.opsUrl;
}, 90_000);

afterAll(async () => {
  releasePods();
  bot?.stop();
  await kube?.stop();
  await slack?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const post = async (body: string) =>
  (await fetch(url, { method: 'POST', headers: slackSignature(SECRET, body, now()), body })).status;
const readyz = async () => {
  const res = await fetch(`${opsUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { checks: { cluster: { detail: string } } } };
};
const metrics = async () => (await fetch(`${opsUrl}/metrics`)).text();
let replies = 0;

/** Sends `/mtls <text>` and returns the final message's blocks (as JSON text). */
async function ask(text: string): Promise<string> {
  const reply = `r${++replies}`;
  const final = slack.waitFor(text === 'digest' ? 'chat.postMessage' : 'chat.update');
  const body = slashCommandBody({
    text,
    channel_id: 'C0OPS',
    user_id: 'U0ALICE',
    response_url: `${slackUrl}/respond/${reply}`,
  });
  expect(await post(body)).toBe(200);
  const call = await final;
  return JSON.stringify(call.args.blocks ?? call.args.text);
}

const click = (user: string, actionId: string, value: string) =>
  post(
    buttonClickBody({
      user,
      channel: 'C0OPS',
      actionId,
      value,
      response_url: `${slackUrl}/respond/click-${++replies}`,
    }),
  );

const mode = () =>
  (kube.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;
const setMode = (m: string) =>
  kube.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: m } };
  });
const STRICT_FINDING = 'strict-plaintext-clients';
const lists = (from: number) => kube.requests.slice(from).filter((r) => r.query.get('watch') !== 'true');

describe('serve watching a live cluster', { timeout: 60_000 }, () => {
  it('/readyz is not ready, and says why, until the first sync is complete', async () => {
    await until(
      async () => (await readyz()).body.checks.cluster.detail.includes('(waiting for pods)'),
      () => `readiness never waited for pods: ${bot.logs()}`,
    );
    const before = await readyz();
    expect(before.status).toBe(503);
    expect(before.body.checks.cluster.detail).toBe(
      'not ready: the first sync of the cluster model is not complete (waiting for pods)',
    );
    releasePods();
    await until(
      async () => (await readyz()).status === 200,
      () => 'never ready after the sync',
    );
    expect((await readyz()).body.checks.cluster.detail).toBe('cluster model synced; every watch is current');
  });

  it('after warm-up, /mtls check, matrix and digest make zero Kubernetes API requests', async () => {
    await until(
      () => kube.openWatches() === 14,
      () => `watches: ${kube.openWatches()}`,
    );
    const before = kube.requests.length;
    const check = await ask('check payments');
    expect(check).toContain('mTLS check of payments');
    expect(check).toContain(STRICT_FINDING);
    expect(await ask('matrix payments')).toContain('Connectivity of payments');
    expect(await ask('digest')).toContain('payments');
    expect(kube.requests.slice(before)).toEqual([]);
  });

  it('a PeerAuthentication changed through the API shows in the next answer, without a re-LIST', async () => {
    const before = kube.requests.length;
    setMode('PERMISSIVE');
    await until(
      async () => !(await ask('check payments')).includes(STRICT_FINDING),
      () => 'the change never showed',
    );
    expect(kube.requests.slice(before)).toEqual([]);
  });

  it('410 Gone on re-watch: the model lists again and shows what the watch missed', async () => {
    const before = kube.requests.length;
    kube.expire(() => setMode('STRICT'));
    await until(
      async () => (await ask('check payments')).includes(STRICT_FINDING),
      () => 'the missed change never showed',
    );
    expect(lists(before).map((r) => r.path)).toContain('/apis/security.istio.io/v1/peerauthentications');
    // Listed again once, then watched: the next answers are from memory again.
    await until(
      () => kube.openWatches() === 14,
      () => `watches: ${kube.openWatches()}`,
    );
    const after = kube.requests.length;
    expect(await ask('check payments')).toContain(STRICT_FINDING);
    expect(kube.requests.slice(after)).toEqual([]);
  });

  it('a watch refused with 403 is a gap in every answer, in /metrics and /readyz, until it is back', async () => {
    kube.fault('/apis/security.istio.io/v1/peerauthentications', {
      status: 403,
      reason: 'Forbidden',
      message: 'peerauthentications.security.istio.io is forbidden: User cannot watch',
      watch: true,
    });
    kube.closeWatches();
    await until(
      async () => (await ask('check payments')).includes(PA_GAP),
      () => 'no gap in the answer',
    );
    const answer = await ask('check payments');
    expect(answer).toContain(
      'the identity needs RBAC verb \\"watch\\" on resource \\"peerauthentications\\"',
    );
    expect(await ask('matrix payments')).toContain(PA_GAP);
    const text = await metrics();
    expect(text).toContain('mtls_doctor_watch_up{kind="peerauthentications.security.istio.io"} 0');
    expect(text).toMatch(
      /mtls_doctor_watch_sync_age_seconds\{kind="peerauthentications.security.istio.io"\} \d/,
    );
    expect(text).toContain('mtls_doctor_watch_sync_age_seconds{kind="pods"} 0');
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.checks.cluster.detail).toContain(
      'watches down (answers show a gap for them): peerauthentications.security.istio.io',
    );
    kube.fault('/apis/security.istio.io/v1/peerauthentications', { watch: true, times: 0 });
    await until(
      async () => !(await ask('check payments')).includes(PA_GAP),
      () => 'the gap never went away',
    );
    expect(await metrics()).toContain('mtls_doctor_watch_up{kind="peerauthentications.security.istio.io"} 1');
  });

  it('after a fix, the re-check waits until the watch shows the write; past 5 s it says the view may be stale', async () => {
    await until(
      () => kube.openWatches() === 14,
      () => `watches: ${kube.openWatches()}`,
    );
    const before = await ask('check payments');
    const errorsBefore = Number(/mTLS check of payments: (\d+) error\(s\)/.exec(before)?.[1]);
    expect(errorsBefore).toBeGreaterThan(0);
    // The watch delivers events 1.5 s late: a re-check that did not wait would show the old state.
    kube.eventDelayMs = 1500;
    const requested = slack.waitFor('chat.postMessage');
    await click('U0ALICE', 'remediation:0:0', 'set-mode-permissive:PeerAuthentication/payments/default');
    expect(String((await requested).args.text)).toContain('Fix request 1');
    const applied = slack.waitFor('chat.postMessage');
    await click('U0BOB', 'fix-approve', '1');
    const done = await applied;
    expect(mode()).toBe('PERMISSIVE');
    const blocks = JSON.stringify(done.args.blocks);
    expect(blocks).toContain(`Re-check of \`payments\` after the change: ${errorsBefore - 1} error(s)`);
    expect(blocks).not.toContain('may be stale');

    // Events 8 s late: the re-check of the rollback gives up after 5 s and says so.
    kube.eventDelayMs = 8000;
    const rollbackButton = (done.args.blocks as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'fix-rollback');
    const rollbackRequested = slack.waitFor('chat.postMessage');
    await click('U0ALICE', 'fix-rollback', rollbackButton?.value ?? '');
    expect(String((await rollbackRequested).args.text)).toContain('Fix request 2');
    const rolledBack = slack.waitFor('chat.postMessage', 20_000);
    await click('U0BOB', 'fix-approve', '2');
    const restored = JSON.stringify((await rolledBack).args.blocks);
    expect(mode()).toBe('STRICT');
    expect(restored).toContain(
      'this view may be stale: PeerAuthentication payments/default at resourceVersion',
    );
    kube.eventDelayMs = 0;
  });
});
