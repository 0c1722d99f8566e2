import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildDigest } from '../../src/digest/build-digest.js';
import { plaintextSources } from '../../src/digest/prometheus.js';
import { scheduleDigests } from '../../src/slack/digest-scheduler.js';
import { buildDigestMessage } from '../../src/slack/digest-service.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { app, namespace, snapshotOf } from '../helpers/mesh.js';

afterEach(() => vi.useRealTimers());

describe('digest scheduler', () => {
  it('fires at the cron time in its time zone, and only one of two replicas posts', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-30T07:59:00Z')); // 08:59 in Berlin
    const store = new SqliteStore(':memory:');
    const posts: string[] = [];
    const replicas = ['pod-a', 'pod-b'].map((holder) =>
      scheduleDigests([{ channel: 'C0DIGEST', cron: '0 9 * * *', timezone: 'Europe/Berlin' }], {
        store,
        holder,
        post: async (channel) => {
          posts.push(`${holder}:${channel}`);
        },
      }),
    );
    await vi.advanceTimersByTimeAsync(30_000);
    expect(posts).toEqual([]);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatch(/^pod-[ab]:C0DIGEST$/);
    await vi.advanceTimersByTimeAsync(24 * 3600_000);
    expect(posts).toHaveLength(2);
    for (const r of replicas) r.stop();
    store.close();
    // A simulated day of croner's timers: seconds of work on a loaded 2-core machine.
  }, 30_000);
});

describe('readiness for STRICT from Prometheus', () => {
  let server: ReturnType<typeof createServer> | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function prometheus(handler: (query: string) => unknown): Promise<string> {
    const fake = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(handler(query)));
    });
    server = fake;
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  }

  it('queries istio_requests_total and TCP connections without mutual_tls, as the server reports them', async () => {
    let seen = '';
    const url = await prometheus((query) => {
      seen = query;
      return {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            {
              metric: { source_workload: 'batch', source_workload_namespace: 'legacy' },
              value: [1764403200, '0.25'],
            },
            {
              metric: { source_workload: 'idle', source_workload_namespace: 'legacy' },
              value: [1764403200, '0'],
            },
          ],
        },
      };
    });
    const result = await plaintextSources(url, 'shop');
    expect(result).toEqual({ ok: true, sources: [{ workload: 'batch', namespace: 'legacy', rate: 0.25 }] });
    expect(seen).toContain(
      'istio_requests_total{reporter="destination",destination_workload_namespace="shop",connection_security_policy!="mutual_tls"}',
    );
    expect(seen).toContain('istio_tcp_connections_opened_total');
  });

  it('the digest names the clients seen sending plaintext to a namespace ready for STRICT', async () => {
    const url = await prometheus(() => ({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { source_workload: 'batch', source_workload_namespace: 'legacy' }, value: [0, '1.5'] },
        ],
      },
    }));
    const snapshot = snapshotOf(
      namespace('shop') + app('shop', 'cart') + namespace('legacy', 'none') + app('legacy', 'batch'),
    );
    const posture = buildDigest(snapshot, new Date()).posture;
    const { digest } = await buildDigestMessage(posture, new SqliteStore(':memory:'), {
      channel: 'C0DIGEST',
      save: false,
      prometheusUrl: url,
    });
    const shop = digest.posture.namespaces.find((n) => n.namespace === 'shop');
    expect(shop?.nextStep).toContain('seen sending plaintext in the last day: legacy/batch (1.50/s)');
  });

  it('a Prometheus that fails says so instead of claiming no plaintext', async () => {
    const url = await prometheus(() => ({ status: 'error', error: 'parse error at char 12' }));
    expect(await plaintextSources(url, 'shop')).toEqual({
      ok: false,
      reason: 'Prometheus query failed: parse error at char 12',
    });
  });
});
