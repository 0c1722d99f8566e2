// The real `mtls-doctor serve` process when Slack refuses its token or cannot be reached at start, in
// HTTP and Socket Mode: it keeps running, /readyz answers 503 with the reason, it retries with backoff
// and logs once per change of state; once Slack accepts the token /readyz answers 200. Every line it
// logs is JSON (Bolt's receiver included).
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';
import { freePort } from '../helpers/free-port.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';
import { until as poll } from '../helpers/until.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SECRET = 'startup-signing-secret';
const BANNER = /^mtls-doctor bot (listening|connect)/;

let slack: FakeSlack;
let slackUrl: string;
let served: ServeProcess | undefined;
const output = () => served?.logs() ?? '';

beforeAll(async () => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  slack = new FakeSlack();
  slackUrl = await slack.start();
}, 60_000);
afterAll(() => slack?.stop());
afterEach(() => {
  served?.stop();
  served = undefined;
  slack.authError = undefined;
  slack.appTokenError = undefined;
});

async function startBot(env: Record<string, string>) {
  served = await startServe(['serve', '-f', join(ROOT, 'examples/mesh')], {
    slackUrl,
    secret: SECRET,
    token: 'xoxb-startup-token',
    env: { MTLS_DOCTOR_CONFIG: '', ...env },
    // Slack may be unreachable or refuse the token: the bot has started once its ops port is up.
    readyLine: 'health and metrics on port',
  });
  return { botUrl: served.url, opsUrl: served.opsUrl };
}

/** Waits for a state (not a duration): polls until `done` holds, failing with `what` after 30 s. */
const until = (done: () => boolean | Promise<boolean>, what: string) =>
  poll(done, () => `${what}\n${output()}`, 30_000);

async function readyz(opsUrl: string) {
  const res = await fetch(`${opsUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { checks: { slack: { detail: string } } } };
}

const count = (method: string) => slack.calls.filter((c) => c.method === method).length;

/** Retries are not logged one by one: every message appears once (per state change). */
function expectEachLineOnce(): void {
  const messages = logLines().map((l) => l.msg);
  expect(messages.length).toBeGreaterThan(0);
  expect(messages, output()).toEqual([...new Set(messages)]);
}

function logLines(): Record<string, unknown>[] {
  const lines = output()
    .split('\n')
    .filter((l) => l.trim() && !BANNER.test(l));
  for (const line of lines) expect(() => JSON.parse(line), `not JSON: ${line}`).not.toThrow();
  return lines.map((l) => JSON.parse(l));
}

describe('serve when Slack refuses the token at start', () => {
  it('HTTP mode: keeps running, readyz 503 with the reason, retries, then 200; logs each change once', async () => {
    slack.authError = 'invalid_auth';
    const { opsUrl, botUrl } = await startBot({});
    const refused = await readyz(opsUrl);
    expect(refused.status).toBe(503);
    expect(refused.body.checks.slack.detail).toBe('Slack refused the token (invalid_auth)');
    await until(() => count('auth.test') >= 3, 'no retries of auth.test');
    expect(served?.child.exitCode).toBeNull();

    slack.authError = undefined;
    await until(async () => (await readyz(opsUrl)).status === 200, 'readyz never became 200');
    expect((await readyz(opsUrl)).body.checks.slack.detail).toBe('authenticated as mtls-doctor in Example');

    // A request with a fresh timestamp but a wrong signature reaches Bolt's receiver, which warns.
    const body = slashCommandBody({ text: 'check', channel_id: 'C0', response_url: `${slackUrl}/r` });
    const headers = slackSignature('not-the-secret', body, Math.floor(Date.now() / 1000));
    expect((await fetch(botUrl, { method: 'POST', headers, body })).status).toBe(401);
    await until(() => /verify/i.test(output()), 'the receiver logged nothing about the forged request');

    const logs = logLines();
    expect(logs.filter((l) => l.msg === 'Slack not ready; retrying with backoff')).toHaveLength(1);
    expect(logs.filter((l) => l.msg === 'Slack ready')).toHaveLength(1);
    expect(output()).not.toMatch(/\[(WARN|ERROR|INFO)\]|\n\s+at /);
    expectEachLineOnce();
  }, 60_000);

  it('HTTP mode with Slack unreachable: readyz 503 says so; the process stays up; retries are not logged one by one', async () => {
    // A "Slack" that drops every connection: it counts the attempts.
    let attempts = 0;
    const dropper = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
    const port = (dropper.address() as { port: number }).port;
    try {
      const { opsUrl } = await startBot({ SLACK_API_URL: `http://127.0.0.1:${port}/api/` });
      const down = await readyz(opsUrl);
      expect(down.status).toBe(503);
      expect(down.body.checks.slack.detail).toMatch(/^Slack cannot be reached \(.+\)$/);
      // Two attempts of the link, each with the web client's own retries.
      await until(() => attempts >= 6, 'Slack was not retried');
      expect(served?.child.exitCode).toBeNull();
      expectEachLineOnce();
    } finally {
      dropper.close();
    }
  }, 60_000);

  it('Socket Mode: an app token refused by apps.connections.open is retried; readyz 503 → 200', async () => {
    const { WebSocketServer } = (await import('ws' as string)) as {
      WebSocketServer: new (o: {
        port: number;
      }) => {
        on(e: 'connection', f: (s: { send(t: string): void }) => void): void;
        close(): void;
      };
    };
    const wsPort = await freePort();
    const wss = new WebSocketServer({ port: wsPort });
    wss.on('connection', (socket) =>
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0' } })),
    );
    slack.socketUrl = `ws://127.0.0.1:${wsPort}/`;
    slack.appTokenError = 'invalid_auth';
    try {
      const { opsUrl } = await startBot({ SLACK_APP_TOKEN: 'xapp-startup-token', SLACK_SIGNING_SECRET: '' });
      const refused = await readyz(opsUrl);
      expect(refused.status).toBe(503);
      expect(refused.body.checks.slack.detail).toBe('Slack refused the token (invalid_auth)');
      await until(() => count('apps.connections.open') >= 2, 'apps.connections.open was not retried');
      expect(served?.child.exitCode).toBeNull();

      slack.appTokenError = undefined;
      await until(async () => (await readyz(opsUrl)).status === 200, 'readyz never became 200');
      expect((await readyz(opsUrl)).body.checks.slack.detail).toContain('Socket Mode connected');
      const logs = logLines();
      expect(logs.filter((l) => l.msg === 'Slack not ready; retrying with backoff')).toHaveLength(1);
      expect(output()).not.toMatch(/\[(WARN|ERROR|INFO)\]|\n\s+at /);
      expectEachLineOnce();
    } finally {
      wss.close();
    }
  }, 60_000);
});
