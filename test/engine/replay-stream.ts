import { Packr } from 'msgpackr';
import { from, type Observable } from 'rxjs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/index.js';
import type { SegmentChange, StageTransition } from '../../src/contract/lifecycle-events.js';
import type { ScoreUpdate } from '../../src/contract/score-update.js';
import { clockTickSubject, eventSubject } from '../../src/contract/subjects.js';
import type { Rejection } from '../../src/decode/types.js';
import { startEngine, type Engine } from '../../src/engine/index.js';
import type { InboundBatch, InboundMessage } from '../../src/ingest/types.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import type { OutputSink } from '../../src/publish/index.js';
import type { ChurnModel } from '../../src/score/index.js';
import type { SegmentRuleSet } from '../../src/segment/index.js';
import type { SnapshotContent } from '../../src/snapshot/index.js';
import { createSimulator, DAY_MS } from '../../src/simulate/index.js';
import { FEATURE_COUNT } from '../../src/state/index.js';

const packr = new Packr({ useRecords: false });
const utf8 = new TextEncoder();

/**
 * A stream as JetStream would hold it: simulator history stored close to real time (a few seconds late, some
 * minutes late, some refused), redeliveries, and the clock ticks an idle engine writes during quiet gaps.
 */
export function recordedStream(customers: number, days: number, seed = 7): InboundMessage[] {
  const startMs = Date.UTC(2026, 5, 1);
  const sim = createSimulator({ customers, seed, startMs });
  const events = sim.eventsBetween(startMs, startMs + days * DAY_MS);
  let rnd = seed;
  const next = (): number => (rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: InboundMessage[] = [];
  const push = (subject: string, data: Uint8Array, storedAt: number): void => {
    out.push({ subject, data, contentType: undefined, streamSeq: out.length + 1, publishedAtMs: storedAt });
  };
  let lastStored = 0;
  for (const e of events) {
    // Mostly a few seconds after the event; one in fifty minutes late (a late event for the tiles).
    const delay = next() < 0.02 ? 600_000 * next() : 5_000 * next();
    const storedAt = Math.max(lastStored, Math.floor(e.ts + delay));
    // A quiet hour or more since the last message: the idle engine wrote a clock tick.
    if (storedAt - lastStored > 3_600_000 && lastStored > 0) {
      push(
        clockTickSubject('events'),
        utf8.encode(JSON.stringify({ ts: lastStored + 3_000_000 })),
        lastStored + 3_000_001,
      );
    }
    push(eventSubject('events', e.customerId, e.type), packr.pack(e), storedAt);
    lastStored = storedAt;
    const r = next();
    if (r < 0.005)
      push(
        eventSubject('events', e.customerId, e.type),
        packr.pack({ ...e, ts: storedAt + 3_600_000 }),
        storedAt,
      );
    else if (r < 0.01) push(eventSubject('events', e.customerId, e.type), utf8.encode('{"not":'), storedAt);
  }
  return out;
}

/** The stream cut into pulls of the given sizes (cycled), each with a counting ack. */
export function pulls(
  messages: readonly InboundMessage[],
  sizes: readonly number[],
): Observable<InboundBatch> {
  const batches: InboundBatch[] = [];
  for (let i = 0, k = 0; i < messages.length; k++) {
    const n = sizes[k % sizes.length] as number;
    batches.push({ messages: messages.slice(i, i + n), ack: () => undefined });
    i += n;
  }
  return from(batches);
}

/** Everything an engine published, as a consumer would keep it. */
export interface Outputs {
  /** Lifecycle events by idempotency key (payload as JSON). */
  readonly lifecycle: Map<string, string>;
  readonly deadLetters: string[];
  readonly updates: ScoreUpdate[];
}

/** A sink that records everything in memory. */
export function recordingSink(): OutputSink & { readonly out: Outputs } {
  const out: Outputs = { lifecycle: new Map(), deadLetters: [], updates: [] };
  const keep = (e: SegmentChange | StageTransition): void => {
    const json = JSON.stringify(e);
    const seen = out.lifecycle.get(e.idempotencyKey);
    if (seen !== undefined && seen !== json) throw new Error(`two payloads for key ${e.idempotencyKey}`);
    out.lifecycle.set(e.idempotencyKey, json);
  };
  return {
    out,
    publishScores: (u) => void out.updates.push(...u),
    publishSegmentChanges: (c) => c.forEach(keep),
    publishStageTransitions: (t) => t.forEach(keep),
    deadLetter: (r: readonly Rejection[]) => {
      out.deadLetters.push(...r.map((x) => `${x.streamSeq}:${x.reason}`));
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/**
 * Each customer's score updates in order, as a consumer would see them: the payload with `seq` relative to the
 * customer's first update (absolute values count from each engine's start time).
 */
export function updateLog(updates: readonly ScoreUpdate[]): Map<string, string[]> {
  const first = new Map<string, number>();
  const log = new Map<string, string[]>();
  for (const u of updates) {
    if (!first.has(u.customerId)) first.set(u.customerId, u.seq);
    const rel = u.seq - (first.get(u.customerId) as number);
    const list = log.get(u.customerId) ?? [];
    list.push(JSON.stringify({ ...u, seq: rel }));
    log.set(u.customerId, list);
  }
  return log;
}

/** Runs an engine over a source to its end; returns what it published and its final state per customer. */
export async function runEngine(
  source: Observable<InboundBatch>,
  opts: {
    model: ChurnModel;
    rules: SegmentRuleSet;
    maxBatch: number;
    restore?: { content: SnapshotContent; name: string };
    /** More configuration keys. */
    overrides?: Record<string, unknown>;
  },
): Promise<{ out: Outputs; state: Map<string, string>; engine: Engine }> {
  const sink = recordingSink();
  const config = loadConfig({
    env: {},
    // A huge idle time: this stream carries its own clock ticks, and the wall clock must play no part.
    overrides: {
      'score.maxBatch': opts.maxBatch,
      'score.maxDelayMs': 1,
      'state.idleAfterMs': 3_600_000,
      ...opts.overrides,
    },
  });
  const engine = startEngine({
    config,
    log: pino({ level: 'silent' }),
    metrics: createEngineMetrics(new Registry()),
    source,
    sink,
    model: opts.model,
    segments: opts.rules,
    ...(opts.restore === undefined ? {} : { restore: opts.restore }),
  });
  await engine.done;
  return { out: sink.out, state: finalState(engine, sink.out.updates), engine };
}

/**
 * Per customer: features at the engine's clock and its last score update as published (scores, stage, segments,
 * event time; `seq` left out, as it counts from each engine's start time).
 */
function finalState(engine: Engine, updates: readonly ScoreUpdate[]): Map<string, string> {
  const last = new Map<string, ScoreUpdate>();
  for (const u of updates) last.set(u.customerId, u);
  const state = new Map<string, string>();
  const features = new Float32Array(FEATURE_COUNT);
  for (let slot = 0; slot < engine.store.slotEnd; slot++) {
    if (!engine.store.isLive(slot)) continue;
    engine.store.features(slot, engine.clockMs, features, 0);
    const id = engine.store.customerId(slot);
    const { seq: _seq, ...update } = last.get(id) ?? ({ seq: 0 } as ScoreUpdate);
    state.set(id, JSON.stringify([Array.from(features), update]));
  }
  return state;
}
