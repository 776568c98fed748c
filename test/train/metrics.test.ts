import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { brierScore, logLoss, prAuc, rocAuc } from '../../src/train/index.js';

// Scores from a small set so ties are frequent; labels 0/1.
const sample = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1 })), {
    minLength: 1,
    maxLength: 60,
  })
  .map((rows) => ({ scores: rows.map(([s]) => s / 6), labels: rows.map(([, l]) => l) }));

/** P(score of a positive > score of a negative) + half the ties, by enumerating every pair. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (labels[i] !== 1 || labels[j] !== 0) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return pairs === 0 ? NaN : wins / pairs;
}

/** Average precision from its definition: sum over distinct thresholds of (recall step) × precision. */
function thresholdAp(scores: number[], labels: number[]): number {
  const total = labels.filter((l) => l === 1).length;
  if (total === 0) return NaN;
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  let ap = 0;
  let prevRecall = 0;
  for (const t of thresholds) {
    const admitted = scores.map((s, i) => ({ s, l: labels[i] })).filter((x) => x.s >= t);
    const tp = admitted.filter((x) => x.l === 1).length;
    const recall = tp / total;
    ap += (recall - prevRecall) * (tp / admitted.length);
    prevRecall = recall;
  }
  return ap;
}

describe('rocAuc', () => {
  it('equals the pairwise win rate, ties counted half', () => {
    fc.assert(
      fc.property(sample, ({ scores, labels }) => {
        const got = rocAuc(scores, labels);
        const want = pairwiseAuc(scores, labels);
        if (Number.isNaN(want)) expect(got).toBeNaN();
        else expect(got).toBeCloseTo(want, 10);
      }),
    );
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });
});

describe('prAuc', () => {
  it('equals average precision over distinct thresholds', () => {
    fc.assert(
      fc.property(sample, ({ scores, labels }) => {
        const got = prAuc(scores, labels);
        const want = thresholdAp(scores, labels);
        if (Number.isNaN(want)) expect(got).toBeNaN();
        else expect(got).toBeCloseTo(want, 10);
      }),
    );
  });

  it('falls to the positive rate when every score is the same', () => {
    expect(prAuc([0.3, 0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1, 0])).toBeCloseTo(2 / 5, 12);
  });
});

describe('calibration metrics', () => {
  it('score perfect probabilities 0 and penalise confident mistakes most', () => {
    const labels = [1, 0, 1, 0];
    expect(brierScore([1, 0, 1, 0], labels)).toBe(0);
    expect(brierScore([0.5, 0.5, 0.5, 0.5], labels)).toBeCloseTo(0.25, 12);
    expect(brierScore([0, 1, 0, 1], labels)).toBe(1);
    expect(logLoss([0.5, 0.5, 0.5, 0.5], labels)).toBeCloseTo(Math.LN2, 12);
    expect(logLoss([0.9, 0.1, 0.9, 0.1], labels)).toBeLessThan(logLoss([0.6, 0.4, 0.6, 0.4], labels));
    expect(Number.isFinite(logLoss([0, 1], [1, 0]))).toBe(true);
  });
});
