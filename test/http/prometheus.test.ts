// Prometheus failing in the ways it does, mocked at the HTTP layer with nock: each failure is
// {ok: false} with a reason that says what happened (the digest shows it as "plaintext traffic unknown
// (...)"), never a crash and never an empty "no plaintext sources".
import { createServer } from 'node:net';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { plaintextSources } from '../../src/digest/prometheus.js';

const PROM = 'http://prometheus.test:9090';

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});

const query = () => nock(PROM).get('/api/v1/query').query(true);

describe('plaintextSources against Prometheus', () => {
  it('parses the plaintext sources of a namespace, busiest first, from the instant query', async () => {
    let asked = '';
    nock(PROM)
      .get('/api/v1/query')
      .query((q) => {
        asked = String(q.query);
        return true;
      })
      .reply(200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: { source_workload: 'batch', source_workload_namespace: 'legacy' }, value: [1, '0.5'] },
            { metric: { source_workload: 'cron', source_workload_namespace: 'legacy' }, value: [1, '0'] },
            { metric: { source_workload: 'probe', source_workload_namespace: 'ops' }, value: [1, '2.25'] },
          ],
        },
      });
    const result = await plaintextSources(PROM, 'payments');
    expect(result).toEqual({
      ok: true,
      sources: [
        { workload: 'probe', namespace: 'ops', rate: 2.25 },
        { workload: 'batch', namespace: 'legacy', rate: 0.5 },
      ],
    });
    expect(asked).toContain('destination_workload_namespace="payments"');
    expect(asked).toContain('connection_security_policy!="mutual_tls"');
  });

  it('queries under the path prefix when Prometheus is served below one', async () => {
    const scope = nock(PROM)
      .get('/prometheus/api/v1/query')
      .query(true)
      .reply(200, { status: 'success', data: { result: [] } });
    expect(await plaintextSources(`${PROM}/prometheus`, 'payments')).toEqual({ ok: true, sources: [] });
    expect(scope.isDone()).toBe(true);
  });

  it('HTTP 500 with a plain-text body: the status, not a JSON parse error', async () => {
    query().reply(500, 'internal server error', { 'content-type': 'text/plain' });
    const result = await plaintextSources(PROM, 'payments');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^Prometheus answered HTTP 500\b/);
    expect(!result.ok && result.reason).not.toMatch(/Unexpected token|is not valid JSON|address\?/);
  });

  it("a failed query (HTTP 422, status error): Prometheus's own error type and message", async () => {
    query().reply(422, {
      status: 'error',
      errorType: 'execution',
      error: 'query processing would load too many samples into memory',
    });
    const result = await plaintextSources(PROM, 'payments');
    expect(result).toEqual({
      ok: false,
      reason:
        'Prometheus answered HTTP 422: execution: query processing would load too many samples into memory',
    });
  });

  it('status error behind an HTTP 200 (some proxies): the query failed, with its error', async () => {
    query().reply(200, { status: 'error', errorType: 'bad_data', error: 'parse error at char 12' });
    const result = await plaintextSources(PROM, 'payments');
    expect(result).toEqual({
      ok: false,
      reason: 'Prometheus query failed: bad_data: parse error at char 12',
    });
  });

  it('an HTML page instead of JSON (a login proxy): says so and asks whether the URL is right', async () => {
    query().reply(200, '<html><body>Sign in</body></html>', { 'content-type': 'text/html' });
    const result = await plaintextSources(PROM, 'payments');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain('HTTP 200 with text/html, not JSON');
    expect(!result.ok && result.reason).toContain(`is ${PROM} the Prometheus address?`);
  });

  it('no answer within the timeout: says it timed out and after how long', async () => {
    query()
      .delay(2000)
      .reply(200, { status: 'success', data: { result: [] } });
    const result = await plaintextSources(PROM, 'payments', '1d', 100);
    expect(result).toEqual({ ok: false, reason: 'Prometheus did not answer within 0.1 s' });
  });

  it('a connection error at the HTTP layer: names the network error', async () => {
    query().replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    const result = await plaintextSources(PROM, 'payments');
    expect(result).toEqual({ ok: false, reason: 'Prometheus could not be reached: socket hang up' });
  });

  // nock hands its error to fetch as is; Node's own fetch wraps network errors in "fetch failed", so the
  // unwrapping is checked against a real refused connection on loopback.
  it('a refused connection: names ECONNREFUSED, not just "fetch failed"', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const result = await plaintextSources(`http://127.0.0.1:${port}`, 'payments');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^Prometheus could not be reached: .*ECONNREFUSED/);
  });
});
