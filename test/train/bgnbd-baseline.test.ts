import { describe, it, expect } from 'vitest';
import { bgnbdPAlive, bgnbdProbNoPurchase } from '../../src/score/bgnbd.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';
import { PURCHASE_STRIDE, purchaseSummary } from '../../src/train/customer-summaries.js';
import {
  SPLIT_TRAIN,
  fitBgNbdBaseline,
  probNoTransaction,
  replayTrainingSet,
  rfmColumns,
  simulatorTrainingSource,
} from '../../src/train/index.js';

const START = Date.UTC(2025, 0, 1);
const DAYS = 120;
const sim = createSimulator({ customers: 400, seed: 12, startMs: START });
// Each customer's purchase times, in order: the history the summaries must agree with.
const purchases = new Map<string, number[]>();
for (const e of sim.eventsBetween(START, START + DAYS * DAY_MS)) {
  if (e.type === 'purchase') purchases.set(e.customerId, [...(purchases.get(e.customerId) ?? []), e.ts]);
}
const set = await replayTrainingSet(simulatorTrainingSource(sim, DAYS), { cutoffDays: [40, 60], seed: 12 });
const rowSummaries = new Float32Array(set.rows * PURCHASE_STRIDE);
for (let r = 0; r < set.rows; r++)
  purchaseSummary(set.x, r * FEATURE_COUNT, rowSummaries, r * PURCHASE_STRIDE);
const all = Int32Array.from({ length: set.rows }, (_, r) => r);
const utcDays = (times: number[]): number => new Set(times.map((t) => Math.floor(t / DAY_MS))).size;

describe('purchase summaries', () => {
  it('are x = purchase days - 1, tx and T in days, exactly as the purchase history says', () => {
    let buyers = 0;
    for (let r = 0; r < set.rows; r++) {
      const id = set.customerIds[set.customer[r]!]!;
      const cut = set.cutoffMs[r]!;
      const buys = (purchases.get(id) ?? []).filter((ts) => ts < cut);
      const o = r * PURCHASE_STRIDE;
      if (buys.length === 0) {
        expect(rowSummaries[o]).toBe(-1);
        continue;
      }
      buyers++;
      const days = (ms: number): number => ms / DAY_MS;
      expect(rowSummaries[o]).toBe(utcDays(buys) - 1);
      expect(rowSummaries[o + 1]).toBeCloseTo(utcDays(buys) > 1 ? days(buys.at(-1)! - buys[0]!) : 0, 2);
      expect(rowSummaries[o + 2]).toBeCloseTo(days(cut - buys[0]!), 2);
    }
    expect(buyers).toBeGreaterThan(50);
  });

  it('at the end of the window cover every customer who bought, rows or not', () => {
    const end = set.summaries.end;
    expect(end.count).toBe(set.customerIds.length);
    let bought = 0;
    for (let i = 0; i < end.count; i++) {
      const buys = purchases.get(set.customerIds[i]!) ?? [];
      expect(end.purchase[i * PURCHASE_STRIDE]).toBe(buys.length === 0 ? -1 : utcDays(buys) - 1);
      if (buys.length > 0) bought++;
    }
    expect(bought).toBeGreaterThan(new Set(Array.from(set.customer)).size / 2);
  });
});

describe('the BG/NBD baseline', () => {
  const end = set.summaries.end;
  const train = Int32Array.from({ length: end.count }, (_, i) => i).filter(
    (i) => set.customerSplit[i] === SPLIT_TRAIN,
  );
  const fit = fitBgNbdBaseline(end.purchase, PURCHASE_STRIDE, train)!;

  it('is fitted on one summary per training customer who bought, with standard errors', () => {
    let buyers = 0;
    for (const i of train) if (end.purchase[i * PURCHASE_STRIDE]! >= 0) buyers++;
    expect(fit.customers).toBe(buyers);
    for (const v of Object.values(fit.params)) expect(v).toBeGreaterThan(0);
    for (const v of Object.values(fit.standardErrors)) expect(v).toBeGreaterThan(0);
  });

  it('scores P(no purchase within the horizon), which ranks one-time buyers (1 - P(alive) cannot)', () => {
    const scores = probNoTransaction(fit.params, rowSummaries, PURCHASE_STRIDE, all, 30);
    const rfm = rfmColumns(rowSummaries, PURCHASE_STRIDE, all);
    const oneTime: number[] = [];
    for (let r = 0; r < set.rows; r++) {
      const [x, tx, T] = [rfm.x[r]!, rfm.tx[r]!, rfm.T[r]!];
      expect(scores[r]).toBeCloseTo(bgnbdProbNoPurchase(fit.params, 30 / 7, x, tx, T), 12);
      if (x === 0 && rowSummaries[r * PURCHASE_STRIDE] === 0) {
        expect(1 - bgnbdPAlive(fit.params, x, tx, T)).toBe(0);
        oneTime.push(scores[r]!);
      }
    }
    expect(oneTime.length).toBeGreaterThan(10);
    // Older one-time buyers are more likely to stay silent: the scores spread instead of all being 0.
    expect(Math.max(...oneTime) - Math.min(...oneTime)).toBeGreaterThan(0.05);
  });
});
