// Health and metrics for Kubernetes and Prometheus, on their own port in both Slack modes:
// /healthz (the process serves), /readyz (Slack answered auth.test and the cluster can be read),
// /metrics (Prometheus text format).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelStatus } from '../snapshot/live/model.js';
import { STATUS_HEARTBEAT_MS } from '../snapshot/live/model-source.js';
import type { BotMetrics } from './metrics.js';

export type ReadinessCheck = () => Promise<{ readonly ok: boolean; readonly detail: string }>;

/** Three missed heartbeats: the model's thread is gone (or stuck), not merely late. */
const MODEL_STATUS_STALE_MS = 3 * STATUS_HEARTBEAT_MS;

/**
 * Ready once the watched model finished its first sync (answers before that would be incomplete);
 * after that it stays ready, and names any watch that is down (those answers carry a gap), as long as
 * the model keeps saying its status: a status older than `staleAfterMs` is a model that stopped.
 */
export function modelReadiness(
  status: () => (ModelStatus & { readonly at?: number }) | undefined,
  staleAfterMs = MODEL_STATUS_STALE_MS,
  now: () => number = Date.now,
): ReadinessCheck {
  return async () => {
    const current = status();
    if (!current)
      return { ok: false, detail: 'not ready: the cluster model is starting (first sync not begun)' };
    const age = current.at === undefined ? 0 : now() - current.at;
    if (age > staleAfterMs)
      return {
        ok: false,
        detail: `not ready: no status from the cluster model for ${Math.round(age / 1000)} s (over ${Math.round(staleAfterMs / 1000)} s): its thread stopped or hangs, answers and change alerts may be stale`,
      };
    if (!current.synced) {
      // A kind that keeps failing says why (a missing RBAC verb, an unreachable API server).
      const waiting = current.kinds
        .filter((k) => !k.synced)
        .map((k) => (k.gap ? `${k.name}: ${k.gap.reason}` : k.name));
      return {
        ok: false,
        detail: `not ready: the first sync of the cluster model is not complete (waiting for ${waiting.join(', ')})`,
      };
    }
    const down = current.kinds.filter((k) => !k.healthy).map((k) => k.name);
    return {
      ok: true,
      detail: down.length
        ? `cluster model synced; watches down (answers show a gap for them): ${down.join(', ')}`
        : 'cluster model synced; every watch is current',
    };
  };
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(
  port: number,
  metrics: BotMetrics,
  readiness: Record<string, ReadinessCheck>,
): Promise<OpsServer> {
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const results = Object.fromEntries(
        await Promise.all(
          Object.entries(readiness).map(async ([name, check]) => {
            try {
              return [name, await check()] as const;
            } catch (error) {
              return [name, { ok: false, detail: (error as Error).message }] as const;
            }
          }),
        ),
      );
      const ok = Object.values(results).every((r) => r.ok);
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(`${JSON.stringify({ ready: ok, checks: results })}\n`);
      return;
    }
    if (path === '/metrics') {
      res
        .writeHead(200, { 'content-type': metrics.registry.contentType })
        .end(await metrics.registry.metrics());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
