import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadChurnModel, selectBackend, type ChurnModel } from '../../src/score/index.js';
import { loadSegmentRules, type SegmentRuleSet } from '../../src/segment/index.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/snapshot/index.js';
import { DEFAULT_MODEL_DIR } from '../helpers/engine.js';
import { pulls, recordedStream, runEngine, updateLog } from '../engine/replay-stream.js';

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
