/**
 * Predicted customer lifetime value over a horizon: BG/NBD's expected transactions times Gamma-Gamma's
 * expected spend per transaction, optionally discounted period by period (the convention of lifetimes'
 * customer_lifetime_value). Multiplying the two is what the Gamma-Gamma model's independence of spend from
 * the transaction process allows.
 */
import { bgnbdExpectedPurchases, type BgNbdParams } from './bgnbd.js';
import { ggExpectedSpend, type GammaGammaParams } from './gamma-gamma.js';

/**
 * Most discounting periods one call will sum (each costs one {@link bgnbdExpectedPurchases}); more is NaN,
 * so a mistaken unit (a 10-year horizon cut into seconds) cannot stall the per-customer scorer.
 */
export const CLV_MAX_PERIODS = 10_000;

/** How {@link predictedClv} discounts: compound interest once per period. */
export interface ClvDiscount {
  /** Discount rate per period (0.01 = 1% per period); > -1. */
  readonly ratePerPeriod: number;
  /** Length of one period, in BG/NBD's time unit (> 0). */
  readonly periodLength: number;
}

/**
 * The value a customer is expected to bring in the next `horizon` time units (BG/NBD's unit; x, tx, T as in
 * BG/NBD, mx the mean value of the x repeat transactions, ignored when x = 0).
 * - Without `discount`: E[X(T, T + horizon) | x, tx, T] * E(M | x, m_x).
 * - With `discount`: the horizon is cut into periods of `periodLength` (the last one partial), and period
 *   i = 1, 2, ... contributes its increment of expected purchases times E(M), divided by
 *   (1 + ratePerPeriod)^i: cash is counted at the end of the period it falls in, as lifetimes does.
 * 0 for horizon 0. NaN for bad input: any of BG/NBD's or Gamma-Gamma's (notably q <= 1, where the expected
 * spend does not exist), horizon < 0 or not finite, a bad discount, or more than {@link CLV_MAX_PERIODS}
 * periods. Scalar, no allocation: it runs per scored customer.
 */
export function predictedClv(
  bg: BgNbdParams,
  gg: GammaGammaParams,
  horizon: number,
  x: number,
  tx: number,
  T: number,
  mx: number,
  discount?: ClvDiscount,
): number {
  const spend = ggExpectedSpend(gg, x, mx);
  if (!(horizon >= 0 && horizon < Infinity) || Number.isNaN(spend)) return NaN;
  if (discount === undefined) return bgnbdExpectedPurchases(bg, horizon, x, tx, T) * spend;
  const { ratePerPeriod: rate, periodLength: len } = discount;
  if (!(rate > -1 && rate < Infinity && len > 0 && len < Infinity)) return NaN;
  const periods = Math.ceil(horizon / len);
  if (!(periods <= CLV_MAX_PERIODS)) return NaN;
  const factor = 1 / (1 + rate);
  let before = 0; // E[X] at the end of the previous period
  let weight = 1; // (1 + rate)^-i, carried as a running product: one multiply per period
  let sum = 0;
  for (let i = 1; i <= periods; i++) {
    const after = bgnbdExpectedPurchases(bg, Math.min(i * len, horizon), x, tx, T);
    weight *= factor;
    sum += (after - before) * weight;
    before = after;
  }
  // Bad BG/NBD input surfaces as NaN here; a horizon of 0 (no period) is checked against it too.
  return periods === 0 ? bgnbdExpectedPurchases(bg, 0, x, tx, T) * spend : sum * spend;
}
