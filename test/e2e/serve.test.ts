// The real `mtls-doctor serve` process in HTTP mode, against Slack's Web API on loopback: signed slash
// commands get an ack and a posted diagnosis; forged, unsigned, stale and future-dated ones get 401.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SECRET = 'e2e-signing-secret';
let slack: FakeSlack;
let slackUrl: string;
let bot: ChildProcess;
let botUrl: string;
let opsUrl: string;
let stderr = '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

beforeAll(async () => {
  slack = new FakeSlack();
  slackUrl = await slack.start();
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-e2e-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `access:\n  channels:\n    C0INCIDENT: ["*"]\n    C0SHOP: [shop]\nincidents:\n  channels: [C0INCIDENT]\nstore:\n  path: ${join(dir, 'state.db')}\n`,
  );
  const mesh = join(dir, 'mesh');
  const { cpSync } = await import('node:fs');
  cpSync(join(ROOT, 'examples/mesh'), mesh, { recursive: true });
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
  const port = await freePort();
  const opsPort = await freePort();
  botUrl = `http://127.0.0.1:${port}/slack/events`;
  opsUrl = `http://127.0.0.1:${opsPort}`;
  await import('node:child_process').then(({ execFileSync }) =>
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT }),
  );
  bot = spawn('node', ['bin/mtls-doctor.js', 'serve', '-f', mesh, '--config', config], {
    cwd: ROOT,
    env: {
      ...process.env,
      SLACK_BOT_TOKEN: 'xoxb-e2e-token',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: `${slackUrl}/api/`,
      PORT: String(port),
      OPS_PORT: String(opsPort),
      SLACK_APP_TOKEN: '',
    },
  });
  bot.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const started = Date.now();
  while (!stderr.includes('listening on port')) {
    if (Date.now() - started > 20_000) throw new Error(`bot did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  bot?.kill('SIGTERM');
  await slack?.stop();
});

async function send(body: string, headers: Record<string, string>) {
  const started = performance.now();
  const res = await fetch(botUrl, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), ms: performance.now() - started };
}

const now = () => Math.floor(Date.now() / 1000);

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
    expect(stderr).not.toContain('xoxb-e2e-token');
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
    const line = stderr.split('\n').find((l) => l.includes('"msg":"answered"'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      name: 'mtls-doctor',
      command: 'check',
      requestId: expect.any(String),
    });
    expect(stderr).not.toContain('xoxb-e2e-token');
    expect(stderr).not.toContain(SECRET);
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
