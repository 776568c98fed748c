import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadChurnModel, selectBackend, type ChurnModel } from '../../src/score/index.js';
import { loadSegmentRules, type SegmentRuleSet } from '../../src/segment/index.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/snapshot/index.js';
import { DEFAULT_MODEL_DIR } from '../helpers/engine.js';
import { Subject } from 'rxjs';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/index.js';
import { startEngine } from '../../src/engine/index.js';
import type { InboundBatch } from '../../src/ingest/types.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import { createFlowGate } from '../../src/rx/index.js';
import { F64, F64_STRIDE } from '../../src/state/customer-columns.js';
import { pulls, recordedStream, recordingSink, runEngine, updateLog } from '../engine/replay-stream.js';

let model: ChurnModel;
let rules: SegmentRuleSet;
const stream = recordedStream(300, 40, 5);

beforeAll(async () => {
  await selectBackend(pino({ level: 'silent' }));
  model = await loadChurnModel(DEFAULT_MODEL_DIR);
  rules = await loadSegmentRules('config/segments.json');
});
afterAll(() => model.dispose());

describe('restore + tail', () => {
  it('an engine restored from a snapshot and fed the tail ends as one that never stopped, re-firing nothing', async () => {
    const whole = await runEngine(pulls(stream, [400]), { model, rules, maxBatch: 256 });
    for (const fraction of [0.3, 0.7]) {
      const cut = Math.floor(stream.length * fraction);
      const first = await runEngine(pulls(stream.slice(0, cut), [250]), { model, rules, maxBatch: 128 });
      const content = await first.engine.capture();
      expect(content.streamSeq).toBe(stream[cut - 1]?.streamSeq);
      // Through the bytes, as a restart reads it.
      const restored = decodeSnapshot(encodeSnapshot(content), 'test');
      const tail = stream.filter((m) => m.streamSeq > content.streamSeq);
      const rest = await runEngine(pulls(tail, [333]), {
        model,
        rules,
        maxBatch: 64,
        restore: { content: restored, name: 'test' },
      });
      expect(rest.state).toEqual(whole.state);
      // Before + after = the uninterrupted run: every lifecycle event exactly once, none re-fired.
      const seen = new Map([...first.out.lifecycle, ...rest.out.lifecycle]);
      expect(first.out.lifecycle.size + rest.out.lifecycle.size).toBe(seen.size);
      expect(seen).toEqual(whole.out.lifecycle);
      expect(first.out.deadLetters.concat(rest.out.deadLetters)).toEqual(whole.out.deadLetters);
      // Score updates continue each customer's sequence: the restored engine's seq values are above the first's.
      const log = updateLog([...first.out.updates, ...rest.out.updates]);
      const times = (u: string) => (JSON.parse(u) as { eventTime: number }).eventTime;
      for (const [id, updates] of updateLog(whole.out.updates)) {
        expect(log.get(id)?.map(times)).toEqual(updates.map(times));
      }
      const lastBefore = new Map(first.out.updates.map((u) => [u.customerId, u.seq]));
      for (const u of rest.out.updates) expect(u.seq).toBeGreaterThan(lastBefore.get(u.customerId) ?? 0);
    }
  }, 120_000);
});

describe('a snapshot taken in slices while events keep flowing', () => {
  it('restores to the same end state; only events after its sequence are re-derived, with the same keys', async () => {
    const whole = await runEngine(pulls(stream, [400]), { model, rules, maxBatch: 256 });
    // An engine fed in small batches, one turn of the event loop apart, that snapshots 16 customers per pause
    // while the stream keeps coming: later slices already hold events after the snapshot's sequence.
    const sink = recordingSink();
    const source = new Subject<InboundBatch>();
    // The source waits on the engine's flow gate, as the JetStream source does: a snapshot's pause holds it.
    const flow = createFlowGate({ highWater: 256, lowWater: 64 });
    const engine = startEngine({
      flow,
      config: loadConfig({
        env: {},
        overrides: {
          'score.maxBatch': 64,
          'score.maxDelayMs': 1,
          'state.idleAfterMs': 3_600_000,
          'snapshot.sliceCustomers': 16,
        },
      }),
      log: pino({ level: 'silent' }),
      metrics: createEngineMetrics(new Registry()),
      source,
      sink,
      model,
      segments: rules,
    });
    let fed = 0;
    const feed = (async () => {
      for (let i = 0; i < stream.length; i += 50) {
        await flow.wait();
        source.next({ messages: stream.slice(i, i + 50), ack: () => undefined });
        fed = i + 50;
        await new Promise((r) => setTimeout(r, 1));
      }
      source.complete();
    })();
    while (fed < stream.length / 3) await new Promise((r) => setTimeout(r, 1));
    const content = await engine.capture();
    await feed;
    await engine.done;
    expect(content.streamSeq).toBeGreaterThan(0);
    expect(content.streamSeq).toBeLessThan(stream.length);
    // Slices copied after the first already held later events: the case the duplicates' clock moves are for.
    const f64 = content.arrays['store.f64'] as Float64Array;
    const maxSeqs = Array.from(
      { length: f64.length / F64_STRIDE },
      (_, i) => f64[i * F64_STRIDE + F64.maxSeq] as number,
    );
    expect(Math.max(...maxSeqs)).toBeGreaterThan(content.streamSeq);
    const tail = stream.filter((m) => m.streamSeq > content.streamSeq);
    const rest = await runEngine(pulls(tail, [100]), {
      model,
      rules,
      maxBatch: 64,
      restore: { content: decodeSnapshot(encodeSnapshot(content), 't'), name: 't' },
    });
    expect(rest.state).toEqual(whole.state);
    for (const [key, payload] of [...sink.out.lifecycle, ...rest.out.lifecycle]) {
      expect(whole.out.lifecycle.get(key)).toBe(payload);
    }
    expect(new Set([...sink.out.lifecycle.keys(), ...rest.out.lifecycle.keys()])).toEqual(
      new Set(whole.out.lifecycle.keys()),
    );
  }, 120_000);
});
