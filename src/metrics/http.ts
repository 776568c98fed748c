import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { ReadinessReport } from './readiness.js';

/** What the health endpoints report. */
export interface HealthSource {
  /** Liveness: false only when the engine has failed. */
  live(): boolean;
  /**
   * Readiness: connected, consuming, caught up, not stalled, dead letters storable; otherwise the reasons it is
   * not (see createReadiness). `/readyz` answers it as JSON, 200 when ready, else 503.
   */
  readiness(): ReadinessReport;
}

/** A running metrics/health HTTP server. */
export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text format from `registry`), `/healthz` and `/readyz` (JSON bodies; 200 or 503).
 */
export async function startOpsServer(
  registry: Registry,
  health: HealthSource,
  host: string,
  port: number,
): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    if (path === '/healthz') {
      const live = health.live();
      res.writeHead(live ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ live }));
      return;
    }
    if (path === '/readyz') {
      const r = health.readiness();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
