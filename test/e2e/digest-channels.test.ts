// Two channels with scheduled digests, through the real `mtls-doctor serve` against a loopback
// Kubernetes API, one posting on even seconds and one on odd: each says what changed since its own last
// digest, so a change shows in both, not only in whichever posts first. The store starts with what an
// earlier version left (one shared `mesh` baseline): each channel's first digest compares with it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CHANNELS = ['C0EVEN', 'C0ODD'] as const;
let slack: FakeSlack;
let kube: FakeKubeApi;
let bot: ServeProcess;
let state: string;
let baselineAt: string;

const setMode = (mode: string) =>
  kube.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode } };
  });

beforeAll(async () => {
  slack = new FakeSlack();
  const slackUrl = await slack.start();
  kube = paymentsCluster();
  const kubeconfig = kubeconfigFile(await kube.start());
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-digest-channels-'));
  state = join(dir, 'state.db');
  // The shared baseline an earlier version kept: yesterday, payments STRICT. Overnight it went PERMISSIVE.
  const yesterday = new Date(Date.now() - 86_400_000);
  expect(
    (await runCli(['digest', '--kubeconfig', kubeconfig, '--state', state], { now: yesterday })).code,
  ).toBe(0);
  baselineAt = yesterday.toISOString();
  setMode('PERMISSIVE');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `access:\n  channels:\n    C0EVEN: ["*"]\n    C0ODD: ["*"]\ndigests:\n  - {channel: C0EVEN, cron: "*/2 * * * * *"}\n  - {channel: C0ODD, cron: "1-59/2 * * * * *"}\nstore:\n  path: ${state}\n`,
  );
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  bot = await startServe(['serve', '--kubeconfig', kubeconfig, '--config', config], {
    slackUrl,
    secret: 'digest-channels-secret',
    token: 'xoxb-digest-channels-token',
  });
}, 90_000);

afterAll(async () => {
  bot?.stop();
  await kube?.stop();
  await slack?.stop();
});

const digestsTo = (channel: string) =>
  slack.calls
    .filter(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.channel === channel &&
        String(c.args.text).startsWith('mTLS posture digest'),
    )
    .map((c) => JSON.stringify(c.args.blocks));

/** The first digest posted to `channel` from now on that contains `text`. */
async function nextDigestWith(
  channel: string,
  text: string,
  from = digestsTo(channel).length,
): Promise<string> {
  let found: string | undefined;
  await until(
    () => {
      found = digestsTo(channel)
        .slice(from)
        .find((d) => d.includes(text));
      return found !== undefined;
    },
    () => `${channel} never had "${text}": ${digestsTo(channel).slice(from).join('\n')}\n${bot.logs()}`,
    30_000,
  );
  return found as string;
}

describe('scheduled digests in two channels', { timeout: 60_000 }, () => {
  it('each channel first compares with the shared baseline left by an earlier version', async () => {
    for (const channel of CHANNELS) {
      const first = await nextDigestWith(channel, '*Since', 0);
      expect(first).toContain(`*Since ${baselineAt}:*`);
      expect(first).toContain('`payments`: mode STRICT → PERMISSIVE');
    }
  });

  it('then says "no changes since" its own last digest', async () => {
    for (const channel of CHANNELS) await nextDigestWith(channel, '*No changes since ');
  });

  it('a change shows in the next digest of both channels', async () => {
    const from = Object.fromEntries(CHANNELS.map((c) => [c, digestsTo(c).length]));
    setMode('STRICT');
    for (const channel of CHANNELS)
      await nextDigestWith(channel, '`payments`: mode PERMISSIVE → STRICT', from[channel]);
    const store = new SqliteStore(state);
    try {
      for (const channel of CHANNELS) expect(store.latestPosture(`digest:${channel}`)).toBeDefined();
    } finally {
      store.close();
    }
  });
});
