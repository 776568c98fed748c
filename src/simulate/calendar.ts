/**
 * The simulator's calendar: weekly and annual seasonality of activity, and the dates of the brand's price rises.
 * Everything here is a function of UTC calendar time only, so every customer sees the same season on the same day
 * and the figures do not depend on where a simulation starts.
 */

/**
 * Activity by UTC weekday, Sunday first: weekends are busier, early weekdays quieter. The mean is about 1, so a
 * week holds the same activity as without the weekly pattern.
 */
const WEEKDAY_FACTOR = [1.18, 0.92, 0.93, 0.95, 0.97, 1.0, 1.22];

/**
 * Activity by month at mid-month, January first: a post-holiday lull in January, a summer dip in July and
 * August, and the November-December shopping peak (Black Friday to Christmas). Interpolated linearly between
 * mid-months, so the season moves a little every day rather than jumping on the 1st.
 */
const MONTH_FACTOR = [0.9, 0.94, 1.0, 1.02, 1.0, 0.93, 0.84, 0.86, 1.0, 1.04, 1.22, 1.3];

/**
 * Price rises take effect on these (month 0-based, day) dates every year. The engine never sees them: only
 * order values drift up by {@link PRICE_RISE_STEP} after each, and price-sensitive customers' churn hazard jumps.
 */
const PRICE_RISE_DATES: readonly (readonly [number, number])[] = [
  [2, 1], // 1 March
  [8, 1], // 1 September
];

/** Relative price increase of each rise. */
export const PRICE_RISE_STEP = 0.04;

/** Weekly × annual activity multiplier of the UTC day starting at `dayStartMs` (any ms within the day works). */
export function seasonalActivity(dayStartMs: number): number {
  const d = new Date(dayStartMs);
  return (WEEKDAY_FACTOR[d.getUTCDay()] ?? 1) * annualFactor(d);
}

function annualFactor(d: Date): number {
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const mid = (y: number, m: number): number => Date.UTC(y, m, 15);
  // Interpolate between the mid-months either side of the day.
  const t = d.getTime();
  const [m0, y0] = t >= mid(year, month) ? [month, year] : month === 0 ? [11, year - 1] : [month - 1, year];
  const [m1, y1] = m0 === 11 ? [0, y0 + 1] : [m0 + 1, y0];
  const from = mid(y0, m0);
  const w = (t - from) / (mid(y1, m1) - from);
  return (MONTH_FACTOR[m0] ?? 1) * (1 - w) + (MONTH_FACTOR[m1] ?? 1) * w;
}

/** Times (epoch ms, UTC midnight) of the price rises in [fromMs, toMs), ascending. */
export function priceRisesBetween(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  if (!(toMs > fromMs)) return out;
  const first = new Date(fromMs).getUTCFullYear();
  const last = new Date(toMs).getUTCFullYear();
  for (let y = first; y <= last; y++) {
    for (const [m, day] of PRICE_RISE_DATES) {
      const t = Date.UTC(y, m, day);
      if (t >= fromMs && t < toMs) out.push(t);
    }
  }
  return out;
}

/**
 * The price level at `ms` relative to `startMs` (1 at the start, ×(1 + {@link PRICE_RISE_STEP}) per rise since):
 * order values follow it, the one trace of a price rise the engine can observe.
 */
export function priceLevel(startMs: number, ms: number): number {
  return (1 + PRICE_RISE_STEP) ** priceRisesBetween(startMs, ms + 1).length;
}
