/**
 * The Gamma-Gamma model of monetary value (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value";
 * the model of lifetimes' GammaGammaFitter): the spend-per-transaction half of a customer-lifetime-value
 * prediction, beside BG/NBD's transaction counts.
 *
 * Each transaction's value z ~ Gamma(shape p, rate nu) around a customer's mean p / nu, and nu varies across
 * customers as Gamma(shape q, rate gamma). A customer is summarised by x (repeat transactions with a value)
 * and m_x (the mean of those x values). The model assumes spend is independent of the transaction process,
 * which is what lets a CLV multiply the two predictions. Scalar in, scalar out, no allocation; bad input is
 * NaN, never a throw.
 */
import { lnGamma } from './bgnbd.js';

/** Gamma-Gamma parameters (all > 0; the population's mean spend p gamma / (q - 1) exists only for q > 1). */
export interface GammaGammaParams {
  /** Shape of the gamma distribution of one customer's transaction values. */
  readonly p: number;
  /** Shape of the gamma distribution, across customers, of the rate nu of those values. */
  readonly q: number;
  /** Rate of that distribution of nu, in money units (a scale of spend). */
  readonly gamma: number;
}

function badParams(g: GammaGammaParams): boolean {
  return !(g.p > 0 && g.q > 0 && g.gamma > 0) || !Number.isFinite(g.p + g.q + g.gamma);
}

/** A usable customer summary: x >= 1 values whose mean is positive and finite. */
function goodSummary(x: number, mx: number): boolean {
  return x >= 1 && x < Infinity && mx > 0 && mx < Infinity;
}

/**
 * E(M | x, m_x): the expected value of this customer's future transactions (Fader & Hardie 2013, eq. 3),
 * p (gamma + x m_x) / (p x + q - 1). It is a weighted mean of the population mean p gamma / (q - 1) and the
 * customer's own m_x, the weight on m_x being p x / (p x + q - 1): the more transactions, the more the
 * customer's own mean counts. For x = 0 (no repeat transaction: `mx` is then ignored) it is the population
 * mean. Needs q > 1 (the mean of 1 / nu is infinite otherwise), so q <= 1 is NaN, as is any other bad input
 * (a parameter <= 0, x < 0 or 0 < x < 1, m_x <= 0 when x >= 1, non-finite values).
 */
export function ggExpectedSpend(g: GammaGammaParams, x: number, mx: number): number {
  if (badParams(g) || !(g.q > 1)) return NaN;
  if (x === 0) return (g.p * g.gamma) / (g.q - 1);
  if (!goodSummary(x, mx)) return NaN;
  return (g.p * (g.gamma + x * mx)) / (g.p * x + g.q - 1);
}

/**
 * ln f(m_x | x): the log-density of one customer's mean value m_x of x >= 1 transactions (Fader & Hardie 2013,
 * eq. 1 with nu integrated out; the sum of x Gamma(p, nu) values is Gamma(p x, nu)):
 * ln Gamma(p x + q) - ln Gamma(p x) - ln Gamma(q) + q ln gamma + (p x - 1) ln m_x + p x ln x
 * - (p x + q) ln(gamma + x m_x). The per-customer term of lifetimes' GammaGammaFitter. Any q > 0 is
 * allowed here (a fit may land on q <= 1). NaN for bad input, including x = 0 (nothing to explain).
 */
export function ggLogLikelihood(g: GammaGammaParams, x: number, mx: number): number {
  if (badParams(g) || !goodSummary(x, mx)) return NaN;
  const { p, q, gamma } = g;
  const px = p * x;
  return (
    lnGamma(px + q) -
    lnGamma(px) -
    lnGamma(q) +
    q * Math.log(gamma) +
    (px - 1) * Math.log(mx) +
    px * Math.log(x) -
    (px + q) * Math.log(gamma + x * mx)
  );
}
