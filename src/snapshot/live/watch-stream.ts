// WATCH requests as streams of JSON lines, with the kubeconfig's TLS and credentials (client-node's
// applyToHTTPSOptions, as get-json.ts), in place of client-node's Watch: its 1.4 release sets a timeout
// signal and then overwrites it, and hands back the request's controller only once the headers are in,
// so a watch the API server (or a proxy) never answers could be neither bounded nor cancelled. Here the
// caller's signal aborts the request at any point; the deadlines themselves are the watcher's.
import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WatchClient } from './watch-kind.js';

// A refused watch's Status body is small; more is not read.
const MAX_ERROR_BODY = 64 * 1024;

export class StreamWatch implements WatchClient {
  constructor(private readonly config: KubeConfig) {}

  /**
   * Resolves once the stream is open (200 and its headers); rejects, as client-node's Watch reports it,
   * with an Error carrying `statusCode` when the watch is refused, or with the socket's error. After
   * that, `done` is called once: null when the server ends the stream, else the error.
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: unknown) => void,
    done: (error: unknown) => void,
    signal?: AbortSignal,
  ): Promise<AbortController> {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    url.searchParams.set('watch', 'true');
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const options: https.RequestOptions = {};
    await this.config.applyToHTTPSOptions(options);
    const controller = new AbortController();
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      let open = false;
      let finished = false;
      const finish = (error: unknown) => {
        if (finished) return;
        finished = true;
        req.destroy();
        if (open) done(error);
        else reject(error);
      };
      const req = request(
        url,
        {
          ...options,
          method: 'GET',
          headers: { ...options.headers, accept: 'application/json' },
          signal: signal ? AbortSignal.any([controller.signal, signal]) : controller.signal,
        },
        (res) => {
          if (res.statusCode !== 200) return refused(res, finish);
          open = true;
          resolve(controller);
          const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
          lines.on('line', (line) => {
            if (finished || line.trim() === '') return;
            let event: { type?: unknown; object?: unknown };
            try {
              event = JSON.parse(line);
            } catch {
              return;
            }
            onEvent(String(event.type), event.object);
          });
          // readline passes the response's errors on (a connection reset mid-stream): one failure.
          lines.on('error', finish);
          res.on('error', finish);
          // The server ended the stream (its timeout): a clean end. Cut off mid-chunk: a broken one.
          res.on('close', () =>
            finish(
              res.complete
                ? null
                : Object.assign(new Error('the watch stream was cut off'), { code: 'ECONNRESET' }),
            ),
          );
        },
      );
      // A dead peer is found by the socket too, not only by the watcher's silence deadline.
      req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      req.on('error', finish);
      req.end();
    });
  }
}

/** A watch answered with another status than 200: an Error with its statusCode and the Status message. */
function refused(res: http.IncomingMessage, finish: (error: unknown) => void): void {
  const code = res.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    if (size < MAX_ERROR_BODY) chunks.push(chunk);
    size += chunk.length;
  });
  res.on('error', finish);
  res.on('end', () => {
    let message: string | undefined;
    try {
      const status = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: unknown };
      if (typeof status.message === 'string') message = status.message;
    } catch {
      // Not a Status object: the status line says enough.
    }
    finish(Object.assign(new Error(message ?? STATUS_CODES[code] ?? 'error'), { statusCode: code }));
  });
}
