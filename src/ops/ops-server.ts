// Health and metrics for Kubernetes and Prometheus, on their own port in both Slack modes:
// /healthz (the process serves), /readyz (Slack answered auth.test and the cluster can be read),
// /metrics (Prometheus text format).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BotMetrics } from './metrics.js';

export type ReadinessCheck = () => Promise<{ readonly ok: boolean; readonly detail: string }>;

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
