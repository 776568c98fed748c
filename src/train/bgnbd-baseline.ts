/**
 * The probabilistic baselines of a training run, fitted as the literature does: one summary per customer over
 * every customer who transacted (lapsed ones included) at the end of the fitting window, never the training
 * rows (one customer repeated at every cut-off, active ones only). Scored fairly: a churn label is "no
 * transaction within the horizon", so the baseline's score is BG/NBD's P(no transaction in (T, T + horizon]),
 * not 1 - P(alive) (which is 0 for every one-time buyer). Time unit: weeks (alpha is per week).
 */
import { bgnbdProbNoPurchase, type BgNbdParams } from '../score/bgnbd.js';
import type { GammaGammaParams } from '../score/gamma-gamma.js';
import { fitBgNbd } from './bgnbd-fit.js';
import { fitGammaGamma } from './gamma-gamma-fit.js';

/** BG/NBD's time unit in days: x, tx and T are in weeks. */
export const BGNBD_TIME_UNIT_DAYS = 7;

/** Per customer or row: repeat transactions x, time of the last one tx and age T, weeks since the first. */
export interface RfmColumns {
  readonly x: Float64Array;
  readonly tx: Float64Array;
  readonly T: Float64Array;
}

/**
 * BG/NBD columns (weeks) of summaries in days (`stride` floats each: x, tx, T first; x = -1 for a customer
 * with no transaction) at `indexes`. `transactedOnly`: leave out those without a transaction (fitting); else
 * they are scored as acquired at the summary's T with none since (x = tx = 0).
 */
export function rfmColumns(
  summaries: Float32Array,
  stride: number,
  indexes: ArrayLike<number>,
  transactedOnly = false,
): RfmColumns {
  const pick: number[] = [];
  for (let k = 0; k < indexes.length; k++) {
    if (!transactedOnly || summaries[indexes[k]! * stride]! >= 0) pick.push(indexes[k]!);
  }
  const out = {
    x: new Float64Array(pick.length),
    tx: new Float64Array(pick.length),
    T: new Float64Array(pick.length),
  };
  pick.forEach((i, k) => {
    const o = i * stride;
    const T = summaries[o + 2]! / BGNBD_TIME_UNIT_DAYS;
    out.T[k] = T;
    if (summaries[o]! < 0) return;
    out.x[k] = summaries[o]!;
    out.tx[k] = Math.min(T, Math.max(0, summaries[o + 1]! / BGNBD_TIME_UNIT_DAYS));
  });
  return out;
}

/** Fitted BG/NBD parameters with their standard errors. */
export interface BgNbdBaseline {
  readonly params: BgNbdParams;
  readonly standardErrors: BgNbdParams;
  readonly logLikelihood: number;
  /** Customers the fit used. */
  readonly customers: number;
}

/** Fits BG/NBD on the customers `indexes` of a summary table; undefined when nothing identifiable was fitted. */
export function fitBgNbdBaseline(
  summaries: Float32Array,
  stride: number,
  indexes: ArrayLike<number>,
): BgNbdBaseline | undefined {
  const fit = fitBgNbd(rfmColumns(summaries, stride, indexes, true));
  const params = { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b };
  if (!Object.values(params).every((v) => Number.isFinite(v) && v > 0)) return undefined;
  return {
    params,
    standardErrors: fit.standardErrors,
    logLikelihood: fit.logLikelihood,
    customers: fit.customers,
  };
}

/** P(no transaction within `horizonDays` after the summary's time) per index: the fair churn baseline. */
export function probNoTransaction(
  params: BgNbdParams,
  summaries: Float32Array,
  stride: number,
  indexes: ArrayLike<number>,
  horizonDays: number,
): Float64Array {
  const { x, tx, T } = rfmColumns(summaries, stride, indexes);
  const t = horizonDays / BGNBD_TIME_UNIT_DAYS;
  return Float64Array.from(x, (xi, k) => bgnbdProbNoPurchase(params, t, xi, tx[k]!, T[k]!));
}

/** Fitted Gamma-Gamma spend parameters with their standard errors. */
export interface SpendBaseline {
  readonly params: GammaGammaParams;
  readonly standardErrors: GammaGammaParams;
  readonly logLikelihood: number;
  readonly customers: number;
  /** corr(x, m_x) over the fitted customers: Gamma-Gamma's independence assumption, checked. */
  readonly frequencySpendCorrelation: number;
}

/**
 * Fits Gamma-Gamma on the purchase summaries (x, tx, T, m_x) of customers `indexes` with at least one repeat
 * purchase day; undefined when the fit is not usable (q <= 1 has no finite mean spend).
 */
export function fitSpendBaseline(
  purchases: Float32Array,
  stride: number,
  indexes: ArrayLike<number>,
): SpendBaseline | undefined {
  const x: number[] = [];
  const mx: number[] = [];
  for (let k = 0; k < indexes.length; k++) {
    const o = indexes[k]! * stride;
    if (purchases[o]! >= 1 && purchases[o + 3]! > 0) {
      x.push(purchases[o]!);
      mx.push(purchases[o + 3]!);
    }
  }
  const fit = fitGammaGamma({ x: Float64Array.from(x), mx: Float64Array.from(mx) });
  const params = { p: fit.p, q: fit.q, gamma: fit.gamma };
  if (!(params.p > 0 && params.q > 1 && params.gamma > 0 && Number.isFinite(params.p * params.gamma))) {
    return undefined;
  }
  return {
    params,
    standardErrors: fit.standardErrors,
    logLikelihood: fit.logLikelihood,
    customers: fit.customers,
    frequencySpendCorrelation: pearson(x, mx),
  };
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / n;
  const [ma, mb] = [mean(a), mean(b)];
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
