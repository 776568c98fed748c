import { describe, expect, it } from 'vitest';
import {
  compileSegmentRules,
  createSegmentMembership,
  type SegmentMembership,
} from '../../src/segment/index.js';
import { batch, DAY_MS, HOUR_MS, idOf, T0, type Row } from './helpers.js';

const ruleSet = (...segments: unknown[]) => compileSegmentRules({ segments }, 'test');

/** Scores one customer (slot 0 unless given) at `t` and returns the changes. */
function step(m: SegmentMembership, row: Row, t: number, slot = 0) {
  const { features, scores } = batch([row]);
  return m.evaluate([slot], 1, features, scores, t, idOf);
}

const atRisk = ruleSet({
  name: 'valuable_at_risk',
  enter: 'churnRisk >= 0.6 && revenue_lifetime >= 300',
  exit: 'churnRisk < 0.5',
});

describe('membership: enter, exit, hysteresis', () => {
  it('emits entered/exited with reasons, dwell, event time and idempotency key', () => {
    const m = createSegmentMembership(atRisk);
    expect(step(m, { churnRisk: 0.3, features: { revenue_lifetime: 400 } }, T0)).toEqual([]);
    const [enter] = step(m, { churnRisk: 0.65, features: { revenue_lifetime: 400 } }, T0 + HOUR_MS);
    expect(enter).toEqual({
      segment: 'valuable_at_risk',
      customerId: 'c0',
      slot: 0,
      kind: 'entered',
      reason: ['churnRisk >= 0.6', 'revenue_lifetime >= 300'],
      dwellMs: HOUR_MS,
      eventTime: T0 + HOUR_MS,
      idempotencyKey: `valuable_at_risk:c0:entered:${T0 + HOUR_MS}:1`,
      maskAfter: 1,
    });
    expect(m.segmentsOf(0)).toEqual(['valuable_at_risk']);
    expect(m.sizes()).toEqual({ valuable_at_risk: 1 });
    const [exit] = step(m, { churnRisk: 0.2, features: { revenue_lifetime: 400 } }, T0 + 3 * HOUR_MS);
    expect(exit).toMatchObject({ kind: 'exited', reason: ['churnRisk < 0.5'], dwellMs: 2 * HOUR_MS });
    expect(exit?.idempotencyKey).toBe(`valuable_at_risk:c0:exited:${T0 + 3 * HOUR_MS}:2`);
    expect(m.segmentsOf(0)).toEqual([]);
    expect(m.sizes()).toEqual({ valuable_at_risk: 0 });
  });
  it('does not flap while the score wanders between the exit and enter thresholds', () => {
    const m = createSegmentMembership(atRisk);
    const risks = [0.61, 0.55, 0.6, 0.52, 0.59, 0.51, 0.58, 0.5, 0.62];
    const changes = risks.flatMap((r, i) =>
      step(m, { churnRisk: r, features: { revenue_lifetime: 400 } }, T0 + i * 60_000),
    );
    expect(changes.map((c) => c.kind)).toEqual(['entered']);
    // Without hysteresis (default exit = !enter) the same walk flips on every crossing.
    const plain = createSegmentMembership(ruleSet({ name: 'r', enter: 'churnRisk >= 0.6' }));
    const flips = risks.flatMap((r, i) => step(plain, { churnRisk: r }, T0 + i * 60_000));
    expect(flips.length).toBeGreaterThan(4);
  });
  it('default exit reasons name the enter clauses that failed', () => {
    const m = createSegmentMembership(ruleSet({ name: 'r', enter: 'churnRisk >= 0.6 && engagement < 40' }));
    step(m, { churnRisk: 0.7, engagement: 10 }, T0);
    const [c] = step(m, { churnRisk: 0.7, engagement: 60 }, T0 + 1000);
    expect(c).toMatchObject({ kind: 'exited', reason: ['!(engagement < 40)'] });
  });
  it('an any-rule reports the true disjuncts only', () => {
    const m = createSegmentMembership(
      ruleSet({ name: 'u', enter: 'unsubscribed_email == 1 || unsubscribed_sms == 1 || stage == "churned"' }),
    );
    const [c] = step(m, { features: { unsubscribed_sms: 1 }, stage: 'churned' }, T0);
    expect(c?.reason).toEqual(['unsubscribed_sms == 1', 'stage == "churned"']);
  });
});

describe('membership: minimum dwell', () => {
  const dwell = ruleSet({
    name: 'd',
    enter: 'churnRisk >= 0.6',
    exit: 'churnRisk < 0.5',
    minDwellMs: DAY_MS,
  });
  it('a member stays until minDwellMs has passed in event time, then leaves', () => {
    const m = createSegmentMembership(dwell);
    step(m, { churnRisk: 0.9 }, T0);
    expect(step(m, { churnRisk: 0.1 }, T0 + DAY_MS - 1000)).toEqual([]);
    expect(m.segmentsOf(0)).toEqual(['d']);
    const [c] = step(m, { churnRisk: 0.1 }, T0 + DAY_MS);
    expect(c).toMatchObject({ kind: 'exited', dwellMs: DAY_MS });
  });
  it('never cuts the dwell short for sub-second event times', () => {
    const m = createSegmentMembership(ruleSet({ name: 'd', enter: 'churnRisk >= 0.6', minDwellMs: 2000 }));
    step(m, { churnRisk: 0.9 }, T0 + 1); // starts at T0 + 1 ms
    expect(step(m, { churnRisk: 0.1 }, T0 + 1999)).toEqual([]);
    expect(step(m, { churnRisk: 0.1 }, T0 + 3000)).toHaveLength(1);
  });
  it('lets a member held in only by its dwell leave when the dwell ends, with no further evaluation', () => {
    const m = createSegmentMembership(dwell);
    expect(m.earliestDwellEnd()).toBe(Infinity);
    step(m, { churnRisk: 0.9 }, T0);
    // Exit holds an hour later, but the dwell keeps the member in: the exit is held until T0 + 1 day.
    expect(step(m, { churnRisk: 0.1 }, T0 + HOUR_MS)).toEqual([]);
    expect(m.earliestDwellEnd()).toBe(T0 + DAY_MS);
    expect(m.dwellEnded(T0 + DAY_MS - 1, idOf)).toEqual([]);
    const [c] = m.dwellEnded(T0 + 2 * DAY_MS, idOf);
    expect(c).toMatchObject({ kind: 'exited', eventTime: T0 + DAY_MS, dwellMs: DAY_MS });
    expect(c?.idempotencyKey).toBe(`d:c0:exited:${T0 + DAY_MS}:2`);
    expect(m.segmentsOf(0)).toEqual([]);
    expect(m.earliestDwellEnd()).toBe(Infinity);
  });
  it('a held exit that stops holding at a later evaluation is dropped', () => {
    const m = createSegmentMembership(dwell);
    step(m, { churnRisk: 0.9 }, T0);
    step(m, { churnRisk: 0.1 }, T0 + HOUR_MS);
    step(m, { churnRisk: 0.55 }, T0 + 2 * HOUR_MS);
    expect(m.earliestDwellEnd()).toBe(Infinity);
    expect(m.dwellEnded(T0 + 2 * DAY_MS, idOf)).toEqual([]);
    expect(m.segmentsOf(0)).toEqual(['d']);
  });
  it('an exit that no longer holds after the dwell does not fire', () => {
    const m = createSegmentMembership(dwell);
    step(m, { churnRisk: 0.9 }, T0);
    step(m, { churnRisk: 0.1 }, T0 + HOUR_MS);
    expect(step(m, { churnRisk: 0.55 }, T0 + 2 * DAY_MS)).toEqual([]);
    expect(m.segmentsOf(0)).toEqual(['d']);
  });
});

describe('membership: batches, slots, swaps', () => {
  it('evaluates rows independently and grows past its initial capacity', () => {
    const m = createSegmentMembership(atRisk, 2);
    const { features, scores } = batch([
      { churnRisk: 0.9, features: { revenue_lifetime: 500 } },
      { churnRisk: 0.9, features: { revenue_lifetime: 100 } },
      { churnRisk: 0.7, features: { revenue_lifetime: 300 } },
    ]);
    const changes = m.evaluate([5, 700, 9000], 3, features, scores, T0, idOf);
    expect(changes.map((c) => [c.customerId, c.slot])).toEqual([
      ['c5', 5],
      ['c9000', 9000],
    ]);
    expect([m.segmentsOf(5), m.segmentsOf(700), m.segmentsOf(9000), m.segmentsOf(123456)]).toEqual([
      ['valuable_at_risk'],
      [],
      ['valuable_at_risk'],
      [],
    ]);
    expect(m.slotsToRecheck()).toEqual([5, 700, 9000]);
  });
  it('handles all 32 bits of the mask', () => {
    const many = Array.from({ length: 32 }, (_, i) => ({ name: `s${i}`, enter: `engagement >= ${i}` }));
    const m = createSegmentMembership(ruleSet(...many));
    step(m, { engagement: 40 }, T0);
    expect(m.segmentsOf(0)).toHaveLength(32);
    expect(m.maskOf(0)).toBe(0xffffffff);
    step(m, { engagement: 30 }, T0 + 1000);
    expect(m.segmentsOf(0)).toEqual(many.slice(0, 31).map((s) => s.name));
  });
  it('rules reading pAlive hold still when the batch has no BG/NBD columns', () => {
    const m = createSegmentMembership(ruleSet({ name: 'dead', enter: 'pAlive < 0.2' }));
    expect(step(m, { pAlive: 0.1 }, T0)).toHaveLength(1);
    expect(step(m, {}, T0 + 1000)).toEqual([]); // no columns: not an exit
    expect(m.segmentsOf(0)).toEqual(['dead']);
    expect(step(m, { pAlive: 0.9 }, T0 + 2000)).toMatchObject([{ kind: 'exited' }]);
  });
  it('rules reading predictedClv hold still when the model has BG/NBD but no Gamma-Gamma parameters', () => {
    const m = createSegmentMembership(ruleSet({ name: 'valuable', enter: 'predictedClv >= 500.0' }));
    expect(step(m, { pAlive: 0.9, predictedClv: 800 }, T0)).toHaveLength(1);
    expect(step(m, { pAlive: 0.9 }, T0 + 1000)).toEqual([]); // BG/NBD columns, no CLV: not an exit
    expect(m.segmentsOf(0)).toEqual(['valuable']);
    expect(step(m, { pAlive: 0.9, predictedClv: 20 }, T0 + 2000)).toMatchObject([{ kind: 'exited' }]);
  });
  it('swapRules keeps memberships of segments that keep their name; new rules apply on the next score', () => {
    const m = createSegmentMembership(
      ruleSet({ name: 'a', enter: 'churnRisk >= 0.6' }, { name: 'b', enter: 'engagement >= 50' }),
    );
    step(m, { churnRisk: 0.9, engagement: 60 }, T0);
    expect(m.segmentsOf(0)).toEqual(['a', 'b']);
    m.swapRules(ruleSet({ name: 'c', enter: 'engagement >= 10' }, { name: 'b', enter: 'engagement >= 80' }));
    expect(m.segmentsOf(0)).toEqual(['b']);
    expect(m.sizes()).toEqual({ c: 0, b: 1 });
    expect(m.slotsToRecheck()).toEqual([0]);
    const changes = step(m, { churnRisk: 0.9, engagement: 60 }, T0 + DAY_MS);
    expect(changes.map((c) => [c.segment, c.kind, c.dwellMs])).toEqual([
      ['c', 'entered', 0],
      ['b', 'exited', DAY_MS], // dwell counted from the original entry
    ]);
  });
  it('forget drops a slot without events', () => {
    const m = createSegmentMembership(atRisk);
    step(m, { churnRisk: 0.9, features: { revenue_lifetime: 500 } }, T0);
    m.forget(0);
    expect([m.segmentsOf(0), m.sizes(), m.slotsToRecheck()]).toEqual([[], { valuable_at_risk: 0 }, []]);
  });
  it('a rule that fails at run time counts as false and is counted, the batch goes on', () => {
    const m = createSegmentMembership(
      ruleSet(
        { name: 'boom', enter: 'int(revenue_90d) * 9223372036854775807 > 0' },
        { name: 'ok', enter: 'true' },
      ),
    );
    expect(step(m, { features: { revenue_90d: 10 } }, T0).map((c) => c.segment)).toEqual(['ok']);
    expect(m.evaluationErrors).toBe(1);
  });
});
