/**
 * Hostile input end to end, through a real nats-server: the poison message of the outside tester's report, a
 * flood of more than ten thousand hostile messages of every kind interleaved with valid events, and the
 * dead-letter stream deleted while running. Every hostile message must be dead-lettered exactly once with a
 * reason, every valid event applied, and the pipeline must never stand still for a second.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { jetstream, jetstreamManager, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { DLQ_REASONS } from '../../src/contract/codes.js';
import { DeadLetterHeaders } from '../../src/contract/score-update.js';
import { eventSubject } from '../../src/contract/subjects.js';
import type { Churnflow } from '../../src/cli/start.js';
import { hostileMessageArb, type HostileMessage } from '../contract/hostile-arbitraries.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const POISON_BYTES = 1_048_576;

let fx: NatsFixture;
let js: JetStreamClient;
beforeAll(async () => {
  fx = await natsFixture();
  js = jetstream(fx.nc);
});
afterAll(async () => fx[Symbol.asyncDispose]());

interface Outbound {
  readonly hostile: boolean;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly contentType?: string;
}

const keyOf = (subject: string, data: Uint8Array) =>
  `${subject}|${createHash('sha1').update(data).digest('hex')}`;

/** A valid event for customer v<i>, a purchase every fourth. */
function valid(prefix: string, i: number, nowMs: number): Outbound {
  const customerId = `v${i % 997}`;
  const event =
    i % 4 === 0
      ? { customerId, type: 'purchase', ts: nowMs - 60_000 + i, value: 5 + (i % 50), channel: 'web' }
      : { customerId, type: 'page_view', ts: nowMs - 60_000 + i };
  return { hostile: false, subject: eventSubject(prefix, customerId, event.type), data: packr.pack(event) };
}

/** Core-publishes in order (one connection keeps the order), as a producer without JetStream would. */
async function publishAll(messages: readonly Outbound[]): Promise<void> {
  const { headers } = await import('@nats-io/transport-node');
  for (const m of messages) {
    if (m.contentType === undefined) fx.nc.publish(m.subject, m.data);
    else {
      const h = headers();
      h.set('Content-Type', m.contentType);
      fx.nc.publish(m.subject, m.data, { headers: h });
    }
  }
  await fx.nc.flush();
}

/** Every message of a stream, oldest first (an ordered consumer). */
async function readStream(stream: string): Promise<JsMsg[]> {
  const jsm = await jetstreamManager(fx.nc);
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return [];
  const out: JsMsg[] = [];
  const messages = await (await js.consumers.get(stream)).consume();
  for await (const m of messages) {
    out.push(m);
    if (m.seq >= state.last_seq) break;
  }
  return out;
}

/**
 * Longest the engine may go without progress. A stall lasts longer: a batch waiting for its redelivery (ackWait,
 * 30 s) or dead letters backing off through their retries (250 ms doubling: 3.75 s by the fifth try). A loaded
 * machine, on the other hand, pauses the engine for up to ~1.7 s (measured in CI with the suite's other files
 * running: collecting megabyte payloads, creating a file-backed stream on a busy disk), so 1 s flaked.
 */
const MAX_PAUSE_MS = 3_000;

/** Samples the engine's progress every 10 ms; `maxGapMs()` is the longest stretch without any. */
function watchProgress(app: Churnflow) {
  const changes: number[] = [];
  let last = -1;
  const timer = setInterval(() => {
    const now = app.engine.totals.events + app.engine.totals.deadLetters;
    if (now !== last) changes.push(Date.now());
    last = now;
  }, 10);
  return {
    stop: () => clearInterval(timer),
    maxGapMs: () => Math.max(0, ...changes.slice(1).map((t, i) => t - changes[i]!)),
  };
}

/**
 * Publishes the messages, waits until the engine has applied `validTotal` events and refused `deadTotal`, then
 * checks the dead-letter stream: each hostile message stored exactly once with a documented reason, no valid one.
 * Returns the longest pause in progress, in ms.
 */
async function runAndCheck(
  app: Churnflow,
  config: Config,
  messages: readonly Outbound[],
  totals: { valid: number; dead: number },
) {
  const progress = watchProgress(app);
  await publishAll(messages);
  await waitFor(
    () => app.engine.totals.events >= totals.valid && app.engine.totals.deadLetters >= totals.dead,
    // Well inside the test's own timeout, so a stall fails with the counts below rather than a bare time-out.
    20_000,
    `${totals.valid} applied and ${totals.dead} dead-lettered (at ${app.engine.totals.events} and ${app.engine.totals.deadLetters})`,
  );
  progress.stop();
  expect(app.engine.totals.events).toBe(totals.valid);
  expect(app.engine.totals.deadLetters).toBe(totals.dead);

  // Which stream sequence holds which message: read the event stream back.
  const kinds = new Map(messages.map((m) => [keyOf(m.subject, m.data), m.hostile]));
  const hostileSeqs = new Set<number>();
  for (const m of await readStream(config.nats.stream)) {
    const hostile = kinds.get(keyOf(m.subject, m.data));
    if (hostile === undefined) continue; // the engine's own clock ticks, or an earlier phase
    if (hostile) hostileSeqs.add(m.seq);
  }
  const dead = new Map<number, number>();
  for (const d of await readStream(config.publish.deadLetterStream)) {
    const seq = Number(d.headers!.get(DeadLetterHeaders.streamSeq));
    dead.set(seq, (dead.get(seq) ?? 0) + 1);
    expect(Object.hasOwn(DLQ_REASONS, d.headers!.get(DeadLetterHeaders.reason))).toBe(true);
  }
  return { hostileSeqs, dead, maxGapMs: progress.maxGapMs() };
}

type Config = ReturnType<typeof testConfig>;
const start = (config: Config) => startTestEngine(config);

describe('hostile input end to end', () => {
  it('a 1,048,576-byte poison, then 2,000 valid events: all applied, the poison stored truncated, also after a restart', async () => {
    // Without snapshots, so the restart replays the stream, poison included (a restored one would skip it).
    const config = testConfig(fx.server.url, { 'health.pollIntervalMs': 100, 'snapshot.enabled': false });
    const prefix = config.ingest.subjectPrefix;
    const now = Date.now();
    const poison: Outbound = {
      hostile: true,
      subject: `${prefix}.big.page_view`,
      data: new Uint8Array(POISON_BYTES).fill(0x61),
    };
    const messages = [poison, ...Array.from({ length: 2_000 }, (_, i) => valid(prefix, i, now))];
    let app = await start(config);
    try {
      const run = await runAndCheck(app, config, messages, { valid: 2_000, dead: 1 });
      expect([...run.dead.values()]).toEqual([1]);
      const jsm = await jetstreamManager(fx.nc);
      const stored = (await jsm.streams.getMessage(config.publish.deadLetterStream, { seq: 1 }))!;
      expect(stored.header.get(DeadLetterHeaders.reason)).toBe('payload_too_large');
      expect(stored.header.get(DeadLetterHeaders.truncated)).toBe('true');
      expect(stored.header.get(DeadLetterHeaders.originalSize)).toBe(String(POISON_BYTES));
      await waitFor(async () => (await fetch(`http://127.0.0.1:${app.opsPort}/readyz`)).ok, 10_000, 'ready');

      // A drain (SIGTERM) is quick, and a restart replays past the same message without stalling.
      const t0 = Date.now();
      await app.stop();
      expect(Date.now() - t0).toBeLessThan(5_000);
      app = await start(config);
      await waitFor(() => app.engine.totals.events === 2_000, 15_000, 'replay after restart');
      expect(app.engine.totals.deadLetters).toBe(1);
      expect((await jsm.streams.info(config.publish.deadLetterStream)).state.messages).toBe(1);
    } finally {
      await app.stop();
    }
  });

  it('more than 10,000 hostile messages of every kind among valid events: each refused once, each valid applied, no stall', async () => {
    const config = testConfig(fx.server.url, { 'health.pollIntervalMs': 200 });
    const prefix = config.ingest.subjectPrefix;
    const now = Date.now();
    const maxPayload = fx.nc.info!.max_payload;
    const drawn: HostileMessage[] = fc.sample(
      hostileMessageArb({
        prefix,
        nowMs: now,
        maxPayloadBytes: config.ingest.maxPayloadBytes,
        maxDepth: 8_000,
        maxStringLength: 4_000,
      }),
      { numRuns: 10_000, seed: 8 },
    );
    // Near max_payload: the dead letter of each needs truncating; and the exact poison of the report.
    const nearMax = Array.from({ length: 12 }, (_, i) => ({
      hostile: true,
      subject: `${prefix}.big${i}.page_view`,
      data: new Uint8Array(maxPayload - i * 37).fill(0x30 + i),
    }));
    const hostile: Outbound[] = [
      ...drawn.map((h) => ({ ...h, hostile: true })),
      ...nearMax,
      { hostile: true, subject: `${prefix}.big.page_view`, data: new Uint8Array(POISON_BYTES).fill(0x62) },
    ];
    // Interleaved: a valid event after every second hostile message, in a shuffled order of kinds.
    const shuffled = fc.sample(fc.shuffledSubarray(hostile, { minLength: hostile.length }), {
      numRuns: 1,
      seed: 3,
    })[0]!;
    const messages: Outbound[] = [];
    let v = 0;
    shuffled.forEach((h, i) => {
      messages.push(h);
      if (i % 2 === 1) messages.push(valid(prefix, v++, now));
    });
    expect(hostile.length).toBeGreaterThanOrEqual(10_000);

    const app = await start(config);
    try {
      const run = await runAndCheck(app, config, messages, { valid: v, dead: hostile.length });
      expect(run.hostileSeqs.size).toBe(hostile.length);
      // Exactly the hostile ones, each exactly once.
      expect([...run.dead.keys()].sort((a, b) => a - b)).toEqual([...run.hostileSeqs].sort((a, b) => a - b));
      expect([...run.dead.values()].every((n) => n === 1)).toBe(true);
      expect(run.maxGapMs).toBeLessThan(MAX_PAUSE_MS);
      for (let i = 0; i < 997 && i < v; i++)
        expect(app.engine.engines()[0]!.store.slotOf(`v${i}`)).toBeDefined();
      console.info(`hostile flood: ${hostile.length} hostile + ${v} valid; longest pause ${run.maxGapMs} ms`);
    } finally {
      await app.stop();
    }
  });

  it('the dead-letter stream deleted while running is recreated; nothing stalls, nothing is lost', async () => {
    const config = testConfig(fx.server.url, { 'health.pollIntervalMs': 200 });
    const prefix = config.ingest.subjectPrefix;
    const now = Date.now();
    const arb = hostileMessageArb({
      prefix,
      nowMs: now,
      maxPayloadBytes: config.ingest.maxPayloadBytes,
      maxDepth: 2_000,
      maxStringLength: 2_000,
    });
    const phase = (seed: number, from: number): Outbound[] =>
      fc
        .sample(arb, { numRuns: 1_000, seed })
        .flatMap((h, i) => [{ ...h, hostile: true }, valid(prefix, from + i, now)]);
    const app = await start(config);
    try {
      await runAndCheck(app, config, phase(1, 0), { valid: 1_000, dead: 1_000 });
      const jsm = await jetstreamManager(fx.nc);
      await jsm.streams.delete(config.publish.deadLetterStream);

      const second = phase(2, 1_000);
      const run = await runAndCheck(app, config, second, { valid: 2_000, dead: 2_000 });
      // The recreated stream holds the second phase's dead letters, each once.
      expect(run.dead.size).toBe(1_000);
      expect([...run.dead.values()].every((n) => n === 1)).toBe(true);
      expect([...run.dead.keys()].every((seq) => run.hostileSeqs.has(seq))).toBe(true);
      expect(run.maxGapMs).toBeLessThan(MAX_PAUSE_MS);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${app.opsPort}/readyz`)).ok, 10_000, 'ready');
    } finally {
      await app.stop();
    }
  });
});
