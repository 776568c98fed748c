import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, TimeoutError } from '@nats-io/transport-node';
import type { Rejection } from '../../src/decode/types.js';
import { createLogger } from '../../src/log/index.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import {
  DEAD_LETTER_RETRY,
  DeadLettersNotStoredError,
  deadLetterHealth,
  storeDeadLetters,
} from '../../src/publish/index.js';
import { junk, rejection } from './fixtures.js';

/** Dependencies on virtual time: `sleep` moves the clock; the log is parsed as pino writes it. */
function harness(outcomes: Error[], stoppingAfter = Number.POSITIVE_INFINITY) {
  let now = 1_000;
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const metrics = createEngineMetrics(new Registry());
  const calls: Array<{ atMs: number; seqs: number[] }> = [];
  const sleeps: number[] = [];
  const deps = {
    sink: {
      deadLetter: (rs: readonly Rejection[]) => {
        calls.push({ atMs: now, seqs: rs.map((r) => r.streamSeq) });
        const outcome = outcomes[calls.length - 1];
        return outcome === undefined ? Promise.resolve() : Promise.reject(outcome);
      },
    },
    metrics,
    log: createLogger('info', out),
    stopping: () => calls.length > stoppingAfter,
    clock: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  const counter = async (name: 'deadLettersLost' | 'deadLetterRetries') =>
    (await metrics[name].get()).values.reduce((a, v) => a + v.value, 0);
  return { deps, calls, sleeps, lines, counter, advance: (ms: number) => (now += ms) };
}

const batch = [rejection(1, junk(1)), rejection(2, junk(2), { reason: 'payload_too_large' })];

describe('storeDeadLetters', () => {
  it('stores at once when the sink takes them', async () => {
    const h = harness([]);
    expect(await storeDeadLetters(batch, h.deps)).toBe(true);
    expect(h.calls).toHaveLength(1);
    expect(await h.counter('deadLettersLost')).toBe(0);
  });

  it('retries retryable failures with doubling backoff and stores when they heal', async () => {
    const h = harness([new TimeoutError(), new TimeoutError(), new TimeoutError()]);
    expect(await storeDeadLetters(batch, h.deps)).toBe(true);
    expect(h.sleeps).toEqual([250, 500, 1_000]);
    expect(h.calls).toHaveLength(4);
    expect(await h.counter('deadLetterRetries')).toBe(3);
    expect(h.lines.some((l) => l['msg'] === 'dead letters stored after retrying')).toBe(true);
  });

  it('gives up after the attempts bound: each dead letter logged in full, counted lost, the batch may be acked', async () => {
    const h = harness(Array.from({ length: 100 }, () => new TimeoutError()));
    expect(await storeDeadLetters(batch, h.deps)).toBe(true);
    expect(h.calls).toHaveLength(DEAD_LETTER_RETRY.maxAttempts);
    expect(h.sleeps).toEqual([250, 500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(await h.counter('deadLettersLost')).toBe(2);
    const lost = h.lines.filter((l) => String(l['msg']).startsWith('dead letter lost'));
    expect(lost).toHaveLength(2);
    expect(lost[0]!['level']).toBe(50);
    expect(lost[1]!['deadLetter']).toMatchObject({
      reason: 'payload_too_large',
      streamSeq: 2,
      subject: batch[1]!.subject,
      bytes: junk(2).byteLength,
      payloadBase64: Buffer.from(junk(2)).toString('base64'),
      payloadCut: false,
    });
  });

  it('gives up at the time budget when attempts are slow', async () => {
    const h = harness(Array.from({ length: 100 }, () => new TimeoutError()));
    // Each attempt takes a 5 s publish timeout.
    const slow = {
      ...h.deps,
      sink: {
        deadLetter: (rs: readonly Rejection[]) => {
          h.advance(5_000);
          return h.deps.sink.deadLetter(rs);
        },
      },
    };
    expect(await storeDeadLetters(batch, slow)).toBe(true);
    const started = h.calls.map((c) => c.atMs - 5_000 - 1_000);
    expect(Math.max(...started)).toBeLessThanOrEqual(DEAD_LETTER_RETRY.budgetMs);
    expect(h.calls.length).toBeLessThan(DEAD_LETTER_RETRY.maxAttempts);
    expect(await h.counter('deadLettersLost')).toBe(2);
  });

  it('does not retry what waiting cannot mend', async () => {
    const h = harness([InvalidArgumentError.format('payload', 'max_payload size exceeded')]);
    expect(await storeDeadLetters(batch, h.deps)).toBe(true);
    expect(h.calls).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
    expect(await h.counter('deadLettersLost')).toBe(2);
  });

  it('retries only the dead letters the sink says it did not store', async () => {
    const h = harness([new DeadLettersNotStoredError([batch[1]!], new TimeoutError())]);
    expect(await storeDeadLetters(batch, h.deps)).toBe(true);
    expect(h.calls.map((c) => c.seqs)).toEqual([[1, 2], [2]]);
  });

  it('while draining, gives up without losing anything: the batch stays unacked', async () => {
    const h = harness([new TimeoutError(), new TimeoutError()], 0);
    expect(await storeDeadLetters(batch, h.deps)).toBe(false);
    expect(h.calls).toHaveLength(1);
    expect(await h.counter('deadLettersLost')).toBe(0);
  });

  it('a draining engine is not held by the default wait between attempts', async () => {
    const h = harness([new TimeoutError(), new TimeoutError()]);
    let stop = false;
    const { sleep: _virtual, clock: _clock, ...real } = h.deps;
    const t0 = Date.now();
    setTimeout(() => (stop = true), 50);
    const stored = await storeDeadLetters(batch, {
      ...real,
      stopping: () => stop,
      retry: { ...DEAD_LETTER_RETRY, firstDelayMs: 20_000 },
    });
    expect(stored).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

describe('deadLetterHealth', () => {
  it('is not ready from a failure until a store succeeds or the hold passes', () => {
    let now = 0;
    const health = deadLetterHealth({ holdMs: 60_000, clock: () => now });
    expect(health.notReady()).toEqual([]);
    health.report(false, 'DeadLettersNotStoredError: 1 dead letter(s) not stored: timeout');
    now = 30_000;
    expect(health.notReady().map((p) => p.reason)).toEqual(['dead_letters']);
    expect(health.notReady()[0]!.detail).toContain('30 s ago: DeadLettersNotStoredError');
    health.report(true, 'stored');
    expect(health.notReady()).toEqual([]);
    health.report(false, 'x'.repeat(10_000));
    expect(health.notReady()[0]!.detail.length).toBeLessThan(400);
    now += 60_001;
    expect(health.notReady()).toEqual([]);
  });
});
