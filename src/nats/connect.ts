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
  /**
   * Persistent only: wait for the server on the first connect (the engine). False: a first connect that fails
   * rejects at once, but once connected the client reconnects forever (a long client run such as `simulate`).
   * @default true
   */
  readonly waitForServer?: boolean;
  /**
   * Persistent only: after this long without a first connection, say (warn) that it is waiting and keeps trying,
   * and say it again every `30 × waitNoticeMs` meanwhile. Milliseconds. @default 2000
   */
  readonly waitNoticeMs?: number;
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
  // Built first: an unreadable credential file is a configuration error now, not a wait for a server.
  const access = natsAccessOptions(opts.access);
  const wait = persistent && (opts.waitForServer ?? true);
  const waiting = wait ? waitNotice(opts) : undefined;
  const nc = await connect({
    servers: opts.servers.split(',').map((s) => s.trim()),
    name: opts.name,
    // One-shot: no reconnect at all, so a refused TLS handshake fails now instead of after the 20 s connect timeout.
    ...(persistent ? { maxReconnectAttempts: -1, waitOnFirstConnect: wait } : { reconnect: false }),
    reconnectTimeWait: 1_000,
    pingInterval: 10_000,
    ...access,
  }).finally(() => waiting?.stop());
  opts.metrics?.natsConnected.set(1);
  const waitedMs = waiting?.waitedMs();
  if (waitedMs === undefined) opts.log.info({ server: nc.getServer() }, 'connected to NATS');
  else opts.log.info({ server: nc.getServer(), waitedMs }, `connected to NATS after ${fmtSeconds(waitedMs)}`);
  void watchStatus(nc, opts);
  return nc;
}

/**
 * Says so when the first connection keeps failing: the client itself is silent until it connects, so without this
 * an engine started before its NATS server (a compose file, a pod) would look hung. `waitedMs` is undefined when
 * no notice was given (connected at once).
 */
function waitNotice(opts: NatsConnectionOptions): { stop(): void; waitedMs(): number | undefined } {
  const startMs = Date.now();
  const noticeMs = opts.waitNoticeMs ?? 2_000;
  let noticed = false;
  const say = (): void => {
    const waitedMs = Date.now() - startMs;
    const msg = noticed
      ? `still waiting for NATS at ${opts.servers} (${fmtSeconds(waitedMs)})`
      : `NATS at ${opts.servers} not reachable yet: waiting for it, retrying every second, forever`;
    opts.log.warn({ servers: opts.servers, waitedMs }, msg);
    noticed = true;
  };
  const first = setTimeout(say, noticeMs);
  const again = setInterval(say, noticeMs * 30);
  // Waiting alone must not keep a process alive that is otherwise done (a stopped engine, a test).
  first.unref();
  again.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(again);
    },
    waitedMs: () => (noticed ? Date.now() - startMs : undefined),
  };
}

function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
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
