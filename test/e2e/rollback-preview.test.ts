// A rollback request through signed Slack clicks, against a Kubernetes API on loopback: it runs the
// same server-side dry run as any other request and shows its diff before anyone approves it, and it
// is refused at request time when the object changed after the fix.
import { afterEach, describe, expect, it } from 'vitest';
import { type ApprovalBot, startApprovalBot } from '../helpers/approval-bot.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import type { FakeSlack } from '../helpers/fake-slack.js';
import { slashCommandBody } from '../helpers/fake-slack.js';

const PLAN = 'set-mode-permissive:PeerAuthentication/payments/default';
let slack: FakeSlack;
let fake: FakeKubeApi;
let running: ApprovalBot | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup(ttlMs?: number) {
  running = await startApprovalBot(ttlMs);
  ({ slack, fake } = running);
  return running;
}

const mode = () =>
  (fake.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;

async function requestFix(env: Awaited<ReturnType<typeof setup>>) {
  const check = slashCommandBody({
    text: 'check payments',
    channel_id: 'C0OPS',
    user_id: 'U0ALICE',
    response_url: `${env.slackUrl}/respond/check`,
  });
  const updated = slack.waitFor('chat.update');
  expect(await env.post(check)).toBe(200);
  const blocks = JSON.stringify((await updated).args.blocks);
  expect(blocks).toContain(PLAN);
  const requestPosted = slack.waitFor('chat.postMessage');
  expect(await env.click('U0ALICE', 'remediation:0:0', PLAN)).toBe(200);
  return requestPosted;
}

describe('rollback requests', () => {
  async function applied(env: Awaited<ReturnType<typeof setup>>) {
    await requestFix(env);
    const done = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    const message = await done;
    expect(String(message.args.text)).toBe('Fix request 1 applied');
    return (message.args.blocks as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'fix-rollback')?.value as string;
  }

  it('a rollback request runs a server-side dry run and shows its diff; approving it restores', async () => {
    const env = await setup();
    const auditId = await applied(env);
    const before = fake.writes.length;
    const posted = slack.waitFor('chat.postMessage');
    await env.click('U0ALICE', 'fix-rollback', auditId);
    const request = await posted;
    expect(String(request.args.text)).toContain('Fix request 2: Roll back change 1');
    const blocks = JSON.stringify(request.args.blocks);
    expect(blocks).toContain('-    mode: PERMISSIVE');
    expect(blocks).toContain('+    mode: STRICT');
    expect(fake.writes.slice(before)).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        dryRun: true,
        body: expect.objectContaining({ spec: { mtls: { mode: 'STRICT' } } }),
      }),
    ]);
    expect(mode()).toBe('PERMISSIVE');
    const restored = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '2');
    expect(String((await restored).args.text)).toBe('Fix request 2 applied');
    expect(mode()).toBe('STRICT');
  });

  it('a rollback of an object changed after the fix is refused when requested, with the reason', async () => {
    const env = await setup();
    const auditId = await applied(env);
    fake.touch('PeerAuthentication', 'payments', 'default');
    const before = fake.writes.length;
    const refused = slack.waitFor(`respond/U0ALICE-fix-rollback-${auditId}`);
    await env.click('U0ALICE', 'fix-rollback', auditId);
    const text = String((await refused).args.text);
    expect(text).toContain('The dry run failed');
    expect(text).toContain('changed after the fix');
    expect(fake.writes.length).toBe(before);
  });
});
