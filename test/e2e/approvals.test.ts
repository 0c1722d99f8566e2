// The four-eyes fix flow through signed Slack interactive payloads from two users, against Slack's Web
// API and a Kubernetes API on loopback: requester cannot approve, an approver applies exactly once
// (dry run first), stale and expired requests are refused, rollback restores the previous spec, and
// the audit log survives a restart.
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/store/audit-store.js';
import { RequestStore } from '../../src/store/request-store.js';
import { type ApprovalBot, startApprovalBot } from '../helpers/approval-bot.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import type { FakeSlack } from '../helpers/fake-slack.js';
import { slashCommandBody } from '../helpers/fake-slack.js';
import { until } from '../helpers/until.js';

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

const realPatches = () => fake.writes.filter((w) => !w.dryRun);
const mode = () =>
  (fake.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;
const settle = () => new Promise((r) => setTimeout(r, 400));
const posts = (since: number) =>
  slack.calls.slice(since).filter((c) => c.method === 'chat.postMessage' || c.method.startsWith('respond/'));
const rollbackValues = (blocks: unknown) =>
  ((blocks ?? []) as { elements?: { action_id: string; value: string }[] }[])
    .flatMap((b) => b.elements ?? [])
    .filter((e) => e.action_id === 'fix-rollback')
    .map((e) => e.value);

/** The request and audit entry as stored. */
function stored(env: ApprovalBot, id: number) {
  const requests = new RequestStore(env.db);
  const audit = new AuditLog(env.db);
  try {
    return { request: requests.get(id)?.state, audit: audit.get(id)?.state };
  } finally {
    requests.close();
    audit.close();
  }
}

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

describe('fix requests with approval', () => {
  it('the requester cannot approve; an approver applies exactly once after a dry run; rollback restores; the audit survives a restart', async () => {
    const env = await setup();
    const request = await requestFix(env);
    expect(String(request.args.text)).toBe(
      `Fix request 1: Switch PeerAuthentication payments/default to PERMISSIVE`,
    );
    expect(JSON.stringify(request.args.blocks)).toContain('+    mode: PERMISSIVE');
    expect(fake.writes.every((w) => w.dryRun)).toBe(true);

    const selfReply = slack.waitFor('respond/U0ALICE-fix-approve-1');
    await env.click('U0ALICE', 'fix-approve', '1');
    expect(String((await selfReply).args.text)).toContain('another approver has to approve it');
    expect(realPatches()).toEqual([]);

    const applied = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    const done = await applied;
    expect(String(done.args.text)).toBe('Fix request 1 applied');
    expect(realPatches()).toHaveLength(1);
    expect(realPatches()[0]?.body).toMatchObject({
      metadata: { resourceVersion: '7' },
      spec: { mtls: { mode: 'PERMISSIVE' } },
    });
    const lastReal = fake.writes.indexOf(realPatches()[0] as never);
    expect(fake.writes[lastReal - 1]?.dryRun).toBe(true);
    expect(mode()).toBe('PERMISSIVE');

    // A second approval (double click) changes nothing.
    const again = slack.waitFor('respond/U0BOB-fix-approve-1');
    await env.click('U0BOB', 'fix-approve', '1');
    expect(String((await again).args.text)).toContain('already resolved (applied by <@U0BOB>)');
    expect(realPatches()).toHaveLength(1);

    // Rollback is itself a request that needs approval.
    const rollbackButton = (
      done.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    )
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'fix-rollback');
    const rollbackRequest = slack.waitFor('chat.postMessage');
    await env.click('U0ALICE', 'fix-rollback', rollbackButton?.value ?? '');
    expect(String((await rollbackRequest).args.text)).toContain('Fix request 2: Roll back change 1');
    const restored = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '2');
    expect(String((await restored).args.text)).toBe('Fix request 2 applied');
    expect(mode()).toBe('STRICT');

    const reopened = new AuditLog(env.db);
    expect(reopened.get(1)).toMatchObject({ planId: PLAN, state: 'rolled-back' });
    expect(reopened.get(2)).toMatchObject({ planId: 'rollback:1', state: 'applied' });
    reopened.close();
  });

  it('a fix of a Namespace (its injection label) is re-checked like any other: the namespace is the target itself', async () => {
    const env = await setup();
    const updated = slack.waitFor('chat.update');
    await env.post(
      slashCommandBody({
        text: 'check payments',
        channel_id: 'C0OPS',
        user_id: 'U0ALICE',
        response_url: `${env.slackUrl}/respond/check`,
      }),
    );
    const label = 'label-injection:Namespace/legacy';
    expect(JSON.stringify((await updated).args.blocks)).toContain(label);
    const requested = slack.waitFor('chat.postMessage');
    await env.click('U0ALICE', 'remediation:0:0', label);
    await requested;
    const applied = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    const done = JSON.stringify((await applied).args.blocks);
    expect(done).toContain('Re-check of `legacy` after the change:');
    expect(fake.find('Namespace', undefined, 'legacy')?.metadata.labels).toMatchObject({
      'istio-injection': 'enabled',
    });
  });

  it('an approved change whose write got no answer is read back: seen applied, it is announced applied (with the lost answer said), and its Roll back undoes it', async () => {
    const env = await setup();
    await requestFix(env);
    // The dry runs (at the request and at the approval) pass; the real patch is applied, then the
    // connection drops before the answer.
    fake.fault('/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default', {
      method: 'PATCH',
      skip: 1,
      times: 1,
      dropAnswer: true,
    });
    const said = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    const applied = await said;
    expect(mode()).toBe('PERMISSIVE');
    expect(String(applied.args.text)).toBe('Fix request 1 applied');
    const blocks = JSON.stringify(applied.args.blocks);
    expect(blocks).toContain("The API server's answer was lost; reading the object back shows the change.");
    expect(blocks).not.toContain('may have been applied');
    expect(rollbackValues(applied.args.blocks)).toEqual(['1']);
    expect(stored(env, 1)).toEqual({ request: 'applied', audit: 'applied' });

    const rollbackRequest = slack.waitFor('chat.postMessage');
    await env.click('U0ALICE', 'fix-rollback', '1');
    expect(String((await rollbackRequest).args.text)).toContain('Fix request 2: Roll back change 1');
    const restored = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '2');
    expect(String((await restored).args.text)).toBe('Fix request 2 applied');
    expect(mode()).toBe('STRICT');
    expect(stored(env, 1).audit).toBe('rolled-back');
  });

  it('a re-check that reads the cluster only in part after the change gives no counts: "unknown", and what it could not read', async () => {
    const env = await setup();
    const request = await requestFix(env);
    expect(String(request.args.text)).toContain('Fix request 1');
    // The pods list fails from the moment the change is made: the re-check sees no plaintext client.
    fake.fault('/api/v1/pods', {
      status: 403,
      reason: 'Forbidden',
      message: 'pods is forbidden',
      when: () => realPatches().length > 0,
    });
    const applied = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    const done = JSON.stringify((await applied).args.blocks);
    expect(done).toContain(
      'Re-check of `payments` after the change: unknown, the view is incomplete (could not read pods list (all namespaces)).',
    );
    expect(done).not.toMatch(/Re-check of `payments` after the change: \d+ error/);
  });

  it('a request whose object changed since is refused as stale', async () => {
    const env = await setup();
    await requestFix(env);
    fake.touch('PeerAuthentication', 'payments', 'default');
    const refused = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    expect(String((await refused).args.text)).toContain('the request is stale');
    expect(realPatches()).toEqual([]);
  });

  it('an expired request is refused', async () => {
    const env = await setup(1);
    await requestFix(env);
    await settle();
    const refused = slack.waitFor('respond/U0BOB-fix-approve-1');
    await env.click('U0BOB', 'fix-approve', '1');
    expect(String((await refused).args.text)).toContain('expired');
    expect(realPatches()).toEqual([]);
  });

  it('someone who is not an approver cannot approve', async () => {
    const env = await setup();
    await requestFix(env);
    const refused = slack.waitFor('respond/U0MALLORY-fix-approve-1');
    await env.click('U0MALLORY', 'fix-approve', '1');
    expect(String((await refused).args.text)).toContain('not an approver');
    expect(realPatches()).toEqual([]);
  });

  it('a change Slack refuses to announce stays applied: a shorter message carries the Roll back button, never "not applied"', async () => {
    const env = await setup();
    await requestFix(env);
    // Slack refuses the announcement with the diff (as it does for blocks it rejects), once.
    let refused = 0;
    slack.refuse = (method, args) =>
      method === 'chat.postMessage' && args.text === 'Fix request 1 applied' && refused++ === 0
        ? 'invalid_blocks'
        : undefined;
    const since = slack.calls.length;
    const fallback = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    await fallback;
    await until(
      () => posts(since).length >= 2,
      () => JSON.stringify(posts(since)),
      10_000,
    );
    await settle();
    expect(mode()).toBe('PERMISSIVE');
    expect(stored(env, 1)).toEqual({ request: 'applied', audit: 'applied' });
    const said = posts(since);
    expect(JSON.stringify(said)).not.toContain('not applied');
    const last = said.at(-1);
    expect(String(last?.args.text)).toBe('Fix request 1 applied (audit entry 1)');
    expect(JSON.stringify(last?.args.blocks)).toContain('mtls-doctor fix --rollback 1');
    expect(rollbackValues(last?.args.blocks)).toEqual(['1']);
  });

  it('when the channel takes no post at all, the approver is told privately, with the Roll back button', async () => {
    const env = await setup();
    await requestFix(env);
    slack.refuse = (method) => (method === 'chat.postMessage' ? 'channel_not_found' : undefined);
    const since = slack.calls.length;
    const told = slack.waitFor('respond/U0BOB-fix-approve-1', 4000);
    await env.click('U0BOB', 'fix-approve', '1');
    const reply = await told;
    await settle();
    expect(mode()).toBe('PERMISSIVE');
    expect(stored(env, 1)).toEqual({ request: 'applied', audit: 'applied' });
    expect(String(reply.args.text)).toContain('Fix request 1 was applied by <@U0BOB>');
    expect(String(reply.args.text)).toContain('mtls-doctor fix --rollback 1');
    expect(rollbackValues(reply.args.blocks)).toEqual(['1']);
    expect(JSON.stringify(slack.calls.slice(since))).not.toContain('not applied');
  });
});
