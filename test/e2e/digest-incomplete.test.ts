// The real `mtls-doctor serve` against a loopback Kubernetes API that forbids listing
// PeerAuthentications (403), with a scheduled digest every second and a signed `/mtls digest`: both say
// what could not be read, neither reports the false "STRICT → PERMISSIVE" as a change, and the
// incomplete posture does not become the baseline; once the list is allowed again, the next scheduled
// digest compares with the last complete one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { FakeSlack, type SlackCall, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SECRET = 'digest-gap-signing-secret';
let slack: FakeSlack;
let slackUrl: string;
let kube: FakeKubeApi;
let bot: ServeProcess;
let state: string;
/** When the complete digest that is the baseline was taken (by the CLI, on the same store). */
let baselineAt: string;

beforeAll(async () => {
  slack = new FakeSlack();
  slackUrl = await slack.start();
  kube = paymentsCluster();
  const kubeconfig = kubeconfigFile(await kube.start());
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-digest-gap-'));
  state = join(dir, 'state.db');
  // Yesterday's digest, read completely: payments is STRICT.
  const yesterday = new Date(Date.now() - 86_400_000);
  expect(
    (await runCli(['digest', '--kubeconfig', kubeconfig, '--state', state], { now: yesterday })).code,
  ).toBe(0);
  baselineAt = yesterday.toISOString();
  kube.fault('/apis/security.istio.io/v1/peerauthentications', {
    status: 403,
    reason: 'Forbidden',
    message: 'peerauthentications.security.istio.io is forbidden',
  });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `access:\n  channels:\n    C0DIGEST: ["*"]\n    C0ASK: ["*"]\ndigests:\n  - {channel: C0DIGEST, cron: "* * * * * *"}\nstore:\n  path: ${state}\n`,
  );
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  bot = await startServe(['serve', '--kubeconfig', kubeconfig, '--config', config], {
    slackUrl,
    secret: SECRET,
    token: 'xoxb-digest-gap-token',
  });
}, 90_000);

afterAll(async () => {
  bot?.stop();
  await kube?.stop();
  await slack?.stop();
});

const digestsTo = (channel: string) =>
  slack.calls.filter(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.args.channel === channel &&
      String(c.args.text).startsWith('mTLS posture digest'),
  );

async function nextDigest(channel: string, matching: (c: SlackCall) => boolean): Promise<string> {
  const from = digestsTo(channel).length;
  let found: SlackCall | undefined;
  await until(
    () => {
      found = digestsTo(channel).slice(from).find(matching);
      return found !== undefined;
    },
    () =>
      `no such digest in ${channel}: ${JSON.stringify(digestsTo(channel).map((c) => c.args.text))}\n${bot.logs()}`,
    30_000,
  );
  return JSON.stringify(found?.args.blocks);
}

const latestBaseline = () => {
  const store = new SqliteStore(state);
  try {
    return store.latestPosture('mesh')?.takenAt;
  } finally {
    store.close();
  }
};

function expectIncomplete(blocks: string) {
  expect(blocks).toContain(':grey_question: *Incomplete: could not read*');
  expect(blocks).toMatch(/• peerauthentications\.security\.istio\.io [^:]+: forbidden \(HTTP 403/);
  expect(blocks).toContain(
    `*Since ${baselineAt}:* not compared: this read is incomplete, so a difference could be what could not be read rather than a change. The digest of ${baselineAt} stays the baseline.`,
  );
  expect(blocks).not.toContain('STRICT → PERMISSIVE');
}

describe('digests while PeerAuthentications cannot be read', { timeout: 60_000 }, () => {
  it('a scheduled digest names what it could not read, compares nothing and keeps the baseline', async () => {
    const blocks = await nextDigest('C0DIGEST', () => true);
    expectIncomplete(blocks);
    expect(String(digestsTo('C0DIGEST')[0]?.args.text)).toMatch(/^mTLS posture digest \(incomplete\): score/);
    expect(latestBaseline()).toBe(baselineAt);
    const metrics = await (await fetch(`${bot.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /mtls_doctor_checks_total\{command="scheduled-digest",outcome="incomplete"\} [1-9]/,
    );
    expect(bot.logs()).toContain(
      'digest posted from an incomplete read: changes not compared, baseline kept',
    );
  });

  it('/mtls digest says the same', async () => {
    const body = slashCommandBody({
      text: 'digest',
      channel_id: 'C0ASK',
      response_url: `${slackUrl}/respond/d`,
    });
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(bot.url, { method: 'POST', headers: slackSignature(SECRET, body, ts), body });
    expect(res.status).toBe(200);
    expectIncomplete(await nextDigest('C0ASK', () => true));
  });

  it('readable again: the next scheduled digest compares with the last complete one and becomes the baseline', async () => {
    kube.fault('/apis/security.istio.io/v1/peerauthentications', { times: 0 });
    const blocks = await nextDigest('C0DIGEST', (c) => !String(c.args.text).includes('(incomplete)'));
    // The cluster is as it was when the baseline was taken.
    expect(blocks).toContain(`*No changes since ${baselineAt}.*`);
    expect(blocks).not.toContain('not compared');
    expect(blocks).not.toContain('STRICT → PERMISSIVE');
    expect(latestBaseline()).not.toBe(baselineAt);
  });
});
