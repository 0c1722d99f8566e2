// Slack's Web API on loopback: answers like Slack (ok, ts, channel) and records every call, so a test
// can assert what the bot posted. Also serves response_url endpoints.

import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
}

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** When set, auth.test answers { ok: false, error } (e.g. invalid_auth: a revoked bot token). */
  authError?: string;
  /** When set, apps.connections.open answers { ok: false, error } (a bad Socket Mode app token). */
  appTokenError?: string;
  /** The WebSocket URL apps.connections.open hands out (Socket Mode). */
  socketUrl?: string;
  /**
   * When set, files.getUploadURLExternal answers { ok: false, error } (missing_scope: a token without
   * files:write). Otherwise the file upload flow works: its upload URL is here too, and the bytes sent
   * there are recorded as an `upload` call with `args.file_id` and `args.bytes` (a Buffer).
   */
  filesError?: string;
  /** When set and it names an error for a call, that call answers { ok: false, error } (e.g. channel_not_found). */
  refuse?: (method: string, args: Record<string, unknown>) => string | undefined;
  private base = '';
  private files = 0;
  private server?: Server;
  private ts = 1_700_000_000;
  private waiters: { method: string; resolve: (c: SlackCall) => void }[] = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if ((req.url ?? '').startsWith('/upload/')) {
          const fileId = (req.url ?? '').split('/').pop();
          void uploadedFile(req.headers['content-type'] ?? '', Buffer.concat(chunks)).then((file) => {
            this.record({ method: 'upload', args: { file_id: fileId, ...file } });
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end(`OK - ${file.bytes.length}`);
          });
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const type = req.headers['content-type'] ?? '';
        let args: Record<string, unknown> = {};
        if (type.includes('json')) args = raw ? JSON.parse(raw) : {};
        else args = Object.fromEntries(new URLSearchParams(raw));
        for (const key of ['blocks', 'attachments', 'files']) {
          if (typeof args[key] === 'string') args[key] = JSON.parse(args[key] as string);
        }
        const method = (req.url ?? '')
          .replace(/^\/api\//, '')
          .replace(/^\//, '')
          .split('?')[0] as string;
        this.record({ method, args });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.answer(method, args)));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  private record(call: SlackCall): void {
    this.calls.push(call);
    for (const w of this.waiters.filter((x) => x.method === call.method)) w.resolve(call);
    this.waiters = this.waiters.filter((x) => x.method !== call.method);
  }

  private answer(method: string, args: Record<string, unknown>): unknown {
    const refused = this.refuse?.(method, args);
    if (refused) return { ok: false, error: refused };
    if (method === 'auth.test' && this.authError) return { ok: false, error: this.authError };
    if (method === 'apps.connections.open')
      return this.appTokenError
        ? { ok: false, error: this.appTokenError }
        : { ok: true, url: this.socketUrl };
    if (method === 'auth.test')
      return {
        ok: true,
        url: 'https://example.slack.com/',
        team: 'Example',
        user: 'mtls-doctor',
        team_id: 'T0',
        user_id: 'U0BOT',
        bot_id: 'B0BOT',
      };
    if (method === 'chat.postMessage')
      return { ok: true, channel: args.channel, ts: `${++this.ts}.000100`, message: { text: args.text } };
    if (method === 'files.getUploadURLExternal') {
      if (this.filesError)
        return { ok: false, error: this.filesError, needed: 'files:write', provided: 'commands,chat:write' };
      const fileId = `F${++this.files}`;
      return { ok: true, upload_url: `${this.base}/upload/v1/${fileId}`, file_id: fileId };
    }
    if (method === 'files.completeUploadExternal')
      return {
        ok: true,
        files: ((args.files as { id: string; title?: string }[]) ?? []).map((f) => ({
          id: f.id,
          title: f.title,
        })),
      };
    if (method === 'chat.update') return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
    return { ok: true };
  }

  waitFor(method: string, timeoutMs = 10_000): Promise<SlackCall> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${method} call within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        method,
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
      });
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

// The Web API client posts the file as multipart/form-data (one part); anything else is the file itself.
async function uploadedFile(type: string, body: Buffer): Promise<{ bytes: Buffer; filename?: string }> {
  if (!type.startsWith('multipart/form-data')) return { bytes: body };
  const form = await new Request('http://upload.invalid/', {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  }).formData();
  const part = [...form.values()].find((v) => typeof v !== 'string');
  return part && typeof part !== 'string'
    ? { bytes: Buffer.from(await part.arrayBuffer()), filename: part.name }
    : { bytes: Buffer.alloc(0) };
}

/** Headers of a request signed as Slack signs it: v0=HMAC-SHA256(secret, "v0:<ts>:<body>"). */
export function slackSignature(secret: string, body: string, timestamp: number): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature,
    'content-type': 'application/x-www-form-urlencoded',
  };
}

/** The form body Slack sends when `user` clicks a button (`actionId`, `value`) in `channel`. */
export function buttonClickBody(fields: {
  user: string;
  channel: string;
  actionId: string;
  value: string;
  response_url: string;
}): string {
  return new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      team: { id: 'T0' },
      user: { id: fields.user, team_id: 'T0' },
      api_app_id: 'A0MTLS',
      container: { type: 'message', message_ts: '1.1', channel_id: fields.channel },
      channel: { id: fields.channel, name: fields.channel.toLowerCase() },
      trigger_id: '1.2.3',
      response_url: fields.response_url,
      actions: [
        { type: 'button', action_id: fields.actionId, block_id: 'b', value: fields.value, action_ts: '1.2' },
      ],
    }),
  }).toString();
}

export function slashCommandBody(fields: {
  text: string;
  channel_id: string;
  user_id?: string;
  response_url: string;
}): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0',
    team_domain: 'example',
    channel_id: fields.channel_id,
    channel_name: 'incidents',
    user_id: fields.user_id ?? 'U0ALICE',
    user_name: 'alice',
    command: '/mtls',
    text: fields.text,
    api_app_id: 'A0MTLS',
    response_url: fields.response_url,
    trigger_id: '123.456.abc',
  }).toString();
}
