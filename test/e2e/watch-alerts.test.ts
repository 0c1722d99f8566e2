// The real `serve` process with watch.channels, against a loopback Kubernetes API that serves WATCH and
// a loopback Slack: a harmless change posts nothing; a namespace switched to STRICT with a plaintext
// client posts one alert naming the policy and the client, only where the access rules allow; Revert,
// approved by a second user, restores the old mode and the alert's thread says what repaired it; the
// same object breaking again within ten minutes goes to the first alert's thread; an added policy's
// Revert deletes it and its Roll back creates it again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { buttonClickBody, FakeSlack, slackSignature } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';
import { until as poll } from '../helpers/until.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SECRET = 'alerts-signing-secret';

let slack: FakeSlack;
let slackUrl: string;
let kube: FakeKubeApi;
let bot: ServeProcess;
let url: string;

const until = (condition: () => boolean | Promise<boolean>, message: () => string, timeoutMs = 15_000) =>
  poll(condition, message, timeoutMs);

const count = (text: string) => bot.logs().split(text).length - 1;
const setMode = (mode: string, manager: string) =>
  kube.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode } };
    o.metadata.managedFields = [{ manager, operation: 'Update', time: '2026-11-29T10:00:00Z' }];
  });
const mode = () =>
  (kube.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;

beforeAll(async () => {
  slack = new FakeSlack();
  slackUrl = await slack.start();
  kube = paymentsCluster();
  // PERMISSIVE to start with: the legacy client (no sidecar) calls payments in plaintext.
  setMode('PERMISSIVE', 'helm');
  const server = await kube.start();
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-alerts-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'access:',
      '  channels:',
      '    C0OPS: ["*"]',
      '    C0LEGACY: [legacy]',
      'watch:',
      '  channels: [C0OPS, C0LEGACY]',
      '  debounceSeconds: 0.3',
      'approvers:',
      '  users: [U0ALICE, U0BOB]',
      'store:',
      `  path: ${join(dir, 'state.db')}`,
      '',
    ].join('\n'),
  );
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  bot = await startServe(['serve', '--kubeconfig', kubeconfigFile(server), '--config', config], {
    slackUrl,
    secret: SECRET,
    token: 'xoxb-alerts-token',
    ready: async (b) => (await fetch(`${b.opsUrl}/readyz`)).status === 200,
    timeoutMs: 60_000,
  });
  url = bot.url;
  await until(
    () => kube.openWatches() === 14,
    () => `watches: ${kube.openWatches()}`,
  );
}, 90_000);

afterAll(async () => {
  bot?.stop();
  await kube?.stop();
  await slack?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const post = async (body: string) =>
  (await fetch(url, { method: 'POST', headers: slackSignature(SECRET, body, now()), body })).status;
let replies = 0;
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
const alerts = () =>
  slack.calls.filter(
    (c) => c.method === 'chat.postMessage' && String(c.args.text).includes('broke mTLS calls'),
  );
const HARMLESS = 'change burst compared: it broke nothing';

describe('change alerts of serve watching a live cluster', { timeout: 60_000 }, () => {
  let first: { blocks: string };

  it('a change that breaks nothing posts nothing', async () => {
    const before = count(HARMLESS);
    kube.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'payments', namespace: 'payments' },
      spec: { host: 'payments', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
    });
    await until(
      () => count(HARMLESS) === before + 1,
      () => `the burst was never compared: ${bot.logs()}`,
    );
    expect(alerts()).toEqual([]);
  });

  it('STRICT with a plaintext client: one alert naming the policy, its diff, the manager and the client, only where the channel may see it', async () => {
    const posted = slack.waitFor('chat.postMessage');
    setMode('STRICT', 'kubectl-edit');
    const call = await posted;
    expect(call.args.channel).toBe('C0OPS');
    expect(String(call.args.text)).toBe(
      ':rotating_light: A change to PeerAuthentication payments/default broke mTLS calls: 1 client→service pair(s) that worked now fail',
    );
    const blocks = JSON.stringify(call.args.blocks);
    expect(blocks).toContain(
      '`PeerAuthentication payments/default` by `kubectl-edit` at 2026-11-29T10:00:00Z',
    );
    expect(blocks).toContain('-  mode: PERMISSIVE');
    expect(blocks).toContain('+  mode: STRICT');
    expect(blocks).toContain('`legacy/cron-0` → `payments/payments:80`');
    expect(blocks).toContain('"action_id":"remediation:revert:0"');
    first = { blocks };
    await until(
      () => bot.logs().includes('change alert not posted: channel may not see it'),
      () => `no refusal for C0LEGACY: ${bot.logs()}`,
    );
    expect(alerts()).toHaveLength(1);
  });

  it('Revert is a fix request: approved by a second user it restores the old mode, alerts nothing new, and the alert thread says what repaired it', async () => {
    const plan =
      /"value":"(revert:PeerAuthentication\/payments\/default:modified@\d+)"/.exec(first.blocks)?.[1] ?? '';
    expect(plan).not.toBe('');
    const requested = slack.waitFor('chat.postMessage');
    await click('U0ALICE', 'remediation:revert:0', plan);
    const request = await requested;
    expect(String(request.args.text)).toBe(
      'Fix request 1: Revert the change to PeerAuthentication payments/default',
    );
    expect(JSON.stringify(request.args.blocks)).toContain('-    mode: STRICT');
    const own = slack.waitFor('respond/click-2');
    await click('U0ALICE', 'fix-approve', '1');
    expect(String((await own).args.text)).toContain('another approver has to approve it');
    expect(mode()).toBe('STRICT');
    const harmless = count(HARMLESS);
    const applied = slack.waitFor('chat.postMessage');
    await click('U0BOB', 'fix-approve', '1');
    expect(String((await applied).args.text)).toBe('Fix request 1 applied');
    expect(mode()).toBe('PERMISSIVE');
    await until(
      () => count(HARMLESS) === harmless + 1,
      () => `the revert was never compared: ${bot.logs()}`,
    );
    expect(alerts()).toHaveLength(1);
    // The alert's thread says what repaired it.
    await until(
      () => slack.calls.some((c) => String(c.args.text).startsWith(':white_check_mark: Repaired by')),
      () => `no repair posted: ${bot.logs()}`,
    );
    const repair = slack.calls.find((c) => String(c.args.text).startsWith(':white_check_mark: Repaired by'));
    expect(repair?.args).toMatchObject({
      channel: 'C0OPS',
      text: ':white_check_mark: Repaired by modified `PeerAuthentication payments/default` by `mtls-doctor`: the pairs this alert reported work again.',
    });
    expect(String(repair?.args.thread_ts)).toMatch(/^\d+\.000100$/);
  });

  it("the same object breaking again within ten minutes goes to the first alert's thread", async () => {
    const posted = slack.waitFor('chat.postMessage');
    setMode('STRICT', 'kubectl-edit');
    const again = await posted;
    expect(String(again.args.text)).toContain('broke mTLS calls');
    // The first alert was a channel message; this one answers in its thread.
    expect(alerts()[0]?.args.thread_ts).toBeUndefined();
    expect(String(again.args.thread_ts)).toMatch(/^\d+\.000100$/);
  });

  it('an added policy that breaks calls: Revert deletes it, the re-check sees it gone, and Roll back creates it again', async () => {
    const repairedLogs = count('change alert repaired');
    setMode('PERMISSIVE', 'helm');
    await until(
      () => count('change alert repaired') > repairedLogs,
      () => `the earlier alert was never repaired: ${bot.logs()}`,
    );
    const posted = slack.waitFor('chat.postMessage');
    kube.create({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: {
        name: 'lock',
        namespace: 'payments',
        managedFields: [{ manager: 'kubectl-create', operation: 'Update', time: '2026-11-30T03:00:00Z' }],
      },
      spec: { selector: { matchLabels: { app: 'payments' } }, mtls: { mode: 'STRICT' } },
    });
    const alert = await posted;
    expect(String(alert.args.text)).toContain(
      'A change to PeerAuthentication payments/lock broke mTLS calls',
    );
    const blocks = JSON.stringify(alert.args.blocks);
    expect(blocks).toContain('*added* `PeerAuthentication payments/lock` by `kubectl-create`');
    const plan = /"value":"(revert:PeerAuthentication\/payments\/lock:added@\d+)"/.exec(blocks)?.[1] ?? '';
    expect(plan).not.toBe('');

    const requested = slack.waitFor('chat.postMessage');
    await click('U0ALICE', 'remediation:revert:0', plan);
    const request = await requested;
    expect(String(request.args.text)).toBe(
      'Fix request 2: Revert the change: delete PeerAuthentication payments/lock, which it added',
    );
    const details = JSON.stringify(request.args.blocks);
    expect(details).toContain('-kind: PeerAuthentication');
    expect(details).toContain('repairs 1 call');
    // Nothing is deleted before the second person approves; the dry run only.
    expect(kube.find('PeerAuthentication', 'payments', 'lock')).toBeDefined();
    expect(kube.writes.filter((w) => w.method === 'DELETE').map((w) => w.dryRun)).toEqual([true]);

    // A slow watch: the re-check must wait for the delete to show, not answer from the old view.
    kube.eventDelayMs = 1500;
    const applied = slack.waitFor('chat.postMessage');
    await click('U0BOB', 'fix-approve', '2');
    const done = await applied;
    kube.eventDelayMs = 0;
    expect(String(done.args.text)).toBe('Fix request 2 applied');
    expect(kube.find('PeerAuthentication', 'payments', 'lock')).toBeUndefined();
    // The re-check waited for the model to see the delete: the STRICT rule's error is gone (the one
    // left is the fake cluster's missing istio-ca-root-cert).
    const doneBlocks = JSON.stringify(done.args.blocks);
    expect(doneBlocks).toContain('Re-check of `payments` after the change: 1 error(s), 0 warning(s).');
    await until(
      () =>
        slack.calls.some((c) =>
          String(c.args.text).includes('Repaired by deleted `PeerAuthentication payments/lock`'),
        ),
      () => `no repair posted for the delete: ${bot.logs()}`,
    );

    const auditId = /"action_id":"fix-rollback","text":\{[^}]*\},"value":"(\d+)"/.exec(doneBlocks)?.[1] ?? '';
    expect(auditId).not.toBe('');
    const rollbackRequested = slack.waitFor('chat.postMessage');
    await click('U0ALICE', 'fix-rollback', auditId);
    const rollbackRequest = await rollbackRequested;
    expect(JSON.stringify(rollbackRequest.args.blocks)).toContain('+kind: PeerAuthentication');
    const rolledBack = slack.waitFor('chat.postMessage');
    await click('U0BOB', 'fix-approve', '3');
    expect(String((await rolledBack).args.text)).toBe('Fix request 3 applied');
    expect(kube.find('PeerAuthentication', 'payments', 'lock')?.spec).toEqual({
      selector: { matchLabels: { app: 'payments' } },
      mtls: { mode: 'STRICT' },
    });
  });
});
