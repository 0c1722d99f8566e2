// Pictures through the real `mtls-doctor serve` process and Slack's Web API on loopback: `/mtls matrix`
// and `/mtls digest` upload a PNG with the current flow (files.getUploadURLExternal, the bytes to the
// upload URL, files.completeUploadExternal) and alt text; without files:write the bot answers in text
// and says so once, in the channel and in its log.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Posture } from '../../src/digest/posture.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeSlack, type SlackCall, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';
import { type ServeProcess, serveFolder, startServe } from '../helpers/serve-process.js';
import { decodePng } from './png.js';

const SECRET = 'pictures-signing-secret';
const DAY = 86_400_000;
let slack: FakeSlack;
let slackUrl: string;
let bot: ServeProcess;
let botUrl: string;
let dir: string;

beforeAll(async () => {
  slack = new FakeSlack();
  slackUrl = await slack.start();
  const folder = serveFolder(
    'mtls-pictures-e2e-',
    (d) => `access:\n  channels:\n    C0INCIDENT: ["*"]\nstore:\n  path: ${join(d, 'state.db')}\n`,
  );
  dir = folder.dir;
  const state = join(dir, 'state.db');
  // Three earlier digests in the store: the chart has them and today's.
  const store = new SqliteStore(state);
  for (const [daysAgo, score] of [
    [6, 20],
    [4, 30],
    [2, 30],
  ] as const) {
    store.savePosture('mesh', {
      takenAt: new Date(Date.now() - daysAgo * DAY).toISOString(),
      meshMode: 'PERMISSIVE',
      score,
      namespaces: [],
    } satisfies Posture);
  }
  store.close();
  bot = await startServe(['serve', '-f', folder.mesh, '--config', folder.config], {
    slackUrl,
    secret: SECRET,
    token: 'xoxb-pictures-token',
  });
  botUrl = bot.url;
}, 60_000);

afterAll(async () => {
  bot?.stop();
  await slack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function command(text: string, n: number): Promise<void> {
  const body = slashCommandBody({ text, channel_id: 'C0INCIDENT', response_url: `${slackUrl}/respond/${n}` });
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(botUrl, { method: 'POST', headers: slackSignature(SECRET, body, ts), body });
  expect(res.status).toBe(200);
}

/** Waits until the calls from `from` on satisfy `done` (the bot answers asynchronously). */
async function until(from: number, done: (calls: SlackCall[]) => boolean): Promise<SlackCall[]> {
  const started = Date.now();
  while (!done(slack.calls.slice(from))) {
    if (Date.now() - started > 30_000)
      throw new Error(
        `Slack did not see it: ${JSON.stringify(slack.calls.slice(from).map((c) => c.method))}\n${bot.logs()}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  return slack.calls.slice(from);
}

const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);

describe('pictures in Slack', () => {
  it('/mtls matrix answers with the failing pairs and uploads the heat map with alt text', async () => {
    const from = slack.calls.length;
    await command('matrix shop', 1);
    const calls = await until(from, (c) => named(c, 'files.completeUploadExternal').length === 1);
    // The text answer first, then the picture beside it.
    const methods = calls.map((c) => c.method);
    expect(methods.indexOf('chat.update')).toBeLessThan(methods.indexOf('files.getUploadURLExternal'));
    const [asked] = named(calls, 'files.getUploadURLExternal');
    expect(asked?.args.filename).toBe('mtls-matrix-shop.png');
    expect(String(asked?.args.alt_text)).toMatch(/^Heat map, Connectivity of shop: \d+ of \d+ calls fail/);
    expect(String(asked?.args.alt_text)).toContain('Failures by reason: serviceentry-tls-origination');
    const [upload] = named(calls, 'upload');
    const bytes = upload?.args.bytes as Buffer;
    expect(Number(asked?.args.length)).toBe(bytes.length);
    const image = decodePng(bytes);
    expect(image.width).toBeGreaterThan(300);
    const [done] = named(calls, 'files.completeUploadExternal');
    expect(done?.args.channel_id).toBe('C0INCIDENT');
    expect(done?.args.files).toEqual([{ id: upload?.args.file_id, title: 'Connectivity of shop' }]);
  }, 60_000);

  it('/mtls digest uploads the 30-day trend from the store, described in words', async () => {
    const from = slack.calls.length;
    await command('digest', 2);
    const calls = await until(from, (c) => named(c, 'files.completeUploadExternal').length === 1);
    const [asked] = named(calls, 'files.getUploadURLExternal');
    const alt = String(asked?.args.alt_text);
    // Three stored digests and this one.
    expect(alt).toMatch(
      /^Line chart, mTLS posture, last 30 days \(.+\), 4 of 30 days with a digest\. Mesh score from 20 on /,
    );
    expect(alt).toContain('Changes on');
    expect(named(calls, 'upload')).toHaveLength(1);
    expect(named(calls, 'chat.postMessage')[0]?.args.text).toMatch(/^mTLS posture digest: score/);
  }, 60_000);

  it('without files:write: the text answer stands, and the channel and log are told once', async () => {
    slack.filesError = 'missing_scope';
    try {
      const from = slack.calls.length;
      await command('matrix shop', 3);
      const first = await until(from, (c) => named(c, 'chat.postMessage').length === 2);
      expect(named(first, 'chat.update')).toHaveLength(1);
      expect(named(first, 'files.getUploadURLExternal')).toHaveLength(1);
      expect(named(first, 'upload')).toHaveLength(0);
      const note = named(first, 'chat.postMessage')[1];
      expect(note?.args.channel).toBe('C0INCIDENT');
      expect(String(note?.args.text)).toContain('lacks the `files:write` scope');

      const again = slack.calls.length;
      await command('matrix shop', 4);
      const second = await until(again, (c) => named(c, 'files.getUploadURLExternal').length === 1);
      await until(again, (c) => named(c, 'chat.update').length === 1);
      // Only the "working out…" placeholder: no second note.
      expect(named(second, 'chat.postMessage')).toHaveLength(1);
      expect(bot.logs().match(/pictures are off/g)).toHaveLength(1);
      expect(bot.logs()).not.toContain('xoxb-pictures-token');
    } finally {
      slack.filesError = undefined;
    }
  }, 60_000);
});
