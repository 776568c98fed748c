import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ScoreUpdateSchema } from '../../src/contract/score-update.js';
import { changedScoreUpdates, createScoreChanges, type ScoredColumns } from '../../src/publish/index.js';
import { STAGES } from '../../src/score/types.js';

const stageIndex = (s: (typeof STAGES)[number]): number => STAGES.indexOf(s);
const AWARENESS = stageIndex('awareness');
const REPEAT = stageIndex('repeat');
const AT_RISK = stageIndex('at_risk');

describe('createScoreChanges', () => {
  it('publishes a slot the first time it is scored, with seq 1, and remembers what it published', () => {
    const c = createScoreChanges({ minRiskDelta: 0.05, minEngagementDelta: 5 });
    expect(c.seq(3)).toBe(0);
    expect(c.risk(3)).toBeNaN();
    expect(c.stage(3)).toBe(-1);

    expect(c.changed(3, 0.5, 40, REPEAT)).toBe(true);
    expect(c.seq(3)).toBe(1);
    expect(c.risk(3)).toBeCloseTo(0.5, 6);
    expect(c.stage(3)).toBe(REPEAT);
    // A first score of zero risk, zero engagement and stage 0 is still a first score.
    expect(c.changed(4, 0, 0, AWARENESS)).toBe(true);
    expect(c.seq(4)).toBe(1);
  });

  it('does not publish an identical re-score, nor one that moved less than both deltas', () => {
    const c = createScoreChanges({ minRiskDelta: 0.05, minEngagementDelta: 5 });
    expect(c.changed(0, 0.5, 40, REPEAT)).toBe(true);
    expect(c.changed(0, 0.5, 40, REPEAT)).toBe(false);
    expect(c.changed(0, 0.5499, 44, REPEAT)).toBe(false);
    expect(c.changed(0, 0.4501, 36, REPEAT)).toBe(false);
    expect(c.seq(0)).toBe(1);
    // Unpublished moves are not remembered: the comparison stays against what consumers last saw.
    expect(c.risk(0)).toBeCloseTo(0.5, 6);
  });

  it('publishes when risk moves by at least minRiskDelta, either way, measured from the last published value', () => {
    const c = createScoreChanges({ minRiskDelta: 0.125, minEngagementDelta: 50 });
    expect(c.changed(0, 0.5, 40, REPEAT)).toBe(true);
    expect(c.changed(0, 0.5625, 40, REPEAT)).toBe(false); // drifts half a delta...
    expect(c.changed(0, 0.625, 40, REPEAT)).toBe(true); // ...then a whole one from 0.5: exactly the delta
    expect(c.seq(0)).toBe(2);
    expect(c.changed(0, 0.5, 40, REPEAT)).toBe(true); // down by exactly the delta
    expect(c.changed(0, 0.25, 40, REPEAT)).toBe(true); // down by more
    expect(c.seq(0)).toBe(4);
    expect(c.risk(0)).toBe(0.25);
  });

  it('publishes when engagement moves by at least minEngagementDelta, either way', () => {
    const c = createScoreChanges({ minRiskDelta: 0.5, minEngagementDelta: 5 });
    expect(c.changed(1, 0.25, 40, REPEAT)).toBe(true);
    expect(c.changed(1, 0.25, 44, REPEAT)).toBe(false);
    expect(c.changed(1, 0.25, 45, REPEAT)).toBe(true);
    expect(c.changed(1, 0.25, 41, REPEAT)).toBe(false);
    expect(c.changed(1, 0.25, 40, REPEAT)).toBe(true);
    expect(c.changed(1, 0.25, 100, REPEAT)).toBe(true);
    expect(c.changed(1, 0.25, 0, REPEAT)).toBe(true);
    expect(c.seq(1)).toBe(5);
  });

  it('publishes a move of exactly minRiskDelta for every risk on the 4-decimal grid the payload carries', () => {
    // changedScoreUpdates rounds risks to 4 decimals before comparing, so these are the values that reach it.
    const c = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 100 });
    const missed: string[] = [];
    for (let i = 0; i + 100 <= 10_000; i++) {
      const from = i / 10_000;
      const to = (i + 100) / 10_000;
      c.changed(i, from, 50, REPEAT);
      if (!c.changed(i, to, 50, REPEAT)) missed.push(`${from} -> ${to}`);
    }
    expect(missed.slice(0, 5), `${missed.length} exact-delta moves not published`).toEqual([]);
  });

  it('with zero deltas publishes every re-score, as documented', () => {
    const c = createScoreChanges({ minRiskDelta: 0, minEngagementDelta: 0 });
    expect(c.changed(0, 0.5, 40, REPEAT)).toBe(true);
    expect(c.changed(0, 0.5, 40, REPEAT)).toBe(true);
    expect(c.changed(0, 0.5001, 41, REPEAT)).toBe(true);
    expect(c.seq(0)).toBe(3);
  });

  it('numbers updates from seqBase + 1, per slot, and still reports 0 for a slot never published', () => {
    const base = 1_760_000_000_000 * 1000;
    const c = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 }, base);
    expect(c.seq(0)).toBe(0);
    c.changed(0, 0.25, 10, REPEAT);
    c.changed(0, 0.5, 10, REPEAT);
    c.changed(1, 0.25, 10, REPEAT);
    expect([c.seq(0), c.seq(1), c.seq(2)]).toEqual([base + 2, base + 1, 0]);
    expect(Number.isSafeInteger(c.seq(0))).toBe(true);
  });

  it('always publishes a stage change, however small the score moves', () => {
    const c = createScoreChanges({ minRiskDelta: 0.5, minEngagementDelta: 50 });
    expect(c.changed(2, 0.25, 40, REPEAT)).toBe(true);
    expect(c.changed(2, 0.25, 40, AT_RISK)).toBe(true);
    expect(c.stage(2)).toBe(AT_RISK);
    expect(c.changed(2, 0.25, 40, AT_RISK)).toBe(false);
    expect(c.changed(2, 0.25, 40, REPEAT)).toBe(true);
    expect(c.seq(2)).toBe(3);
  });

  it('keeps an independent sequence per slot', () => {
    const c = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
    c.changed(0, 0.25, 10, REPEAT);
    c.changed(1, 0.25, 10, REPEAT);
    c.changed(0, 0.5, 10, REPEAT);
    c.changed(0, 0.75, 10, REPEAT);
    c.changed(1, 0.25, 10, REPEAT); // unchanged: no seq
    expect([c.seq(0), c.seq(1), c.seq(2)]).toEqual([3, 1, 0]);
  });

  it('grows past its initial capacity without losing what earlier slots published', () => {
    const c = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 }, 0, 4);
    for (let slot = 0; slot < 4; slot++) {
      for (let k = 0; k <= slot; k++) c.changed(slot, k / 8, 10 + slot, STAGES.length - 1 - slot);
    }
    expect(c.capacity).toBe(4);
    expect(c.seq(1000)).toBe(0);
    expect(c.risk(1000)).toBeNaN();
    expect(c.stage(1000)).toBe(-1);

    expect(c.changed(1000, 0.5, 90, AT_RISK)).toBe(true);
    expect(c.capacity).toBeGreaterThan(1000);
    expect(c.seq(1000)).toBe(1);
    for (let slot = 0; slot < 4; slot++) {
      expect(c.seq(slot)).toBe(slot + 1);
      expect(c.risk(slot)).toBe(slot / 8);
      expect(c.stage(slot)).toBe(STAGES.length - 1 - slot);
      // Engagement survived too: the same scores are still "unchanged".
      expect(c.changed(slot, slot / 8, 10 + slot, STAGES.length - 1 - slot)).toBe(false);
    }
    // Slots between the old and the new capacity start empty.
    expect(c.seq(500)).toBe(0);
    expect(c.changed(500, 0.5, 90, AT_RISK)).toBe(true);
    expect(c.seq(500)).toBe(1);
  });
});

describe('changedScoreUpdates', () => {
  const check = TypeCompiler.Compile(ScoreUpdateSchema);
  const model = { name: 'churn-test', version: '7.1.0' };
  const ctx = (eventTime: number) => ({ customerId: (slot: number) => `cust-${slot}`, model, eventTime });
  const columns = (
    rows: Array<{ slot: number; risk: number; engagement: number; stage: number }>,
  ): ScoredColumns => ({
    slots: rows.map((r) => r.slot),
    churnRisk: Float32Array.from(rows.map((r) => r.risk)),
    engagement: Uint8Array.from(rows.map((r) => r.engagement)),
    stage: Uint8Array.from(rows.map((r) => r.stage)),
  });

  it('carries the baseline fields rounded (predictedClv to cents) and leaves a NaN one out', () => {
    const changes = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
    const scored: ScoredColumns = {
      ...columns([
        { slot: 1, risk: 0.2, engagement: 40, stage: 4 },
        { slot: 2, risk: 0.3, engagement: 40, stage: 4 },
      ]),
      pAlive: Float32Array.of(0.87654, 0.5),
      expectedPurchases: Float32Array.of(1.23456, 0.5),
      predictedClv: Float32Array.of(182.4567, Number.NaN),
    };
    const { updates } = changedScoreUpdates(scored, changes, ctx(1));
    expect(updates[0]).toMatchObject({ pAlive: 0.8765, expectedPurchases: 1.235, predictedClv: 182.46 });
    expect(updates[1]).not.toHaveProperty('predictedClv');
    expect(updates[1]).toMatchObject({ pAlive: 0.5 });
    for (const u of updates) expect(check.Check(u)).toBe(true);
  });

  it('builds one update per first-scored slot with the payload fields consumers read', () => {
    const changes = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
    const t = 1_760_000_000_000;
    const { updates, positions } = changedScoreUpdates(
      columns([
        { slot: 7, risk: 0.123456, engagement: 10, stage: 0 },
        { slot: 3, risk: 0.5, engagement: 55, stage: 3 },
        { slot: 12, risk: 0.99999, engagement: 100, stage: 8 },
      ]),
      changes,
      ctx(t),
    );
    expect(positions).toEqual([0, 1, 2]);
    expect(updates).toEqual([
      {
        customerId: 'cust-7',
        seq: 1,
        eventTime: t,
        churnRisk: 0.1235,
        engagement: 10,
        stage: 'awareness',
        segments: [],
        reasons: [],
        model: { name: 'churn-test', version: '7.1.0' },
      },
      {
        customerId: 'cust-3',
        seq: 1,
        eventTime: t,
        churnRisk: 0.5,
        engagement: 55,
        stage: 'first_purchase',
        segments: [],
        reasons: [],
        model: { name: 'churn-test', version: '7.1.0' },
      },
      {
        customerId: 'cust-12',
        seq: 1,
        eventTime: t,
        churnRisk: 1,
        engagement: 100,
        stage: 'churned',
        segments: [],
        reasons: [],
        model: { name: 'churn-test', version: '7.1.0' },
      },
    ]);
    for (const u of updates) expect(check.Errors(u).First()).toBeUndefined();
  });

  it('rounds every churn risk to at most 4 decimals', () => {
    const changes = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
    const risks = Array.from({ length: 200 }, (_, i) => Math.fround((i * 0.0049873) % 1));
    const { updates } = changedScoreUpdates(
      columns(risks.map((risk, slot) => ({ slot, risk, engagement: 1, stage: 1 }))),
      changes,
      ctx(1),
    );
    expect(updates).toHaveLength(200);
    updates.forEach((u, i) => {
      expect(u.churnRisk).toBe(Math.round((risks[i] as number) * 10_000) / 10_000);
      expect(String(u.churnRisk)).toMatch(/^[01](\.\d{1,4})?$/);
    });
  });

  it('publishes only the slots that changed, with their next seq, and returns their batch positions', () => {
    const changes = createScoreChanges({ minRiskDelta: 0.05, minEngagementDelta: 5 });
    const first = [
      { slot: 7, risk: 0.25, engagement: 10, stage: REPEAT },
      { slot: 3, risk: 0.5, engagement: 55, stage: REPEAT },
      { slot: 12, risk: 0.75, engagement: 80, stage: REPEAT },
      { slot: 9, risk: 0.125, engagement: 20, stage: REPEAT },
    ];
    changedScoreUpdates(columns(first), changes, ctx(1000));

    const { updates, positions } = changedScoreUpdates(
      columns([
        { slot: 3, risk: 0.52, engagement: 57, stage: REPEAT }, // below both deltas
        { slot: 7, risk: 0.375, engagement: 10, stage: REPEAT }, // risk moved
        { slot: 9, risk: 0.125, engagement: 20, stage: REPEAT }, // identical
        { slot: 12, risk: 0.75, engagement: 80, stage: AT_RISK }, // stage changed
        { slot: 20, risk: 0.5, engagement: 50, stage: AWARENESS }, // new customer
      ]),
      changes,
      ctx(2000),
    );
    expect(positions).toEqual([1, 3, 4]);
    expect(updates.map((u) => [u.customerId, u.seq, u.churnRisk, u.stage, u.eventTime])).toEqual([
      ['cust-7', 2, 0.375, 'repeat', 2000],
      ['cust-12', 2, 0.75, 'at_risk', 2000],
      ['cust-20', 1, 0.5, 'awareness', 2000],
    ]);
    expect(changes.seq(3)).toBe(1);
    expect(changes.seq(9)).toBe(1);
  });

  it('returns nothing for an empty batch or one where nothing changed', () => {
    const changes = createScoreChanges({ minRiskDelta: 0.05, minEngagementDelta: 5 });
    expect(changedScoreUpdates(columns([]), changes, ctx(1))).toEqual({ updates: [], positions: [] });
    const rows = [{ slot: 0, risk: 0.5, engagement: 50, stage: REPEAT }];
    expect(changedScoreUpdates(columns(rows), changes, ctx(1)).updates).toHaveLength(1);
    expect(changedScoreUpdates(columns(rows), changes, ctx(2))).toEqual({ updates: [], positions: [] });
  });
});
