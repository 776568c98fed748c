import { from } from 'rxjs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreUpdate } from '../../src/contract/score-update.js';
import { HeldUpdates } from '../../src/engine/held-updates.js';
import type { InboundBatch, InboundMessage } from '../../src/ingest/types.js';
import { loadChurnModel, selectBackend, type ChurnModel } from '../../src/score/index.js';
import { loadSegmentRules, type SegmentRuleSet } from '../../src/segment/index.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/snapshot/index.js';
import { stateReader, stateWriter } from '../../src/snapshot/state-io.js';
import type { ColumnArray } from '../../src/snapshot/format.js';
import { DEFAULT_MODEL_DIR } from '../helpers/engine.js';
import { pulls, recordedStream, runEngine } from './replay-stream.js';

describe('HeldUpdates', () => {
  it('keeps one entry per customer with its latest evaluation time, and gives them back oldest hold first', () => {
    const held = new HeldUpdates();
    held.hold(5, 100);
    held.hold(2, 50);
    held.hold(5, 300);
    held.hold(5, 200); // an earlier evaluation never replaces a later one
    held.hold(4000, 10); // beyond the first capacity
    expect(held.size).toBe(3);
    const first = held.take(2);
    expect(first.slots).toEqual([5, 2]);
    expect(Array.from(first.atMs)).toEqual([300, 50]);
    expect(held.size).toBe(1);
    expect(held.take(10).slots).toEqual([4000]);
    expect(held.take(10).slots).toEqual([]);
    expect(held.size).toBe(0);
  });

  it('lets go of its per-slot column at the second trim with nothing held in between, not before', () => {
    const held = new HeldUpdates();
    for (let slot = 0; slot < 100_000; slot++) held.hold(slot, slot);
    const bytes = held.byteLength;
    expect(bytes).toBeGreaterThanOrEqual(100_000 * 8);
    held.take(50_000);
    held.trim(); // updates are held: kept
    expect(held.byteLength).toBe(bytes);
    held.hold(7, 1); // held again since that trim
    held.take(99_999);
    held.drop(99_999);
    expect(held.size).toBe(0);
    held.trim(); // nothing held now, but a hold came since the last trim: kept
    expect(held.byteLength).toBe(bytes);
    held.trim();
    expect(held.byteLength).toBe(0);
    held.hold(3, 1);
    held.hold(70_000, 2);
    expect(held.take(10).slots).toEqual([3, 70_000]);
    held.trim();
    held.trim();
    expect(held.byteLength).toBe(0);
  });

  it('forgets dropped customers, and a customer held again after a drop comes back once', () => {
    const held = new HeldUpdates();
    for (let round = 0; round < 5000; round++) {
      held.hold(7, round);
      held.drop(7);
    }
    held.hold(7, 9);
    held.hold(8, 1);
    held.drop(8);
    held.drop(123_456); // never held: nothing happens
    expect(held.size).toBe(1);
    const out = held.take(100);
    expect(out.slots).toEqual([7]);
    expect(Array.from(out.atMs)).toEqual([9]);
  });

  it('saves and restores through a snapshot writer, slot ranges included', () => {
    const held = new HeldUpdates();
    held.hold(1, 11);
    held.hold(3, 33);
    const arrays: Record<string, ColumnArray> = {};
    const json: Record<string, unknown> = {};
    held.saveState(stateWriter(arrays, json, 'held'), 0, 5);
    const back = new HeldUpdates();
    back.loadState(stateReader(arrays, json, 'held', () => undefined as never));
    expect(back.size).toBe(2);
    expect(back.take(10)).toEqual({ slots: [1, 3], atMs: Float64Array.from([11, 33]) });
    back.hold(2, 1);
    back.loadState(undefined); // a snapshot from before updates were held
    expect(back.size).toBe(0);
  });
});

let model: ChurnModel;
let rules: SegmentRuleSet;
const stream = recordedStream(300, 40, 11);
// Every change publishes, so a customer's last update is its last evaluation's, held or not.
const EVERY_CHANGE = { 'publish.minRiskDelta': 0, 'publish.minEngagementDelta': 0 };

beforeAll(async () => {
  await selectBackend(pino({ level: 'silent' }));
  model = await loadChurnModel(DEFAULT_MODEL_DIR);
  rules = await loadSegmentRules('config/segments.json');
});
afterAll(() => model.dispose());

/** Pulls that say, as a JetStream consumer does, how many messages are still behind each of them. */
function pullsWithPending(messages: readonly InboundMessage[], size: number, behindEnd = 0) {
  const batches: InboundBatch[] = [];
  for (let i = 0; i < messages.length; i += size) {
    const rest = messages.length - Math.min(messages.length, i + size);
    batches.push({ messages: messages.slice(i, i + size), ack: () => undefined, pending: rest + behindEnd });
  }
  return from(batches);
}

/** Each customer's last update as a consumer keeps it, without what differs by when it was sent. */
function lastScores(updates: readonly ScoreUpdate[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const { seq: _s, eventTime: _t, ...u } of updates) last.set(u.customerId, JSON.stringify(u));
  return last;
}

describe('score updates held while a backlog is worked off', () => {
  it('publish one update per customer with its latest scores, and the same lifecycle events and state', async () => {
    const live = await runEngine(pulls(stream, [200]), {
      model,
      rules,
      maxBatch: 128,
      overrides: EVERY_CHANGE,
    });
    const replay = await runEngine(pullsWithPending(stream, 200), {
      model,
      rules,
      maxBatch: 128,
      overrides: EVERY_CHANGE, // the recorded stream was stored months ago: a backlog while more is behind
    });
    expect(replay.out.lifecycle).toEqual(live.out.lifecycle);
    expect(replay.out.deadLetters).toEqual(live.out.deadLetters);
    expect(lastScores(replay.out.updates)).toEqual(lastScores(live.out.updates));
    // Most of the stream was a backlog: far fewer updates.
    expect(replay.out.updates.length).toBeLessThan(live.out.updates.length * 0.5);
    expect(replay.engine.totals.scoreUpdates).toBe(replay.out.updates.length);
  }, 120_000);

  it('messages stored moments ago are no backlog, however many wait behind them (a hiccup holds nothing)', async () => {
    const now = Date.now();
    const fresh = stream.map((m) => ({ ...m, publishedAtMs: now }));
    const live = await runEngine(pulls(fresh, [200]), { model, rules, maxBatch: 128 });
    const hiccup = await runEngine(pullsWithPending(fresh, 200), { model, rules, maxBatch: 128 });
    expect(hiccup.out.updates.length).toBe(live.out.updates.length);
  }, 120_000);

  it('with holding off (0) every update goes out as it happens', async () => {
    const live = await runEngine(pulls(stream, [200]), { model, rules, maxBatch: 128 });
    const off = await runEngine(pullsWithPending(stream, 200), {
      model,
      rules,
      maxBatch: 128,
      overrides: { 'publish.catchUpBehindMs': 0 },
    });
    expect(off.out.updates.length).toBe(live.out.updates.length);
  }, 120_000);

  it('held updates survive a snapshot: restored, the engine releases them once caught up', async () => {
    const whole = await runEngine(pulls(stream, [200]), {
      model,
      rules,
      maxBatch: 128,
      overrides: EVERY_CHANGE,
    });
    const cut = Math.floor(stream.length * 0.6);
    // Stopped in the middle of a backlog: everything it scored is still held.
    const first = await runEngine(pullsWithPending(stream.slice(0, cut), 200, stream.length - cut), {
      model,
      rules,
      maxBatch: 128,
      overrides: EVERY_CHANGE,
    });
    expect(first.out.updates).toEqual([]);
    const content = decodeSnapshot(encodeSnapshot(await first.engine.capture()), 'test');
    const rest = await runEngine(pulls(stream.slice(cut), [200]), {
      model,
      rules,
      maxBatch: 128,
      overrides: EVERY_CHANGE,
      restore: { content, name: 'test' },
    });
    expect(lastScores(rest.out.updates)).toEqual(lastScores(whole.out.updates));
    expect(new Map([...first.out.lifecycle, ...rest.out.lifecycle])).toEqual(whole.out.lifecycle);
  }, 120_000);
});
