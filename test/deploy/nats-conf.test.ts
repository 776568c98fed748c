import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOfToken } from '../../src/partitions/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = `${ROOT}deploy/nats/ensure-event-stream.mjs`;
const conf = readFileSync(`${ROOT}deploy/nats/nats.conf`, 'utf8');
const P = Number(/partition\((\d+),1\)/.exec(conf)?.[1]);

/**
 * The compose stack's NATS set-up on a real nats-server: the shipped deploy/nats/nats.conf, and the nats-setup job's
 * script creating the event stream. Two local changes only: the launcher's loopback port and temp store (nats-server
 * refuses `-sd` beside a `store_dir` of the file, so that line is dropped), and a free monitoring port (`-m -1`)
 * instead of the file's 8222.
 */
let fx: NatsFixture;
beforeAll(async () => {
  const local = conf.replace(/^\s*store_dir:.*$/m, '');
  fx = await natsFixture({ server: { config: local, args: ['-m', '-1'] } });
});
afterAll(async () => {
  await fx[Symbol.asyncDispose]();
});

function runSetup(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  if (!existsSync(`${ROOT}dist/src/ingest/index.js`)) {
    throw new Error('the set-up script runs the built engine code: run `npm run build` first');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

describe('deploy/nats (the compose stack on a real nats-server)', () => {
  it('stores plain event subjects in their customer’s partition once the set-up job made the stream', async () => {
    const stream = uniqueName('EVENTS');
    const env = { NATS_URL: fx.server.url, CHURNFLOW_NATS_STREAM: stream };
    const first = await runSetup(env);
    expect(first, first.out).toMatchObject({ code: 0 });
    // Run again, as `docker compose up` does on every start: the stream is kept, not refused.
    expect((await runSetup(env)).code).toBe(0);

    const jsm = await jetstreamManager(fx.nc);
    expect((await jsm.streams.info(stream)).config.subjects).toEqual(['pevents.>']);
    const js = jetstream(fx.nc);
    const customers = Array.from({ length: 40 }, (_, i) => `c-${String(i).padStart(6, '0')}`);
    for (const c of customers) await js.publish(`events.${c}.purchase`, new Uint8Array([1]));
    const stored: string[] = [];
    for (let seq = 1; seq <= customers.length; seq++) {
      const msg = await jsm.streams.getMessage(stream, { seq });
      stored.push(msg?.subject ?? `missing seq ${seq}`);
    }
    expect(stored).toEqual(customers.map((c) => `pevents.${partitionOfToken(c, P)}.${c}.purchase`));
    // Forty customers over four partitions: the mapping really spreads them.
    expect(new Set(stored.map((s) => s.split('.')[1])).size).toBe(P);
  });

  it('fails loudly when the server cannot be reached', async () => {
    const res = await runSetup({ NATS_URL: 'nats://127.0.0.1:1', CHURNFLOW_NATS_STREAM: 'X' });
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/cannot set up stream X/);
  });
});
