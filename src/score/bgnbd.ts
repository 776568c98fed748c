/**
 * BG/NBD ("beta-geometric / negative binomial distribution") closed forms of Fader, Hardie & Lee (2005),
 * "Counting Your Customers the Easy Way": the probabilistic baseline beside the learned churn model.
 *
 * A customer's summary is (x, tx, T): x repeat purchases, the last of them at tx after the first purchase,
 * and age T since the first purchase (0 <= tx <= T; tx = 0 when x = 0), all in the time unit of `alpha`.
 * Every function here is scalar in, scalar out: no allocation per call, so it can run per scored customer.
 * Bad input (a parameter <= 0, tx outside [0, T], negative x or t, non-finite values) gives NaN, never a throw.
 */

/** BG/NBD parameters: purchase rate lambda ~ Gamma(shape r, rate alpha), dropout p ~ Beta(a, b). */
export interface BgNbdParams {
  /** Shape of the gamma distribution of purchase rates (> 0). */
  readonly r: number;
  /** Rate (scale) of that gamma distribution, in the caller's time unit (days, weeks...) (> 0). */
  readonly alpha: number;
  /** First shape of the beta distribution of the dropout probability after each repeat purchase (> 0). */
  readonly a: number;
  /** Second shape of that beta distribution (> 0). */
  readonly b: number;
}

/** Relative tolerance at which the hypergeometric series stop (a rigorous bound on the dropped tail). */
const SERIES_TOL = 1e-14;
/** Series terms allowed before giving up (NaN): reached only for z within ~1e-5 of 1 (see {@link hyp2f1}). */
const MAX_TERMS = 1_000_000;

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln |Gamma(x)| for real x (Lanczos, g = 7, 9 terms; reflection below 0.5). About 1e-15 relative accuracy
 * away from the poles; +Infinity at 0 and the negative integers.
 */
export function lnGamma(x: number): number {
  if (x < 0.5) {
    const s = Math.sin(Math.PI * x);
    return s === 0 ? Infinity : Math.log(Math.PI / Math.abs(s)) - lnGamma(1 - x);
  }
  const y = x - 1;
  let sum: number = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (y + i);
  const t = y + LANCZOS_G + 0.5;
  return HALF_LN_2PI + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * Sums the hypergeometric-type series sum_{k >= n} term_k from `term` = term_n, where
 * term_{k+1} = term_k * (p + k)(q + k) z / ((c + k)(k + 1)), for 0 <= z < 1 and p + q < c + 1.
 * Once k >= k0 (the point past which |(p + k)(q + k)| <= (c + k)(k + 1)), every later ratio is at most z, so
 * the tail after term_k is at most |term_k| z / (1 - z): the loop stops when that bound is below
 * SERIES_TOL * |sum|. Geometric at rate z, so about ln(SERIES_TOL) / ln(z) terms past the hump (z = 0.9: ~300).
 */
function series(term: number, n: number, p: number, q: number, c: number, z: number): number {
  if (term === 0 || z === 0) return term;
  const k0 = Math.max((p * q - c) / (c + 1 - p - q), -p, -q, -c, 0);
  const tailFactor = z / (1 - z);
  let sum = term;
  for (let k = n; k < n + MAX_TERMS; k++) {
    term *= (((p + k) * (q + k)) / ((c + k) * (k + 1))) * z;
    sum += term;
    // An exactly zero term means p or q is a non-positive integer: the series is a polynomial and has ended.
    if (term === 0 || (k + 1 >= k0 && Math.abs(term) * tailFactor <= SERIES_TOL * Math.abs(sum))) return sum;
  }
  return NaN;
}

/**
 * Gauss hypergeometric function 2F1(a, b; c; z) for real parameters and real z < 1 (c not 0, -1, -2...).
 * z < 0 goes through Pfaff's transformation 2F1(a, b; c; z) = (1 - z)^-a 2F1(a, c - b; c; z / (z - 1)),
 * whose argument is in (0, 1). On [0, 1) the series terms behave like k^(a + b - c - 1) z^k; when
 * a + b > c (slow, and growing towards z -> 1) Euler's transformation
 * 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z) is summed instead, whose terms decay like
 * k^(c - a - b - 1) z^k. Either way the sum converges geometrically at rate z: ~ln(1e-14) / ln(z) terms
 * (z = 0.5: ~50, 0.9: ~300, 0.99: ~3,000); NaN when it needs more than 1e6 (z > ~0.99997) or for bad input.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z < 1) || !Number.isFinite(a + b + c) || (c <= 0 && Number.isInteger(c))) return NaN;
  if (z < 0) return Math.pow(1 - z, -a) * hyp2f1NonNegative(a, c - b, c, z / (z - 1));
  return hyp2f1NonNegative(a, b, c, z);
}

function hyp2f1NonNegative(a: number, b: number, c: number, z: number): number {
  if (a + b > c) return Math.pow(1 - z, c - a - b) * series(1, 0, c - a, c - b, c, z);
  return series(1, 0, a, b, c, z);
}

function badParams(p: BgNbdParams): boolean {
  return !(p.r > 0 && p.alpha > 0 && p.a > 0 && p.b > 0) || !Number.isFinite(p.r + p.alpha + p.a + p.b);
}

function badSummary(x: number, tx: number, T: number): boolean {
  return !(x >= 0 && tx >= 0 && tx <= T && T < Infinity) || (x > 0 && x < 1);
}

/**
 * ln of the odds that the customer has dropped out: ln[a / (b + x - 1) * ((alpha + T) / (alpha + tx))^(r + x)]
 * for x > 0 (the ratio of eq. 6's two terms); -Infinity for x = 0 (never dropped out).
 */
function lnDropoutOdds(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return -Infinity;
  // log1p of the relative gap, rather than a difference of two logs, keeps precision when T - tx is small.
  return Math.log(p.a / (p.b + x - 1)) + (p.r + x) * Math.log1p((T - tx) / (p.alpha + tx));
}

/**
 * P(alive | x, tx, T): the probability that a customer with x repeat purchases, the last at tx, is still
 * active at age T (Fader, Hardie & Lee 2005, sect. 5). 1 when x = 0 (the model lets a
 * customer drop out only after a repeat purchase); rises with tx, falls with T. NaN for bad input.
 */
export function bgnbdPAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (badParams(p) || badSummary(x, tx, T)) return NaN;
  return 1 / (1 + Math.exp(lnDropoutOdds(p, x, tx, T)));
}

/**
 * E[X(T, T + t) | x, tx, T]: purchases expected in the next `t` time units (eq. 10), 0 for t = 0.
 * Eq. 10 needs 2F1(r + x, b + x; a + b + x - 1; u) with u = t / (alpha + T + t), scaled by (1 - u)^(r + x).
 * Euler's transformation turns that product into (1 - u)^(a - 1) H with
 * H = 2F1(a + b - 1 - r, a - 1; a + b + x - 1; u), whose terms shrink faster the more purchases (x only in c),
 * and H - 1 has the factor (a - 1) in every term: dividing it out by hand removes eq. 10's 0/0 at a = 1.
 * Cost: ~ln(1e-14) / ln(u) series terms (see {@link hyp2f1}); NaN for bad input or u > ~0.99997.
 */
export function bgnbdExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (badParams(p) || badSummary(x, tx, T) || !(t >= 0 && t < Infinity)) return NaN;
  if (t === 0) return 0;
  const { r, alpha, a, b } = p;
  const u = t / (alpha + T + t);
  const lnV = -Math.log1p(t / (alpha + T)); // ln(1 - u), exact for large t where 1 - u would round
  const c = a + b + x - 1;
  const y = (a - 1) * lnV;
  // S = (H - 1) / (a - 1) = sum_{k>=1} (a+b-1-r)_k (a)_{k-1} / ((c)_k k!) u^k: same ratios as H's series.
  const s = series(((a + b - 1 - r) / c) * u, 1, a + b - 1 - r, a - 1, c, u);
  // (1 - G) / (a - 1) with G = (1 - u)^(a - 1) (1 + (a - 1) S); expm1(y) / y -> 1 as a -> 1.
  const e1 = y === 0 ? 1 : Math.expm1(y) / y;
  const oneMinusGOverAm1 = -lnV * e1 - Math.exp(y) * s;
  return (c * oneMinusGOverAm1) / (1 + Math.exp(lnDropoutOdds(p, x, tx, T)));
}

/**
 * P(X(T, T + t) = 0 | x, tx, T): the probability of no purchase in the next `t` time units; 1 at t = 0,
 * falling with t towards 1 - P(alive) (a customer who has dropped out never buys again).
 *
 * Derivation. Given lambda and p, the individual likelihood of (x, tx, T) is
 * (1 - p)^x lambda^x e^(-lambda T) (alive at T) + [x > 0] p (1 - p)^(x - 1) lambda^x e^(-lambda tx)
 * (dropped out right after the purchase at tx). The joint likelihood of (x, tx, T) AND no purchase in
 * (T, T + t] multiplies the alive term by e^(-lambda t) and leaves the dropped-out term as it is: that is the
 * individual likelihood of (x, tx, T + t). Both sides integrated over the priors of lambda and p,
 * P(zero | x, tx, T) = L(x, tx, T + t) / L(x, tx, T) = exp(LL(x, tx, T + t) - LL(x, tx, T)).
 * Written out with eq. 6, the ratio is 1 - P(alive) (1 - ((alpha + T) / (alpha + T + t))^(r + x)): the
 * posterior of lambda of a customer alive at T is Gamma(r + x, rate alpha + T), whose Laplace transform
 * at t is that power. That form is computed (expm1 / log1p, so short horizons keep full precision rather
 * than a difference of two close log-likelihoods). Constant cost; NaN for bad input or t < 0.
 */
export function bgnbdProbNoPurchase(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (badParams(p) || badSummary(x, tx, T) || !(t >= 0 && t < Infinity)) return NaN;
  const pAlive = 1 / (1 + Math.exp(lnDropoutOdds(p, x, tx, T)));
  // 1 - ((alpha + T) / (alpha + T + t))^(r + x) = -expm1(-(r + x) ln(1 + t / (alpha + T))).
  const buysIfAlive = -Math.expm1(-(p.r + x) * Math.log1p(t / (p.alpha + T)));
  return 1 - pAlive * buysIfAlive;
}

/**
 * The log-likelihood of one customer's (x, tx, T) (eq. 6), summed in log space so it stays finite for
 * hundreds of purchases or long ages: ln Gamma(r + x) - ln Gamma(r) + r ln alpha + ln B(a, b + x) - ln B(a, b)
 * + ln[(alpha + T)^-(r + x) + [x > 0] a / (b + x - 1) (alpha + tx)^-(r + x)]. NaN for bad input.
 */
export function bgnbdLogLikelihood(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (badParams(p) || badSummary(x, tx, T)) return NaN;
  const { r, alpha, a, b } = p;
  const a1 = lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha);
  const a2 = lnGamma(a + b) + lnGamma(b + x) - lnGamma(b) - lnGamma(a + b + x);
  const a3 = -(r + x) * Math.log(alpha + T);
  // ln(e^a3 + e^a4) = a3 + log1p(e^(a4 - a3)), and a4 - a3 is exactly lnDropoutOdds.
  const odds = lnDropoutOdds(p, x, tx, T);
  return a1 + a2 + a3 + (odds > 0 ? odds + Math.log1p(Math.exp(-odds)) : Math.log1p(Math.exp(odds)));
}
