import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  nkeys,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ChurnflowError } from '../contract/codes.js';
import type { EngineMetrics } from '../metrics/index.js';

/** How to prove who we are to NATS: the `nats.auth` and `nats.tls` configuration sections. */
export type NatsAccess = Pick<Config['nats'], 'auth' | 'tls'>;

/** Options of {@link connectNats}. */
export interface NatsConnectionOptions {
  /** Comma-separated server URLs. */
  readonly servers: string;
  /** Connection name shown by the server. */
  readonly name: string;
  readonly log: Logger;
  readonly metrics?: EngineMetrics;
  /** Credentials and TLS (default: none, plain TCP). */
  readonly access?: NatsAccess;
  /** Told on every disconnect (false) and reconnect (true). */
  readonly onConnection?: (connected: boolean) => void;
  /**
   * Wait for the server on the first connect and reconnect forever (the engine, long runs). False: fail fast, as
   * a one-shot command should when the server is unreachable or refuses the credentials. @default true
   */
  readonly persistent?: boolean;
}

function unreadable(key: string, file: string, cause: unknown): ChurnflowError {
  return new ChurnflowError(
    'CONFIG_INVALID',
    `config key "${key}": cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { key, file },
    { cause },
  );
}

/** Reads a credential file now, so a wrong path fails at start naming its key instead of as a vague auth error. */
function readNow(key: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw unreadable(key, file, cause);
  }
}

function authenticator(auth: NatsAccess['auth']): Authenticator | undefined {
  if (auth.user !== '') return usernamePasswordAuthenticator(auth.user, auth.password);
  if (auth.token !== '') return tokenAuthenticator(auth.token);
  if (auth.nkeyFile !== '') {
    const file = auth.nkeyFile;
    const seed = (): Uint8Array =>
      new TextEncoder().encode(new TextDecoder().decode(readNow('nats.auth.nkeyFile', file)).trim());
    try {
      nkeys.fromSeed(seed());
    } catch (cause) {
      if (cause instanceof ChurnflowError) throw cause;
      throw new ChurnflowError(
        'CONFIG_INVALID',
        `config key "nats.auth.nkeyFile": ${file} does not hold an nkey seed`,
        { key: 'nats.auth.nkeyFile', file },
        { cause },
      );
    }
    // A function, not the bytes: the file is read again on every reconnect, so a rotated seed is picked up.
    return nkeyAuthenticator(seed);
  }
  if (auth.credsFile !== '') {
    const file = auth.credsFile;
    readNow('nats.auth.credsFile', file);
    return credsAuthenticator(() => readNow('nats.auth.credsFile', file));
  }
  return undefined;
}

/**
 * The connection options that carry credentials and TLS, built in this one place for the engine and every CLI
 * command. At most one credential kind is set (the config loader checks it). TLS files are checked now and passed
 * by path, so the client reads them again on every reconnect (certificate rotation needs no restart).
 * @throws ChurnflowError CONFIG_INVALID naming the key of a file that cannot be read or holds no nkey seed.
 */
export function natsAccessOptions(access: NatsAccess | undefined): Partial<ConnectionOptions> {
  if (access === undefined) return {};
  const out: Partial<ConnectionOptions> = {};
  const auth = authenticator(access.auth);
  if (auth !== undefined) out.authenticator = auth;
  const { tls } = access;
  if (tls.enabled || tls.caFile !== '' || tls.certFile !== '') {
    for (const [key, file] of [
      ['nats.tls.caFile', tls.caFile],
      ['nats.tls.certFile', tls.certFile],
      ['nats.tls.keyFile', tls.keyFile],
    ] as const) {
      if (file !== '') readNow(key, file);
    }
    // An empty object still means "TLS required": the client refuses a server that does not offer it.
    out.tls = {
      ...(tls.caFile === '' ? {} : { caFile: tls.caFile }),
      ...(tls.certFile === '' ? {} : { certFile: tls.certFile, keyFile: tls.keyFile }),
    };
  }
  return out;
}

/**
 * Connects with the credentials and TLS of `access` and the engine's resilience settings: reconnect forever (the
 * client's default gives up after about 20 s), wait on the first connect too (unless `persistent: false`), and
 * report every status change in the log and metrics.
 */
export async function connectNats(opts: NatsConnectionOptions): Promise<NatsConnection> {
  const persistent = opts.persistent ?? true;
  const nc = await connect({
    servers: opts.servers.split(',').map((s) => s.trim()),
    name: opts.name,
    // One-shot: no reconnect at all, so a refused TLS handshake fails now instead of after the 20 s connect timeout.
    ...(persistent ? { maxReconnectAttempts: -1, waitOnFirstConnect: true } : { reconnect: false }),
    reconnectTimeWait: 1_000,
    pingInterval: 10_000,
    ...natsAccessOptions(opts.access),
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
