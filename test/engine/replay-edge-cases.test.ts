import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Subject } from 'rxjs';
import { loadConfig } from '../../src/config/index.js';
import { ChurnflowError } from '../../src/contract/codes.js';
import { clockTickSubject, eventSubject } from '../../src/contract/subjects.js';
import { startEngine } from '../../src/engine/index.js';
import type { InboundBatch, InboundMessage } from '../../src/ingest/types.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import type { ChurnModel } from '../../src/score/index.js';
import { compileSegmentRules } from '../../src/segment/index.js';
import { FEATURE_COUNT, featureIndex } from '../../src/state/index.js';
import { pulls, recordingSink, runEngine, updateLog } from './replay-stream.js';

const packr = new Packr({ useRecords: false });
const H = 3_600_000;
const T0 = Date.UTC(2026, 5, 1, 6);
const TICKETS = featureIndex('support_tickets_30d');

/** A model that scores everyone 0.1, or refuses (MODEL_INVALID) any row with a support ticket when `strict`. */
function model(strict = false): ChurnModel {
  return {
    name: 'fixed',
    version: '1',
    featureNames: [],
    predict: (f, rows) => {
      for (let r = 0; strict && r < rows; r++) {
        if ((f[r * FEATURE_COUNT + TICKETS] as number) > 0) {
          return Promise.reject(new ChurnflowError('MODEL_INVALID', `NaN for row ${r}`));
        }
      }
      return Promise.resolve(new Float32Array(rows).fill(0.1));
    },
    dispose: () => undefined,
  };
}

/** A stream built by hand: events and clock ticks, each stored at the given time. */
function stream() {
  const messages: InboundMessage[] = [];
  const push = (subject: string, data: Uint8Array, storedAt: number) =>
    messages.push({
      subject,
      data,
      contentType: undefined,
      streamSeq: messages.length + 1,
      publishedAtMs: storedAt,
    });
  return {
    messages,
    event: (id: string, ts: number, type = 'page_view') =>
      push(eventSubject('events', id, type), packr.pack({ customerId: id, type, ts }), ts),
    tick: (ts: number, storedAt = ts + 1) =>
      push(clockTickSubject('events'), new TextEncoder().encode(JSON.stringify({ ts })), storedAt),
  };
}

describe('replay edge cases', () => {
  it('two dwell exits of one customer give the same score updates however the rows are batched', async () => {
    const both = (name: string, dwell: number) => ({
      name,
      enter: 'views_30d >= 1 && support_tickets_30d == 0',
      exit: 'support_tickets_30d >= 1',
      minDwellMs: dwell,
    });
    const rules = compileSegmentRules({ segments: [both('seg_a', 2 * H), both('seg_b', 4 * H)] }, 'test');
    const s = stream();
    s.event('x', T0); // enters both
    s.event('x', T0 + H, 'support_ticket'); // both exits hold, held by the dwells until +2 h and +4 h
    s.tick(T0 + 3 * H);
    s.event('z', T0 + 5 * H);
    const one = await runEngine(pulls(s.messages, [100]), { model: model(), rules, maxBatch: 1024 });
    const each = await runEngine(pulls(s.messages, [3, 1]), { model: model(), rules, maxBatch: 2 });
    const x = updateLog(one.out.updates).get('x') ?? [];
    // Out of seg_a at +2 h (still in seg_b), out of seg_b at +4 h: two updates, each with its own segments.
    expect(x.map((u) => JSON.parse(u) as { eventTime: number; segments: string[] }).slice(-2)).toMatchObject([
      { eventTime: T0 + 2 * H, segments: ['seg_b'] },
      { eventTime: T0 + 4 * H, segments: [] },
    ]);
    expect(updateLog(each.out.updates)).toEqual(updateLog(one.out.updates));
    expect(each.out.lifecycle).toEqual(one.out.lifecycle);
  });

  it('a row the model refuses is skipped alone: the others are evaluated whatever the batch size', async () => {
    const rules = compileSegmentRules({ segments: [{ name: 'viewers', enter: 'views_30d >= 1' }] }, 't');
    const s = stream();
    s.event('x', T0);
    s.event('y', T0 + 1000, 'support_ticket');
    s.event('w', T0 + 2000);
    const big = await runEngine(pulls(s.messages, [10]), { model: model(true), rules, maxBatch: 1024 });
    const small = await runEngine(pulls(s.messages, [10]), { model: model(true), rules, maxBatch: 1 });
    expect([...big.out.lifecycle.keys()].sort()).toEqual([...small.out.lifecycle.keys()].sort());
    expect([...big.out.lifecycle.keys()].filter((k) => k.startsWith('viewers:'))).toHaveLength(2);
    expect(big.out.updates.map((u) => u.customerId).sort()).toEqual(['w', 'x']);
  });

  it('a forged clock tick from the future is refused and moves no clock', async () => {
    const rules = compileSegmentRules({ segments: [] }, 't');
    const s = stream();
    s.event('x', T0);
    s.tick(T0 + 299_000, T0); // within ingest.maxFutureMs for an event, but a tick is never ahead of its storing
    s.event('y', T0 + 1000);
    const run = await runEngine(pulls(s.messages, [10]), { model: model(), rules, maxBatch: 8 });
    expect(run.out.deadLetters).toEqual(['2:too_far_in_future']);
    expect(run.engine.clockMs).toBe(T0 + 1000);
    expect(run.out.updates.find((u) => u.customerId === 'y')?.eventTime).toBe(T0 + 1000);
  });

  it('a dead letter that can never be stored does not hold the events behind it', async () => {
    const sink = recordingSink();
    sink.deadLetter = () =>
      Promise.reject(Object.assign(new Error('maximum payload exceeded'), { code: 'MAX_PAYLOAD_EXCEEDED' }));
    const source = new Subject<InboundBatch>();
    const engine = startEngine({
      config: loadConfig({ env: {} }),
      log: pino({ level: 'silent' }),
      metrics: createEngineMetrics(new Registry()),
      source,
      sink,
      model: model(),
    });
    const now = Date.now();
    let seq = 0;
    const msg = (data: Uint8Array, id: string): InboundMessage => ({
      subject: eventSubject('events', id, 'page_view'),
      data,
      contentType: undefined,
      streamSeq: ++seq,
      publishedAtMs: now,
    });
    source.next({ messages: [msg(new TextEncoder().encode('{"not":'), 'c')], ack: () => undefined });
    for (let i = 0; i < 20; i++) {
      const e = { customerId: `c${i}`, type: 'page_view', ts: now };
      source.next({ messages: [msg(packr.pack(e), e.customerId)], ack: () => undefined });
    }
    const until = Date.now() + 5_000;
    while (engine.totals.events < 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(engine.totals.events).toBe(20);
    const t0 = Date.now();
    await engine.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});

describe('eviction of silent customers', () => {
  it('evicts a customer silent for state.retentionDays with a last update, the same however batched; it may come back afresh', async () => {
    const rules = compileSegmentRules({ segments: [{ name: 'viewers', enter: 'views_30d >= 1' }] }, 't');
    const D = 86_400_000;
    const s = stream();
    s.event('quiet', T0);
    s.event('quiet', T0 + D);
    for (let d = 0; d < 14; d++) s.event('busy', T0 + d * D + 5_000);
    s.event('quiet', T0 + 14 * D); // back after the eviction at T0 + 11 d
    s.event('busy', T0 + 15 * D);
    const overrides = { 'state.retentionDays': 10 };
    const one = await runEngine(pulls(s.messages, [100]), {
      model: model(),
      rules,
      maxBatch: 1024,
      overrides,
    });
    const each = await runEngine(pulls(s.messages, [1, 2]), {
      model: model(),
      rules,
      maxBatch: 2,
      overrides,
    });
    const evicted = one.out.updates.filter((u) => u.evicted === true);
    expect(evicted).toHaveLength(1);
    expect(evicted[0]).toMatchObject({ customerId: 'quiet', eventTime: T0 + 11 * D, segments: [] });
    // Its earlier updates had lower seq; after the eviction it starts afresh, from its new events only.
    const quiet = one.out.updates.filter((u) => u.customerId === 'quiet');
    expect(quiet.findIndex((u) => u.evicted === true)).toBeLessThan(quiet.length - 1);
    expect(one.engine.store.size).toBe(2);
    expect(updateLog(each.out.updates)).toEqual(updateLog(one.out.updates));
    expect(each.out.lifecycle).toEqual(one.out.lifecycle);
    expect(each.state).toEqual(one.state);
  });
});
