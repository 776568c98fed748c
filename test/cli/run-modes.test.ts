import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readlinkSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeMulti } from '@msgpack/msgpack';
import { jetstreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { Value } from '@sinclair/typebox/value';
import { startChurnflow, type Churnflow } from '../../src/cli/start.js';
import { runSimulate } from '../../src/cli/simulate.js';
import { loadConfig } from '../../src/config/index.js';
import { CustomerEventSchema, type CustomerEvent } from '../../src/contract/event.js';
import { ScoreUpdateSchema, type ScoreUpdate } from '../../src/contract/score-update.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { writeEventFile } from '../../src/ingest/event-file.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { readJsonLines } from './files.js';

const DAY = 86_400_000;
const silent = pino({ level: 'silent' });
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'churnflow-run-modes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A configuration as `churnflow start` builds it, with the keys the test engines always set. */
function config(overrides: Record<string, unknown>) {
  return loadConfig({
    env: {},
    overrides: {
      'http.host': '127.0.0.1',
      'http.port': 0,
      'log.level': 'silent',
      'log.summaryEveryMs': 0,
      ...overrides,
    },
  });
}

/** Resolves to how `p` settled, or 'timeout' after `ms` (the timer does not outlive the race). */
async function within(p: Promise<unknown>, ms: number): Promise<'ended' | 'failed' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([
      p.then(
        () => 'ended' as const,
        () => 'failed' as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The files this process holds open (Linux /proc). */
function openFiles(): string[] {
  const fds = '/proc/self/fd';
  return readdirSync(fds).flatMap((fd) => {
    try {
      return [readlinkSync(path.join(fds, fd))];
    } catch {
      return [];
    }
  });
}

async function readyStatus(app: Churnflow): Promise<number | 'closed'> {
  return fetch(`http://127.0.0.1:${app.opsPort}/readyz`).then(
    (r) => r.status,
    () => 'closed' as const,
  );
}

/** Checks what consumers rely on in a score-update file: the schema and a rising seq per customer. */
function expectValidUpdates(updates: unknown[]): ScoreUpdate[] {
  const lastSeq = new Map<string, number>();
  for (const u of updates) {
    expect(Value.Errors(ScoreUpdateSchema, u).First()).toBeUndefined();
    const { customerId, seq } = u as ScoreUpdate;
    expect(seq).toBeGreaterThan(lastSeq.get(customerId) ?? 0);
    lastSeq.set(customerId, seq);
  }
  return updates as ScoreUpdate[];
}

describe('source file, sink file', () => {
  it('replays an event file to its end, writes score updates and dead-letters the corrupt line, then stops', async () => {
    const input = path.join(dir, 'events.jsonl');
    const output = path.join(dir, 'file-scores.jsonl');
    const now = Date.now();
    const events: CustomerEvent[] = [
      { customerId: 'ann@example.com', type: 'signup', ts: now - 40 * DAY },
      { customerId: 'ann@example.com', type: 'purchase', ts: now - 30 * DAY, value: 120 },
      { customerId: 'ann@example.com', type: 'purchase', ts: now - 3 * DAY, value: 80 },
      { customerId: 'bob.smith', type: 'page_view', ts: now - DAY },
      { customerId: 'bob.smith', type: 'cart_add', ts: now - DAY + 1000 },
      { customerId: 'carol', type: 'purchase', ts: now - 5 * DAY, value: 15 },
    ];
    await writeEventFile(input, events);
    const corrupt = '{"customerId":"dave","type":"purchase","ts":';
    const lines = (await readFile(input, 'utf8')).split('\n');
    lines.splice(3, 0, corrupt);
    await writeFile(input, lines.join('\n'));

    const app = await startChurnflow(
      config({ source: 'file', sink: 'file', 'ingest.file': input, 'publish.file': output }),
      silent,
    );
    try {
      expect(app.runtime.mode).toBe('file');
      // The engine ends by itself when the file ends: no stop() needed to get here.
      expect(await within(app.engine.done, 20_000)).toBe('ended');
    } finally {
      await app.stop();
    }
    expect(app.engine.state).toBe('stopped');
    expect(app.engine.totals.events).toBe(events.length);
    expect(app.engine.totals.deadLetters).toBe(1);

    const updates = expectValidUpdates(await readJsonLines(output));
    expect(new Set(updates.map((u) => u.customerId))).toEqual(
      new Set(['ann@example.com', 'bob.smith', 'carol']),
    );
    expect(updates).toHaveLength(app.engine.totals.scoreUpdates);

    const dlq = (await readJsonLines(`${output}.dlq.jsonl`)) as Array<{ reason: string; data: string }>;
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.reason).toBe('undecodable');
    expect(Buffer.from(dlq[0]?.data ?? '', 'base64').toString('utf8')).toBe(corrupt);
  }, 30_000);
});

describe('source simulator, sink file (in process)', () => {
  it('scores simulated traffic into the file and drains it all on stop', async () => {
    const output = path.join(dir, 'sim-scores.jsonl');
    const app = await startChurnflow(
      config({
        source: 'simulator',
        sink: 'file',
        'publish.file': output,
        'simulator.customers': 200,
        'simulator.historyDays': 3,
        'simulator.ratePerSec': 500,
      }),
      silent,
    );
    let stopped = false;
    try {
      expect(app.runtime.mode).toBe('in-process');
      await waitFor(
        async () => existsSync(output) && (await readFile(output, 'utf8')).includes('\n'),
        10_000,
        'score updates in the output file',
      );
      expect(await readyStatus(app)).toBe(200);
      const t0 = Date.now();
      await app.stop();
      stopped = true;
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      if (!stopped) await app.stop();
    }
    expect(app.engine.state).toBe('stopped');
    expect(app.engine.totals.events).toBeGreaterThan(0);
    expect(app.engine.totals.deadLetters).toBe(0);
    expect(await readyStatus(app)).toBe('closed');

    // Drained: every update the engine counted is in the file, whole, when stop() resolves.
    const updates = expectValidUpdates(await readJsonLines(output));
    expect(updates.length).toBe(app.engine.totals.scoreUpdates);
    expect(new Set(updates.map((u) => u.customerId)).size).toBeGreaterThan(1);
    // ...and the output files are closed.
    expect(openFiles().filter((f) => f.startsWith(output))).toEqual([]);
  }, 30_000);
});

describe('source nats: graceful drain', () => {
  let fx: NatsFixture;
  beforeAll(async () => {
    fx = await natsFixture();
  });
  afterAll(async () => fx[Symbol.asyncDispose]());

  it('stopped while consuming: readyz turns 503, every applied event is acked, the rest stays in the stream', async () => {
    const cfg = testConfig(fx.server.url);
    const app = await startTestEngine(cfg);
    let stopped = false;
    try {
      await waitFor(async () => (await readyStatus(app)) === 200, 10_000, 'ready');
      const packr = new Packr({ useRecords: false });
      const now = Date.now();
      const published = 20_000;
      for (let i = 0; i < published; i++) {
        const e: CustomerEvent = { customerId: `c${i % 300}`, type: 'page_view', ts: now - DAY + i };
        fx.nc.publish(eventSubject(cfg.ingest.subjectPrefix, e.customerId, e.type), packr.pack(e));
      }
      await fx.nc.flush();
      // Stop the moment the engine is busy with them: some applied, some in flight, some not pulled yet.
      const busyBy = Date.now() + 10_000;
      while (app.engine.totals.events === 0 && Date.now() < busyBy) await nextTurn();
      expect(app.engine.totals.events).toBeGreaterThan(0);

      const stopping = app.stop();
      expect([503, 'closed']).toContain(await readyStatus(app));
      await stopping;
      stopped = true;
      expect(app.engine.state).toBe('stopped');

      const jsm = await jetstreamManager(fx.nc);
      await waitFor(
        async () => (await jsm.streams.info(cfg.nats.stream)).state.messages === published,
        5_000,
        'every event stored',
      );
      const applied = app.engine.totals.events;
      const consumer = await jsm.consumers.info(cfg.nats.stream, cfg.nats.consumer);
      // Events are valid and stream-ordered, so "applied" = the first `applied` stream sequences.
      expect(consumer.ack_floor.stream_seq).toBe(applied);
      expect(applied + consumer.num_ack_pending + consumer.num_pending).toBe(published);
      expect(app.engine.totals.deadLetters).toBe(0);
    } finally {
      if (!stopped) await app.stop();
    }
  }, 30_000);
});

describe('churnflow simulate --out', () => {
  async function simulateTo(out: string): Promise<number> {
    const level = process.env['CHURNFLOW_LOG_LEVEL'];
    process.env['CHURNFLOW_LOG_LEVEL'] = 'silent';
    try {
      return await runSimulate({
        customers: 50,
        historyDays: 5,
        rate: 100,
        liveSeconds: 0,
        seed: 7,
        prefix: 'events',
        stream: 'EVENTS',
        out,
      });
    } finally {
      if (level === undefined) delete process.env['CHURNFLOW_LOG_LEVEL'];
      else process.env['CHURNFLOW_LOG_LEVEL'] = level;
    }
  }

  function expectValidEvents(events: unknown[], since: number): void {
    expect(events.length).toBeGreaterThan(50);
    const customers = new Set<string>();
    for (const e of events) {
      expect(Value.Errors(CustomerEventSchema, e).First()).toBeUndefined();
      const { customerId, ts } = e as CustomerEvent;
      customers.add(customerId);
      expect(ts).toBeGreaterThanOrEqual(since - 5 * DAY);
      expect(ts).toBeLessThanOrEqual(Date.now());
    }
    expect(customers.size).toBeGreaterThan(1);
    expect(customers.size).toBeLessThanOrEqual(50);
  }

  it('writes a JSONL event file whose every line is a valid CustomerEvent', async () => {
    const out = path.join(dir, 'simulated.jsonl');
    const since = Date.now();
    expect(await simulateTo(out)).toBe(0);
    expect(existsSync(out)).toBe(true);
    expectValidEvents(await readJsonLines(out), since);
  });

  it('writes a MessagePack event file that an independent decoder reads as valid CustomerEvents', async () => {
    const out = path.join(dir, 'simulated.msgpack');
    const since = Date.now();
    expect(await simulateTo(out)).toBe(0);
    expectValidEvents([...decodeMulti(await readFile(out))], since);
  });
});
