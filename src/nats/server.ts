import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ChurnflowError } from '../contract/codes.js';

/** A private nats-server child process with JetStream, on loopback, storing in a temp directory. */
export interface EmbeddedNatsServer extends AsyncDisposable {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory (removed on stop). */
  readonly storeDir: string;
  /** The server's process id (benchmarks read its CPU time from /proc). */
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its store. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** The binary (default: `nats-server` on PATH, then /usr/sbin/nats-server). */
  readonly binary?: string;
  /** Port; 0 picks a free one (default 0). */
  readonly port?: number;
  /** How long to wait for the server to listen (default 10 s). */
  readonly startTimeoutMs?: number;
  /** Extra command-line arguments (e.g. `-c file.conf`). */
  readonly args?: readonly string[];
  /**
   * A nats-server configuration file's text (e.g. an `authorization { … }` block or `tls { … }`), written beside
   * the temp store (owner-only, removed on stop) and passed with `-c`. The launcher's own flags (loopback, port, JetStream store) still apply:
   * the server lets command-line flags override the file.
   */
  readonly config?: string;
}

const INSTALL_HINT = 'install it with `apt-get install nats-server` (Debian) or from https://nats.io';

/** The nats-server binary to use, or undefined when none is installed. */
export function findNatsServer(binary?: string): string | undefined {
  for (const candidate of binary === undefined ? ['nats-server', '/usr/sbin/nats-server'] : [binary]) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/**
 * Starts nats-server with JetStream on 127.0.0.1 and a fresh temp store; resolves once it accepts clients.
 * Throws {@link ChurnflowError} NATS_SERVER_UNAVAILABLE with an install hint when the binary is missing.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<EmbeddedNatsServer> {
  const binary = findNatsServer(opts.binary);
  if (binary === undefined) {
    throw new ChurnflowError('NATS_SERVER_UNAVAILABLE', `nats-server not found on PATH: ${INSTALL_HINT}`);
  }
  const storeDir = mkdtempSync(join(tmpdir(), 'churnflow-nats-'));
  const cleanups: (() => void)[] = [() => rmSync(storeDir, { recursive: true, force: true })];
  const cleanUp = (): void => cleanups.forEach((c) => c());
  // -p -1 lets the server pick a free port itself, so parallel test files never race for one.
  const port = opts.port === undefined || opts.port === 0 ? -1 : opts.port;
  const configArgs: string[] = [];
  if (opts.config !== undefined) {
    // Beside (not inside) the JetStream store, so the server never mistakes it for store content.
    const file = join(storeDir, '..', `${basename(storeDir)}.conf`);
    writeFileSync(file, opts.config, { mode: 0o600 });
    configArgs.push('-c', file);
    cleanups.push(() => rmSync(file, { force: true }));
  }
  const child = spawn(
    binary,
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...configArgs, ...(opts.args ?? [])],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group: a Ctrl-C meant for us must not kill the server before we have drained into it.
      detached: true,
    },
  );
  // ...but it must never outlive us, even when we exit without stopping it.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let actualPort: number;
  try {
    actualPort = await waitForListening(child, opts.startTimeoutMs ?? 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    cleanUp();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= terminate(child).then(cleanUp);
    return stopped;
  };
  return {
    url: `nats://127.0.0.1:${actualPort}`,
    port: actualPort,
    storeDir,
    pid: child.pid ?? -1,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Reads the server's log until it says where it listens for clients. */
function waitForListening(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(
        new ChurnflowError('NATS_SERVER_UNAVAILABLE', `nats-server ${why}; its log:\n${log.slice(-2000)}`),
      );
    };
    const onExit = (code: number | null): void => fail(`exited with code ${String(code)}`);
    child.once('exit', onExit);
    child.once('error', (err) => fail(`could not be spawned: ${err.message}`));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      log += chunk;
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      if (m !== null && log.includes('Server is ready')) {
        clearTimeout(timer);
        child.removeListener('exit', onExit);
        // Keep draining stderr so a chatty server never blocks on a full pipe.
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        resolve(Number(m[1]));
      }
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
