// A burst of `/mtls check` commands against the real `mtls-doctor serve` process: every command of
// the burst is acked before the bot starts any command's follow-up work (the "checking…" post), and
// every command is still answered. The bot is paused (SIGSTOP) while the burst is written to its
// sockets, so the whole burst is waiting when it resumes, whatever the machine's load.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';
import { type ServeProcess, serveFolder, startServe } from '../helpers/serve-process.js';

const SECRET = 'e2e-burst-secret';
const BURST = 12;
let slack: FakeSlack;
let slackUrl: string;
let bot: ServeProcess;
let port: number;

beforeAll(async () => {
  slack = new FakeSlack();
  slackUrl = await slack.start();
  const { mesh, config } = serveFolder(
    'mtls-doctor-burst-',
    () => 'access:\n  channels:\n    C0INCIDENT: ["*"]\n',
  );
  bot = await startServe(['serve', '-f', mesh, '--config', config], {
    slackUrl,
    secret: SECRET,
    token: 'xoxb-e2e-token',
  });
  port = bot.port;
}, 60_000);

afterAll(async () => {
  bot?.stop();
  await slack?.stop();
});

/** Writes one signed command on its own connection; resolves with the response once it is complete. */
function command(text: string, id: number, written: () => void, onAck: () => void): Promise<string> {
  const body = slashCommandBody({
    text,
    channel_id: 'C0INCIDENT',
    response_url: `${slackUrl}/respond/${id}`,
  });
  const headers = {
    ...slackSignature(SECRET, body, Math.floor(Date.now() / 1000)),
    host: `127.0.0.1:${port}`,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return new Promise((resolve, reject) => {
    let response = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST /slack/events HTTP/1.1\r\n${head}\r\n\r\n${body}`, written);
    });
    socket.on('data', (d: Buffer) => {
      if (!response) onAck();
      response += d.toString();
    });
    socket.on('end', () => resolve(response));
    socket.on('error', reject);
  });
}

describe('mtls-doctor serve under a burst', () => {
  it('acks every command of a burst before any follow-up work starts, then answers them all', async () => {
    const order: string[] = [];
    slack.calls.length = 0;
    const placeholder = slack.waitFor('chat.postMessage', 30_000).then(() => order.push('follow-up'));
    // The bot holds still while the whole burst reaches its sockets.
    bot.child.kill('SIGSTOP');
    let writtenCount = 0;
    let resume: () => void = () => {};
    const allWritten = new Promise<void>((r) => {
      resume = r;
    });
    const responses = Array.from({ length: BURST }, (_, i) =>
      command(
        `check ${i % 2 ? 'shop' : 'inventory'}`,
        i,
        () => {
          writtenCount += 1;
          if (writtenCount === BURST) resume();
        },
        () => order.push('ack'),
      ),
    );
    await allWritten;
    bot.child.kill('SIGCONT');
    const acks = await Promise.all(responses);
    for (const ack of acks) expect(ack).toMatch(/^HTTP\/1\.1 200 /);
    await placeholder;
    expect(order.slice(0, BURST), order.join(' ')).toEqual(Array(BURST).fill('ack'));
    // Every command is still answered: its "checking…" message updated in place.
    const deadline = Date.now() + 60_000;
    while (slack.calls.filter((c) => c.method === 'chat.update').length < BURST) {
      if (Date.now() > deadline) throw new Error('not every command of the burst was answered');
      await new Promise((r) => setTimeout(r, 50));
    }
    const checking = slack.calls.filter(
      (c) => c.method === 'chat.postMessage' && String(c.args.text).includes(':hourglass_flowing_sand:'),
    );
    expect(checking).toHaveLength(BURST);
  }, 90_000);
});
