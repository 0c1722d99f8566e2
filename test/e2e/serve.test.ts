// The real `mtls-doctor serve` process in HTTP mode, against Slack's Web API on loopback: signed slash
// commands get an ack and a posted diagnosis; forged, unsigned, stale and future-dated ones get 401.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { buttonClickBody, FakeSlack, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { type ServeProcess, serveFolder, startServe } from '../helpers/serve-process.js';
import { until as poll } from '../helpers/until.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SECRET = 'e2e-signing-secret';
let slack: FakeSlack;
let slackUrl: string;
let bot: ServeProcess;
let botUrl: string;
let opsUrl: string;

beforeAll(async () => {
  slack = new FakeSlack();
  slackUrl = await slack.start();
  const { mesh, config } = serveFolder(
    'mtls-doctor-e2e-',
    (dir) =>
      `access:\n  channels:\n    C0INCIDENT: ["*"]\n    C0SHOP: [shop]\nincidents:\n  channels: [C0INCIDENT]\nstore:\n  path: ${join(dir, 'state.db')}\n`,
  );
  // A pod annotation (free text in Kubernetes) that tries to ping the whole channel.
  writeFileSync(
    join(mesh, 'shop', 'mischief.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: mischief, namespace: shop}
spec:
  selector: {matchLabels: {app: mischief}}
  template:
    metadata:
      labels: {app: mischief}
      annotations: {traffic.sidecar.istio.io/excludeOutboundPorts: "8080,<!channel>"}
    spec:
      containers: [{name: app, image: example/mischief}]
`,
  );
  bot = await startServe(['serve', '-f', mesh, '--config', config], {
    slackUrl,
    secret: SECRET,
    token: 'xoxb-e2e-token',
  });
  botUrl = bot.url;
  opsUrl = bot.opsUrl;
}, 60_000);

afterAll(async () => {
  bot?.stop();
  await slack?.stop();
});

async function send(body: string, headers: Record<string, string>) {
  const started = performance.now();
  const res = await fetch(botUrl, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), ms: performance.now() - started };
}

const now = () => Math.floor(Date.now() / 1000);

/** A thread's nice value: the 19th field of /proc/<pid>/task/<tid>/stat (after the parenthesised name). */
function threadNice(pid: number, tid: string): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe('mtls-doctor serve (HTTP mode)', () => {
  it('acks a signed /mtls check within 3 s and posts the diagnosis naming the field guide error', async () => {
    const body = slashCommandBody({
      text: 'check inventory',
      channel_id: 'C0INCIDENT',
      response_url: `${slackUrl}/respond/1`,
    });
    const placeholder = slack.waitFor('chat.postMessage');
    const update = slack.waitFor('chat.update');
    const res = await send(body, slackSignature(SECRET, body, now()));
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    const posted = await placeholder;
    expect(posted.args.channel).toBe('C0INCIDENT');
    expect(String(posted.args.text)).toContain('Checking `inventory`');
    const final = await update;
    const json = JSON.stringify(final.args.blocks);
    expect(json).toContain('destinationrule-tls-conflict');
    expect(json).toContain('mTLS check of inventory');
    const buttons = (
      final.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    )
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? []);
    expect(
      buttons.some((b) => b.value.startsWith('set-tls-istio-mutual:DestinationRule/inventory/inventory-dr')),
    ).toBe(true);
    expect(new Set(buttons.map((b) => b.action_id)).size).toBe(buttons.length);
    expect(bot.logs()).not.toContain('xoxb-e2e-token');
  });

  it('escapes names and labels from the cluster: <!channel> arrives as text', async () => {
    const body = slashCommandBody({
      text: 'check shop',
      channel_id: 'C0SHOP',
      response_url: `${slackUrl}/respond/2`,
    });
    const update = slack.waitFor('chat.update');
    expect((await send(body, slackSignature(SECRET, body, now()))).status).toBe(200);
    const first = await update;
    await new Promise((r) => setTimeout(r, 500));
    // The first message and its thread (long diagnoses continue there).
    const thread = slack.calls.filter(
      (c) => c.method === 'chat.postMessage' && c.args.thread_ts === first.args.ts,
    );
    const json = JSON.stringify([first, ...thread].map((c) => c.args.blocks));
    expect(json).toContain('outbound-port-excluded');
    expect(json).toContain('&lt;!channel&gt;');
    expect(json).not.toContain('<!channel>');
  });

  it('refuses a namespace the channel may not check, and bad subcommands, ephemerally', async () => {
    const denied = slashCommandBody({
      text: 'check payments',
      channel_id: 'C0SHOP',
      response_url: `${slackUrl}/respond/3`,
    });
    const res = await send(denied, slackSignature(SECRET, denied, now()));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining(
        'channel C0SHOP may not see namespace payments (it may see shop): add payments to its rule under access.channels',
      ),
    });
    const bad = slashCommandBody({
      text: 'chek shop',
      channel_id: 'C0SHOP',
      response_url: `${slackUrl}/respond/4`,
    });
    const help = await send(bad, slackSignature(SECRET, bad, now()));
    expect(JSON.parse(help.text).text).toContain('Unknown subcommand `chek`');
  });

  it('a remediation button shows the plan and its kubectl equivalent to the clicker, changing nothing', async () => {
    const payload = JSON.stringify({
      type: 'block_actions',
      team: { id: 'T0', domain: 'example' },
      user: { id: 'U0BOB', username: 'bob', team_id: 'T0' },
      api_app_id: 'A0MTLS',
      token: 'deprecated',
      container: {
        type: 'message',
        message_ts: '1700000001.000100',
        channel_id: 'C0INCIDENT',
        is_ephemeral: false,
      },
      trigger_id: '1.2.3',
      channel: { id: 'C0INCIDENT', name: 'incidents' },
      response_url: `${slackUrl}/respond/click`,
      actions: [
        {
          type: 'button',
          action_id: 'remediation:1:0',
          block_id: 'finding-1',
          text: { type: 'plain_text', text: 'Set ...' },
          value: 'set-tls-istio-mutual:DestinationRule/inventory/inventory-dr:spec.trafficPolicy.tls',
          action_ts: '1700000002.000000',
        },
      ],
    });
    const body = new URLSearchParams({ payload }).toString();
    const reply = slack.waitFor('respond/click');
    const res = await send(body, slackSignature(SECRET, body, now()));
    expect(res.status).toBe(200);
    const answer = await reply;
    expect(answer.args).toMatchObject({ response_type: 'ephemeral' });
    expect(String(answer.args.text)).toContain(
      `kubectl patch destinationrule inventory-dr -n inventory --type=merge -p '{"spec":{"trafficPolicy":{"tls":{"mode":"ISTIO_MUTUAL"}}}}'`,
    );
    expect(String(answer.args.text)).toContain('Nothing was changed');
  });

  it.runIf(process.platform === 'linux')(
    'works out answers in a thread niced below the one that acks, so a burst of checks does not hold up the acks',
    () => {
      const threads = readdirSync(`/proc/${bot.child.pid}/task`).map((tid) => ({
        tid: Number(tid),
        nice: threadNice(bot.child.pid as number, tid),
      }));
      const main = threads.find((t) => t.tid === bot.child.pid);
      expect(main).toBeDefined();
      expect(threads.filter((t) => t.nice > (main?.nice ?? 0)).length).toBeGreaterThan(0);
    },
  );

  it('serves /healthz, /readyz (Slack token accepted, source readable) and the named /metrics series', async () => {
    expect((await fetch(`${opsUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${opsUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      checks: { slack: { ok: true }, cluster: { ok: true } },
    });
    const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/mtls_doctor_checks_total\{command="check",outcome="problems-found"\} [1-9]/);
    expect(metrics).toMatch(
      /mtls_doctor_findings_total\{code="destinationrule-tls-conflict",severity="error"\} [1-9]/,
    );
    expect(metrics).toContain('mtls_doctor_check_duration_seconds_bucket');
    expect(metrics).toMatch(/mtls_doctor_remediations_total\{outcome="plan-shown"\} 1/);
    expect(metrics).toContain('# TYPE mtls_doctor_slack_api_errors_total counter');
    expect(metrics).toContain('# TYPE mtls_doctor_kubernetes_api_errors_total counter');
    // Logs are JSON lines with a request id, and never carry the token.
    const line = bot
      .logs()
      .split('\n')
      .find((l) => l.includes('"msg":"answered"'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      name: 'mtls-doctor',
      command: 'check',
      requestId: expect.any(String),
    });
    expect(bot.logs()).not.toContain('xoxb-e2e-token');
    expect(bot.logs()).not.toContain(SECRET);
  });

  it('/mtls digest posts the posture digest with per-namespace detail', async () => {
    const body = slashCommandBody({
      text: 'digest',
      channel_id: 'C0INCIDENT',
      response_url: `${slackUrl}/respond/d`,
    });
    const posted = slack.waitFor('chat.postMessage');
    expect((await send(body, slackSignature(SECRET, body, now()))).status).toBe(200);
    const message = await posted;
    expect(String(message.args.text)).toContain('mTLS posture digest');
    const json = JSON.stringify(message.args.blocks);
    expect(json).toContain('`legacy` no-proxy');
    expect(json).toContain('inject sidecars into legacy-batch');
  });

  it('/mtls whatif shop STRICT says which calls would break and how to avoid it, changing nothing', async () => {
    const body = slashCommandBody({
      text: 'whatif shop strict',
      channel_id: 'C0SHOP',
      response_url: `${slackUrl}/respond/whatif`,
    });
    const answered = slack.waitFor('chat.update');
    expect((await send(body, slackSignature(SECRET, body, now()))).status).toBe(200);
    const message = await answered;
    expect(String(message.args.text)).toMatch(
      /^What if namespace shop → STRICT: repairs 0 calls, breaks 4 \(/,
    );
    const json = JSON.stringify(message.args.blocks);
    expect(json).toContain(':red_circle: *What if namespace shop → STRICT?* Nothing was changed.');
    expect(json).toContain('`legacy/legacy-batch` → `shop/cart:80`');
    expect(json).toContain('add sidecars to the callers first: label namespace legacy');
    // A mesh-wide what-if needs a channel that may see every namespace.
    const mesh = slashCommandBody({
      text: 'whatif mesh STRICT',
      channel_id: 'C0SHOP',
      response_url: `${slackUrl}/respond/whatif-mesh`,
    });
    const refused = await send(mesh, slackSignature(SECRET, mesh, now()));
    expect(refused.text).toContain('Refused');
    // So does auto mTLS, which is mesh config.
    const autoMtls = slashCommandBody({
      text: 'whatif automtls=off',
      channel_id: 'C0SHOP',
      response_url: `${slackUrl}/respond/whatif-automtls`,
    });
    expect((await send(autoMtls, slackSignature(SECRET, autoMtls, now()))).text).toContain('Refused');
  });

  it('/mtls whatif host=… tls=SIMPLE names the calls a DestinationRule change would break', async () => {
    const body = slashCommandBody({
      text: 'whatif host=cart namespace=shop tls=SIMPLE',
      channel_id: 'C0SHOP',
      response_url: `${slackUrl}/respond/whatif-dr`,
    });
    const answered = slack.waitFor('chat.update');
    expect((await send(body, slackSignature(SECRET, body, now()))).status).toBe(200);
    const message = await answered;
    // TLS originated by the client sidecars reaches cart's plaintext app through its sidecar.
    expect(String(message.args.text)).toMatch(
      /^What if DestinationRule tls for cart \(namespace shop\) → SIMPLE: repairs 0 calls, breaks 7 /,
    );
    const json = JSON.stringify(message.args.blocks);
    expect(json).toContain('Nothing was changed.');
    expect(json).toContain('`payments/payments` → `shop/cart:80`');
    expect(json).not.toContain('add sidecars to the callers first');
    // A host the mesh does not have is said, not answered with "breaks nothing".
    const unknown = slashCommandBody({
      text: 'whatif host=checkout namespace=shop tls=SIMPLE',
      channel_id: 'C0SHOP',
      response_url: `${slackUrl}/respond/whatif-unknown`,
    });
    const said = slack.waitFor('chat.update');
    await send(unknown, slackSignature(SECRET, unknown, now()));
    expect(String((await said).args.text)).toContain(
      'Nothing to work out: host "checkout.shop.svc.cluster.local" is no Service, ServiceEntry or DestinationRule host in the input',
    );
  });

  it('an incident-channel message with an x509 error gets one threaded diagnosis; the same alert again gets none', async () => {
    const event = (ts: string) =>
      JSON.stringify({
        token: 'deprecated',
        team_id: 'T0',
        api_app_id: 'A0MTLS',
        type: 'event_callback',
        event_id: `Ev${ts.replace('.', '')}`,
        event_time: now(),
        event: {
          type: 'message',
          channel: 'C0INCIDENT',
          channel_type: 'channel',
          user: 'U0ALERTMANAGER',
          ts,
          text: '[FIRING] payments 503s: upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: x509: certificate signed by unknown authority (outbound|8080||payments.payments.svc.cluster.local)',
        },
      });
    const first = event('1700000100.000100');
    const threaded = slack.waitFor('chat.postMessage');
    expect(
      (await send(first, { ...slackSignature(SECRET, first, now()), 'content-type': 'application/json' }))
        .status,
    ).toBe(200);
    const reply = await threaded;
    expect(reply.args).toMatchObject({ channel: 'C0INCIDENT', thread_ts: '1700000100.000100' });
    const json = JSON.stringify(reply.args.blocks);
    expect(json).toContain('x509: certificate signed by unknown authority');
    expect(json).toContain('mTLS check of payments');
    const before = slack.calls.length;
    const second = event('1700000160.000100');
    expect(
      (await send(second, { ...slackSignature(SECRET, second, now()), 'content-type': 'application/json' }))
        .status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    expect(slack.calls.slice(before).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
  });

  it('forged, unsigned, stale and future-dated requests get 401 and nothing runs', async () => {
    const before = slack.calls.length;
    const body = slashCommandBody({
      text: 'check inventory',
      channel_id: 'C0INCIDENT',
      response_url: `${slackUrl}/respond/5`,
    });
    const forged = await send(body, slackSignature('not-the-secret', body, now()));
    const unsigned = await send(body, { 'content-type': 'application/x-www-form-urlencoded' });
    const stale = await send(body, slackSignature(SECRET, body, now() - 10 * 60));
    const future = await send(body, slackSignature(SECRET, body, now() + 10 * 60));
    expect([forged.status, unsigned.status, stale.status, future.status]).toEqual([401, 401, 401, 401]);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.calls.length).toBe(before);
  });
});

// The real `serve` process against a live (loopback) cluster with approvers: every entry point obeys
// the access rules, Slack retries run nothing, and answers after a fix read the cluster afresh.
describe('mtls-doctor serve against a live cluster: access rules, retries, fresh re-checks', () => {
  const PLAN = 'set-mode-permissive:PeerAuthentication/payments/default';
  let kube: FakeKubeApi;
  let live: ServeProcess;
  let url: string;

  beforeAll(async () => {
    kube = paymentsCluster();
    const server = await kube.start();
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-live-'));
    const config = join(dir, 'config.yaml');
    // C0OPS sees everything; C0LEGACY only `legacy`; C0NORULE is an incident channel without a rule.
    writeFileSync(
      config,
      `access:\n  channels:\n    C0OPS: ["*"]\n    C0LEGACY: [legacy]\nincidents:\n  channels: [C0OPS, C0LEGACY, C0NORULE]\napprovers:\n  users: [U0ALICE, U0BOB]\nstore:\n  path: ${join(dir, 'state.db')}\n`,
    );
    live = await startServe(['serve', '--kubeconfig', kubeconfigFile(server), '--config', config], {
      slackUrl,
      secret: SECRET,
      token: 'xoxb-live-token',
    });
    url = live.url;
  }, 60_000);

  afterAll(async () => {
    live?.stop();
    await kube?.stop();
  });

  const post = async (body: string, headers: Record<string, string> = {}) =>
    (
      await fetch(url, {
        method: 'POST',
        headers: { ...slackSignature(SECRET, body, now()), ...headers },
        body,
      })
    ).status;
  const click = (
    user: string,
    channel: string,
    actionId: string,
    value: string,
    reply: string,
    headers: Record<string, string> = {},
  ) =>
    post(
      buttonClickBody({
        user,
        channel,
        actionId,
        value,
        response_url: `${slackUrl}/respond/${reply}`,
      }),
      headers,
    );
  const check = async (namespace: string, reply: string, headers: Record<string, string> = {}) => {
    const body = slashCommandBody({
      text: `check ${namespace}`,
      channel_id: 'C0OPS',
      user_id: 'U0ALICE',
      response_url: `${slackUrl}/respond/${reply}`,
    });
    return post(body, headers);
  };
  const realWrites = () => kube.writes.filter((w) => !w.dryRun);
  const mode = () =>
    (kube.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
      ?.mtls?.mode;
  const postsSince = (index: number) =>
    slack.calls.slice(index).filter((c) => c.method === 'chat.postMessage');
  const errorCount = (blocks: unknown) =>
    Number(/mTLS check of payments: (\d+) error\(s\)/.exec(JSON.stringify(blocks))?.[1]);
  const codes = (blocks: unknown) =>
    [...JSON.stringify(blocks).matchAll(/\*([a-z0-9]+(?:-[a-z0-9]+)+)\* ·/g)].map((m) => m[1]);

  it('incident messages get a diagnosis only for namespaces the channel may see', async () => {
    const incident = (channel: string, ts: string) =>
      JSON.stringify({
        token: 'deprecated',
        team_id: 'T0',
        api_app_id: 'A0MTLS',
        type: 'event_callback',
        event_id: `Ev${channel}${ts.replace('.', '')}`,
        event_time: now(),
        event: {
          type: 'message',
          channel,
          channel_type: 'channel',
          user: 'U0ALERTMANAGER',
          ts,
          text: 'payments 503s: upstream connect error or disconnect/reset before headers. TLS error: x509: certificate signed by unknown authority (outbound|80||payments.payments.svc.cluster.local)',
        },
      });
    const json = { 'content-type': 'application/json' };
    const before = slack.calls.length;
    expect(await post(incident('C0LEGACY', '1700000200.000100'), json)).toBe(200);
    expect(await post(incident('C0NORULE', '1700000201.000100'), json)).toBe(200);
    const allowed = slack.waitFor('chat.postMessage');
    expect(await post(incident('C0OPS', '1700000202.000100'), json)).toBe(200);
    expect((await allowed).args).toMatchObject({ channel: 'C0OPS', thread_ts: '1700000202.000100' });
    await until(
      () =>
        live.logs().includes('channel C0LEGACY may not see namespace payments') &&
        live.logs().includes('channel C0NORULE has no access rule'),
      `no refusal logged: ${live.logs()}`,
    );
    expect(postsSince(before).map((c) => c.args.channel)).toEqual(['C0OPS']);
  });

  it('a remediation button from a channel that may not see the namespace gets a refusal: no plan, no request, no dry run', async () => {
    const updated = slack.waitFor('chat.update');
    expect(await check('payments', 'first-check')).toBe(200);
    expect(JSON.stringify((await updated).args.blocks)).toContain(PLAN);
    const before = slack.calls.length;
    const refused = slack.waitFor('respond/legacy-click');
    expect(await click('U0ALICE', 'C0LEGACY', 'remediation:0:0', PLAN, 'legacy-click')).toBe(200);
    const text = String((await refused).args.text);
    expect(text).toContain(
      'Refused: channel C0LEGACY may not see namespace payments (it may see legacy): add payments to its rule under access.channels',
    );
    expect(text).not.toContain('kubectl');
    expect(kube.writes).toEqual([]);
    expect(postsSince(before)).toEqual([]);
  });

  it('approval is refused from a channel without access and for a non-approver; a Slack retry runs nothing; the re-check and the next /mtls check show the fixed state', async () => {
    const beforeFix = slack.waitFor('chat.update');
    expect(await check('payments', 'before-fix')).toBe(200);
    const before = (await beforeFix).args.blocks;
    expect(codes(before)).toContain('strict-plaintext-clients');
    const errorsBefore = errorCount(before);
    expect(errorsBefore).toBeGreaterThan(0);

    const requested = slack.waitFor('chat.postMessage');
    await click('U0ALICE', 'C0OPS', 'remediation:0:0', PLAN, 'request');
    const request = await requested;
    expect(String(request.args.text)).toBe(
      'Fix request 1: Switch PeerAuthentication payments/default to PERMISSIVE',
    );
    // Its impact, computed before anyone approves: the plaintext callers are repaired, nothing breaks.
    const requestText = JSON.stringify(request.args.blocks);
    expect(requestText).toMatch(
      /:white_check_mark: repairs [1-9]\d* calls? \([^)]*→ payments\/[^)]*\), breaks 0/,
    );
    expect(requestText).toContain('"text":"Apply this change?"');

    const wrongChannel = slack.waitFor('respond/bob-legacy');
    await click('U0BOB', 'C0LEGACY', 'fix-approve', '1', 'bob-legacy');
    expect(String((await wrongChannel).args.text)).toContain(
      'channel C0LEGACY may not see namespace payments',
    );
    const stranger = slack.waitFor('respond/mallory');
    await click('U0MALLORY', 'C0OPS', 'fix-approve', '1', 'mallory');
    expect(String((await stranger).args.text)).toContain(
      'user U0MALLORY is not an approver: add them under approvers.users',
    );
    expect(realWrites()).toEqual([]);

    // Slack redelivers the approval and a command (as it does when it thinks the first went unanswered).
    const retried = slack.calls.length;
    const retry = { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };
    expect(await click('U0BOB', 'C0OPS', 'fix-approve', '1', 'retry', retry)).toBe(200);
    expect(await check('payments', 'retried-check', retry)).toBe(200);
    await until(
      () => (live.logs().match(/Slack retry ignored/g) ?? []).length === 2,
      `retries not ignored: ${live.logs()}`,
    );
    expect(realWrites()).toEqual([]);
    expect(slack.calls.slice(retried)).toEqual([]);

    const applied = slack.waitFor('chat.postMessage');
    await click('U0BOB', 'C0OPS', 'fix-approve', '1', 'approve');
    const done = await applied;
    expect(String(done.args.text)).toBe('Fix request 1 applied');
    expect(mode()).toBe('PERMISSIVE');
    expect(realWrites()).toHaveLength(1);
    // Within the workers' 15 s cache of the first check: only a fresh read sees the change.
    expect(JSON.stringify(done.args.blocks)).toContain(
      `Re-check of \`payments\` after the change: ${errorsBefore - 1} error(s)`,
    );
    const afterFix = slack.waitFor('chat.update');
    expect(await check('payments', 'after-fix')).toBe(200);
    const after = (await afterFix).args.blocks;
    expect(codes(after)).not.toContain('strict-plaintext-clients');
    expect(errorCount(after)).toBe(errorsBefore - 1);

    // Rollback requests and their approval follow the same rules.
    const rollbackButton = (done.args.blocks as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'fix-rollback');
    const sinceRollback = slack.calls.length;
    const refusedRollback = slack.waitFor('respond/rollback-legacy');
    await click('U0ALICE', 'C0LEGACY', 'fix-rollback', rollbackButton?.value ?? '', 'rollback-legacy');
    expect(String((await refusedRollback).args.text)).toContain(
      'channel C0LEGACY may not see namespace payments',
    );
    expect(postsSince(sinceRollback)).toEqual([]);
    const rollbackRequested = slack.waitFor('chat.postMessage');
    await click('U0ALICE', 'C0OPS', 'fix-rollback', rollbackButton?.value ?? '', 'rollback');
    const rollbackRequest = await rollbackRequested;
    expect(String(rollbackRequest.args.text)).toContain('Fix request 2: Roll back change 1');
    // Back to STRICT breaks those calls again: said in red, and the approver confirms that line.
    const rollbackText = JSON.stringify(rollbackRequest.args.blocks);
    expect(rollbackText).toMatch(
      /:red_circle: \*This change breaks [1-9]\d* calls?\.\* repairs 0 calls, breaks/,
    );
    expect(rollbackText).toContain('"text":"Apply, breaking calls?"');
    const rejectRefused = slack.waitFor('respond/reject-legacy');
    await click('U0BOB', 'C0LEGACY', 'fix-reject', '2', 'reject-legacy');
    expect(String((await rejectRefused).args.text)).toContain(
      'channel C0LEGACY may not see namespace payments',
    );
    const rolledBack = slack.waitFor('chat.postMessage');
    await click('U0BOB', 'C0OPS', 'fix-approve', '2', 'approve-rollback');
    const restored = await rolledBack;
    expect(String(restored.args.text)).toBe('Fix request 2 applied');
    expect(mode()).toBe('STRICT');
    expect(JSON.stringify(restored.args.blocks)).toContain(
      `Re-check of \`payments\` after the change: ${errorsBefore} error(s)`,
    );
  });
});

describe('mtls-doctor serve configuration', () => {
  it('refuses to start with approvers and an in-memory store, naming store.path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-cfg-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'access:\n  channels:\n    C0OPS: ["*"]\napprovers:\n  users: [U0BOB]\n');
    const result = spawnSync('node', ['bin/mtls-doctor.js', 'serve', '--config', config], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20_000,
      env: {
        ...process.env,
        SLACK_BOT_TOKEN: 'xoxb-cfg',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_APP_TOKEN: '',
        PORT: '0',
        OPS_PORT: '0',
      },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'approvers.users is set but store.path keeps fix requests and the audit log in memory, lost on restart: set store.path to a file',
    );
    expect(result.stderr).not.toContain('    at ');
  });
});

function until(condition: () => boolean, message: string, timeoutMs = 10_000): Promise<void> {
  return poll(condition, message, timeoutMs);
}
