import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadChurnModel, selectBackend, type ChurnModel } from '../../src/score/index.js';
import { loadSegmentRules, type SegmentRuleSet } from '../../src/segment/index.js';
import { DEFAULT_MODEL_DIR } from '../helpers/engine.js';
import { pulls, recordedStream, runEngine, updateLog } from './replay-stream.js';

let model: ChurnModel;
let rules: SegmentRuleSet;
const stream = recordedStream(400, 45);

beforeAll(async () => {
  await selectBackend(pino({ level: 'silent' }));
  model = await loadChurnModel(DEFAULT_MODEL_DIR);
  rules = await loadSegmentRules('config/segments.json');
});
afterAll(() => model.dispose());

describe('replay is deterministic', () => {
  it('the same stream gives the same state, dead letters and lifecycle events however it is batched', async () => {
    const big = await runEngine(pulls(stream, [2000]), { model, rules, maxBatch: 1024 });
    const small = await runEngine(pulls(stream, [7, 1, 33, 250]), { model, rules, maxBatch: 3 });
    // The stream exercises what it must: segment flips, dwell exits, stage moves, timers, refusals.
    expect(big.out.lifecycle.size).toBeGreaterThan(500);
    expect([...big.out.lifecycle.values()].some((e) => e.includes('minimum dwell'))).toBe(true);
    expect(big.out.deadLetters.length).toBeGreaterThan(10);
    expect(small.out.deadLetters).toEqual(big.out.deadLetters);
    expect(small.out.lifecycle).toEqual(big.out.lifecycle);
    expect(small.state).toEqual(big.state);
    // Every customer's whole sequence of score updates, not only its last.
    expect(updateLog(small.out.updates)).toEqual(updateLog(big.out.updates));
  }, 120_000);

  it('an engine that stopped half-way and replays from the start re-derives the same events with the same keys', async () => {
    const whole = await runEngine(pulls(stream, [500]), { model, rules, maxBatch: 256 });
    const cut = Math.floor(stream.length * 0.45);
    const before = await runEngine(pulls(stream.slice(0, cut), [300]), { model, rules, maxBatch: 64 });
    const after = await runEngine(pulls(stream, [120, 900]), { model, rules, maxBatch: 512 });
    for (const [key, payload] of before.out.lifecycle) expect(whole.out.lifecycle.get(key)).toBe(payload);
    expect(after.out.lifecycle).toEqual(whole.out.lifecycle);
    expect(after.out.deadLetters).toEqual(whole.out.deadLetters);
    expect(after.state).toEqual(whole.state);
    expect(updateLog(after.out.updates)).toEqual(updateLog(whole.out.updates));
  }, 120_000);
});
