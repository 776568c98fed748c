import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startNatsServer, type EmbeddedNatsServer } from '../../src/nats/index.js';
import { waitFor } from '../helpers/engine.js';
import { freePort } from '../helpers/engine-process.js';
import { uniqueName } from '../helpers/nats.js';
import { CLI, runCli, SERVICE_LINKS, spawnOnTty, untilOutput } from './cli-process.js';

// `churnflow start` as a process (`npm run build` first): waiting for NATS, and what a terminal shows.

// Engines first, then servers: an engine whose server went first would drain into a reconnect loop.
const engines: ChildProcess[] = [];
const servers: EmbeddedNatsServer[] = [];
afterEach(async () => {
  for (const child of engines.splice(0)) await stopped(child);
  for (const server of servers.splice(0)) await server.stop();
});

/** SIGTERM (an orderly drain), SIGKILL if that takes over 20 s. */
function stopped(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((r) => child.once('close', r).kill('SIGTERM')).finally(() => clearTimeout(killer));
}

/** An engine's environment: its own stream and consumer, the ops server on `opsPort`, no summary lines. */
function engineEnv(natsUrl: string, opsPort: number): NodeJS.ProcessEnv {
  return {
    NATS_URL: natsUrl,
    CHURNFLOW_NATS_STREAM: uniqueName('START'),
    CHURNFLOW_NATS_CONSUMER: uniqueName('start').toLowerCase(),
    CHURNFLOW_PUBLISH_DEAD_LETTER_STREAM: uniqueName('DLQ'),
    CHURNFLOW_HTTP_HOST: '127.0.0.1',
    CHURNFLOW_HTTP_PORT: String(opsPort),
    CHURNFLOW_LOG_SUMMARY_EVERY_MS: '0',
  };
}

/** The escape that starts an ANSI colour sequence. */
const ESC = '\u001b';

const status = (port: number, path: string): Promise<number> =>
  fetch(`http://127.0.0.1:${port}${path}`).then(
    (r) => r.status,
    () => 0,
  );

async function natsServer(port?: number): Promise<EmbeddedNatsServer> {
  const server = await startNatsServer(port === undefined ? {} : { port });
  servers.push(server);
  return server;
}

describe('churnflow start', () => {
  it('waits for an unreachable NATS server, saying so, /readyz 503 meanwhile, and becomes ready when it comes', async () => {
    const natsPort = await freePort();
    const opsPort = await freePort();
    const child = spawn(process.execPath, [CLI, 'start'], {
      // Service links of a Kubernetes namespace come along: they must not stop start-up either.
      env: { ...process.env, ...SERVICE_LINKS, ...engineEnv(`nats://127.0.0.1:${natsPort}`, opsPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    engines.push(child);
    // Off a terminal the log stays JSON: the waiting notice is a warn line a collector can match.
    const out = await untilOutput(child, /not reachable yet/, 60_000);
    const notice = out
      .split('\n')
      .filter((l) => l.includes('not reachable yet'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; servers: string })[0];
    expect(notice).toMatchObject({ level: 40, servers: `nats://127.0.0.1:${natsPort}` });
    expect(notice?.msg).toContain('waiting for it');
    expect(await status(opsPort, '/healthz')).toBe(200);
    expect(await status(opsPort, '/readyz')).toBe(503);
    expect(child.exitCode).toBeNull();

    await natsServer(natsPort);
    await waitFor(async () => (await status(opsPort, '/readyz')) === 200, 60_000, 'ready once NATS is up');
  }, 180_000);

  it('on a terminal prints a readable start-up (server, ops port, a watch command) in colour, none with NO_COLOR', async () => {
    for (const noColor of [false, true]) {
      // A server each: engines of both runs would claim the same event subjects with their own streams.
      const server = await natsServer();
      const opsPort = await freePort();
      const env = { ...engineEnv(server.url, opsPort), ...(noColor ? { NO_COLOR: '1' } : {}) };
      const child = spawnOnTty(['start'], env);
      engines.push(child);
      const screen = await untilOutput(child, /Ctrl-C/, 60_000);
      const plain = screen.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '');
      expect(plain).toMatch(/churnflow \d+\.\d+\.\d+ running/);
      expect(plain).toMatch(new RegExp(`NATS +${server.url}`));
      expect(plain).toContain(`http://127.0.0.1:${opsPort}/metrics`);
      expect(plain).toContain(`nats sub -s ${server.url} 'churnflow.scores.>'`);
      // Log lines are text, not pino's JSON.
      expect(plain).toMatch(/\d\d:\d\d:\d\d INFO +connected to NATS/);
      expect(screen).not.toContain('{"level"');
      expect(screen.includes(`${ESC}[`)).toBe(!noColor);
    }
  }, 180_000);
});

describe('churnflow simulate --out', () => {
  it('shows a progress bar on a terminal and none off it', async () => {
    const file = `/tmp/${uniqueName('sim')}.jsonl`;
    const args = ['simulate', '--out', file, '--customers', '50', '--history-days', '5'];
    const onTty = spawnOnTty(args);
    const screen = await untilOutput(onTty, /event file written/, 60_000);
    expect(screen).toMatch(/simulating .* 5\/5 days \| \d+ events/);
    const piped = await runCli(args);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('simulating');
    await import('node:fs/promises').then((fs) => fs.rm(file, { force: true }));
  }, 120_000);
});
