import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { EngineMetrics } from '../metrics/index.js';

/** Options of {@link connectNats}. */
export interface NatsConnectionOptions {
  /** Comma-separated server URLs. */
  readonly servers: string;
  /** Connection name shown by the server. */
  readonly name: string;
  readonly log: Logger;
  readonly metrics?: EngineMetrics;
  /** Told on every disconnect (false) and reconnect (true). */
  readonly onConnection?: (connected: boolean) => void;
}

/**
 * Connects with the engine's resilience settings: reconnect forever (the client's default gives up after about
 * 20 s), wait on the first connect too, and report every status change in the log and metrics.
 */
export async function connectNats(opts: NatsConnectionOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: opts.servers.split(',').map((s) => s.trim()),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
  });
  opts.metrics?.natsConnected.set(1);
  opts.log.info({ server: nc.getServer() }, 'connected to NATS');
  void watchStatus(nc, opts);
  return nc;
}

async function watchStatus(nc: NatsConnection, opts: NatsConnectionOptions): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
        opts.metrics?.natsConnected.set(0);
        opts.onConnection?.(false);
        opts.metrics?.natsIncidents.inc({ kind: 'disconnect' });
        opts.log.warn({ server: s.server }, 'disconnected from NATS; reconnecting');
        break;
      case 'reconnect':
        opts.metrics?.natsConnected.set(1);
        opts.onConnection?.(true);
        opts.metrics?.natsIncidents.inc({ kind: 'reconnect' });
        opts.log.info({ server: s.server }, 'reconnected to NATS');
        break;
      case 'error':
        opts.metrics?.natsIncidents.inc({ kind: 'error' });
        opts.log.error({ err: s.error }, 'NATS connection error');
        break;
      case 'slowConsumer':
        opts.metrics?.natsIncidents.inc({ kind: 'slow_consumer' });
        opts.log.warn({ sub: s.sub.getSubject() }, 'NATS slow consumer');
        break;
      default:
        break;
    }
  }
}
