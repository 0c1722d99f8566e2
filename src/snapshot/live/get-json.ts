// One GET of an API path answered as plain JSON, with the kubeconfig's TLS and credentials (CA, client
// certificate, bearer token or exec plugin, proxy: client-node's applyToHTTPSOptions) but without
// client-node's typed models: their ObjectSerializer walks every field of every object, which cost more
// than the API server's own answer on a large mesh. The analysis reads plain objects, as from manifests.
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { UnexpectedAnswerError } from './api-errors.js';

export type Query = Readonly<Record<string, string | number | undefined>>;

export type GetJson = (path: string, query?: Query) => Promise<unknown>;

const gunzipAsync = promisify(gunzip);

/**
 * GETs of `config`'s current cluster. Failures come out as client-node's would, so one classification
 * reads both: a non-2xx answer is an ApiException (status code, the Status body), a 2xx that is not
 * JSON an UnexpectedAnswerError, no answer within `timeoutMs` a TimeoutError, a refused connection the
 * socket's error (ECONNREFUSED, ...), an exec credential plugin that overran `timeoutMs` a
 * CredentialTimeoutError (when `config` went through boundCredentials, as createKubeApi's does).
 */
export function jsonGetter(config: KubeConfig, server: string, timeoutMs: number): GetJson {
  return async (path, query = {}) => {
    const url = new URL(server.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    // One deadline for the credentials (an exec plugin, bounded by createKubeApi's boundCredentials)
    // and the exchange: a slow plugin leaves the request less time, never more.
    const signal = AbortSignal.timeout(timeoutMs);
    const options: https.RequestOptions = {};
    await config.applyToHTTPSOptions(options);
    const { status, headers, body } = await get(url, options, signal);
    const type =
      String(headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    if (status < 200 || status >= 300)
      throw new ApiException(status, 'Unknown API Status Code!', body, flatHeaders(headers));
    // A proxy or a login page in front of the API server answers 200 with HTML.
    if (!/\bjson\b/i.test(type)) throw new UnexpectedAnswerError(type);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new UnexpectedAnswerError(`${type} that does not parse`);
    }
  };
}

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function get(url: URL, options: https.RequestOptions, signal: AbortSignal): Promise<Answer> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<Answer>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(error);
    };
    // The whole exchange, body included, within the timeout (a TimeoutError, as client-node's signal).
    const onAbort = () => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const req = request(
      url,
      {
        ...options,
        method: 'GET',
        headers: { ...options.headers, accept: 'application/json', 'accept-encoding': 'gzip' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        // The connection closed before the whole body came: a broken answer, never a shorter list.
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
        });
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const body = res.headers['content-encoding'] === 'gzip' ? gunzipAsync(raw) : Promise.resolve(raw);
          body.then((bytes) => {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8') });
          }, fail);
        });
      },
    );
    req.on('error', fail);
    req.end();
  });
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.join(', ') : String(value),
    ]),
  );
}
