import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { waitFor } from './engine.js';

/** Engines as real processes (`dist/src/cli/main.js start`, built by `pretest`), configured by environment. */

const packr = new Packr({ useRecords: false });

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** One engine process: restart it with the same environment after a kill. */
export interface EngineProcess {
  readonly prefix: string;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  child: ChildProcess;
}

/** Starts an engine on `port` with `env` on top of the environment; stderr goes to the test's. */
export function startEngineProcess(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['dist/src/cli/main.js', 'start'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function untilHealthy(p: EngineProcess): Promise<void> {
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${p.port}/healthz`).catch(() => undefined))?.ok === true,
    30_000,
    'engine up',
  );
}

/** A metric's value (no labels) from the engine's /metrics, NaN when absent or unreachable. */
export async function metricOf(p: EngineProcess, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${p.port}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

/** Every lifecycle event a consumer saw, by idempotency key; `conflicts` lists keys seen with two payloads. */
export function recordLifecycle(
  nc: NatsConnection,
  prefix: string,
): { seen: Map<string, string>; conflicts: string[] } {
  const seen = new Map<string, string>();
  const conflicts: string[] = [];
  for (const subject of [`${prefix}.segments.>`, `${prefix}.stages.>`]) {
    nc.subscribe(subject, {
      callback: (_err, m) => {
        // Requests share the prefix (`<prefix>.segments.list`): they carry a reply subject, events do not.
        if (m.reply !== undefined && m.reply !== '') return;
        const e = packr.unpack(m.data) as { idempotencyKey: string };
        const json = JSON.stringify(e);
        const prior = seen.get(e.idempotencyKey);
        if (prior !== undefined && prior !== json) conflicts.push(e.idempotencyKey);
        seen.set(e.idempotencyKey, json);
      },
    });
  }
  return { seen, conflicts };
}

/** A customer's profile without `seq` (which counts from each engine's start time). */
export async function profileOf(nc: NatsConnection, prefix: string, customerId: string): Promise<unknown> {
  const r = await nc.request(`${prefix}.customers.get`, JSON.stringify({ customerId }), { timeout: 5_000 });
  const body = JSON.parse(new TextDecoder().decode(r.data)) as Record<string, unknown>;
  delete body['seq'];
  return body;
}

/** Waits until the sizes `sizes()` gives stay the same over two seconds. */
export async function untilQuiet(sizes: () => string): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const now = sizes();
      const quiet = now === last;
      last = now;
      if (!quiet) await new Promise((r) => setTimeout(r, 2_000));
      return quiet;
    },
    60_000,
    'quiet',
  );
}

/** Waits until the customer's profile at each prefix reflects an event at `ts` (every engine applied it). */
export async function untilCaughtUp(
  nc: NatsConnection,
  prefixes: readonly string[],
  last: { readonly customerId: string; readonly ts: number },
): Promise<void> {
  for (const prefix of prefixes) {
    await waitFor(
      async () => {
        const body = (await profileOf(nc, prefix, last.customerId).catch(() => ({}))) as {
          eventTime?: number;
        };
        return (body.eventTime ?? 0) >= last.ts;
      },
      60_000,
      `${prefix} caught up`,
    );
  }
}
