/**
 * When a customer's rule thresholds on clock features (`days_since_*`, tenure) and its windows next change
 * without any event: the deadline the scheduler in timers.ts waits for.
 */
import { featureIndex, FEATURE_NAMES } from '../state/feature-catalog.js';
import { RECENCY_CAP_DAYS, TENURE_CAP_DAYS } from '../state/compute-features.js';
import { DAY_MS, WINDOW_1D, WINDOW_30D, WINDOW_7D, WINDOW_90D } from '../state/windows.js';
import type { WindowSpec } from '../state/windows.js';

/** A rule threshold on a clock feature: the rule can flip when `feature` reaches `days`. */
export interface DeadlineThreshold {
  /** A `days_since_*` feature (or `tenure_days`): one that grows by one per day of event time. */
  readonly feature: string;
  /** Threshold in days (fractional: 1 h = 1 / 24). */
  readonly days: number;
}

/** Cap of each clock feature (it stops growing there), by vector position; `days_since_*` and tenure. */
const CLOCK_CAPS = new Map<number, number>();
for (const [i, name] of FEATURE_NAMES.entries()) {
  if (name === 'tenure_days' || name === 'days_since_first_purchase') CLOCK_CAPS.set(i, TENURE_CAP_DAYS);
  else if (name.startsWith('days_since_')) CLOCK_CAPS.set(i, RECENCY_CAP_DAYS);
}
// days_since_first_purchase reads 0 and stays 0 while there is no purchase: not a clock then.
const FIRST_PURCHASE = featureIndex('days_since_first_purchase');
const PURCHASES = featureIndex('purchases_lifetime');

/** Whether a threshold on `name` can be timed by {@link nextDeadline} (for validating rule configuration). */
export function isClockFeature(name: string): boolean {
  return CLOCK_CAPS.has(featureIndex(name));
}

/**
 * Tile width (ms) of the level behind each windowed feature (`*_1d`, `*_7d`, `*_30d`, `*_90d`), by vector
 * position, from the window specs so a change of level in windows.ts carries over.
 */
const WINDOWED: { readonly index: number; readonly tileMs: number }[] = [];
const BY_SUFFIX: Record<string, WindowSpec> = {
  '1d': WINDOW_1D,
  '7d': WINDOW_7D,
  '30d': WINDOW_30D,
  '90d': WINDOW_90D,
};
for (const [i, name] of FEATURE_NAMES.entries()) {
  const spec = BY_SUFFIX[/_(\d+d)$/.exec(name)?.[1] ?? ''];
  if (spec !== undefined) WINDOWED.push({ index: i, tileMs: spec.level.tileMs });
}
WINDOWED.sort((a, b) => a.tileMs - b.tileMs);

interface CompiledThresholds {
  readonly index: Int32Array;
  readonly days: Float64Array;
}
// Compiled once per thresholds array (rule sets are long-lived): the hot path then reads two typed arrays
// instead of hashing feature names for every customer scored. Weak, so a reloaded rule set is collected.
const compiled = new WeakMap<readonly DeadlineThreshold[], CompiledThresholds>();

function compile(thresholds: readonly DeadlineThreshold[]): CompiledThresholds {
  let c = compiled.get(thresholds);
  if (c === undefined) {
    // Left out: thresholds on features that do not move with time alone, and those above the feature's cap
    // (it stops there, so they are never crossed by waiting).
    const usable = thresholds.filter((t) => {
      const cap = CLOCK_CAPS.get(featureIndex(t.feature));
      return cap !== undefined && t.days <= cap;
    });
    c = {
      index: Int32Array.from(usable, (t) => featureIndex(t.feature)),
      days: Float64Array.from(usable, (t) => t.days),
    };
    compiled.set(thresholds, c);
  }
  return c;
}

/** Relative Float32 rounding room around a threshold (a few ULPs of 2^-24). */
const STRICT_SLACK = 2 ** -21;
/** How far past a threshold a strict comparison is re-checked, ms. */
const STRICT_STEP_MS = 250;

/**
 * The earliest event time after `nowMs` at which the customer's features can change with no new event, as
 * epoch ms, or Infinity when none can (schedule it with {@link DeadlineScheduler.schedule}; Infinity cancels).
 * `features[offset..]` is the customer's vector computed at `nowMs`. Two sources:
 * - a threshold `{ feature, days }` on a clock feature now at `v < days` (and `days` under the feature's cap)
 *   is crossed at `nowMs + (days - v)` days, to the nearest ms. `v` is a Float32, so the moment is exact for
 *   recent times and within 2^-24 relative of the elapsed time otherwise (~30 ms at 7 days); a re-score that
 *   comes a hair early simply yields the next deadline. Thresholds on other features are ignored;
 * - a windowed count (`*_1d`, `*_7d`, `*_30d`, `*_90d`) > 0 can drop when its window moves, i.e. at the next
 *   boundary of its level's tiles (docs/windows.md): the next UTC day for 1d/7d, the next 5-day tile for 30d,
 *   the next 15-day tile for 90d. Taking the earliest boundary among the non-empty windows is exact in the
 *   sense that no change is missed; it can fire when the dropped tile was empty (a re-score that changes
 *   nothing), never late. A customer with only 30d/90d activity left wakes every 5 or 15 days, not daily.
 * The result is always at least `nowMs + 1`, so a re-score at the deadline cannot re-arm the same instant.
 */
export function nextDeadline(
  features: Float32Array,
  offset: number,
  nowMs: number,
  thresholds: readonly DeadlineThreshold[],
): number {
  let next = Infinity;
  const { index, days } = compile(thresholds);
  for (let k = 0; k < index.length; k++) {
    const i = index[k]!;
    const t = days[k]!;
    const v = features[offset + i]!;
    // At the deadline the Float32 feature can land exactly on (or a rounding step past) the threshold, where a
    // strict `>` rule is still false: keep such a threshold armed for one more short step past it.
    if (!(t > v) && !(v - t <= t * STRICT_SLACK)) continue;
    if (i === FIRST_PURCHASE && !(features[offset + PURCHASES]! > 0)) continue;
    const at = t > v ? nowMs + Math.round((t - v) * DAY_MS) : nowMs + STRICT_STEP_MS;
    if (at < next) next = at;
  }
  for (const w of WINDOWED) {
    if (!(features[offset + w.index]! > 0)) continue;
    const at = (Math.floor(nowMs / w.tileMs) + 1) * w.tileMs;
    if (at < next) next = at;
    // WINDOWED is sorted by tile width and every width divides the next, so the first non-empty window has
    // the earliest boundary: stop there.
    break;
  }
  return next === Infinity ? next : Math.max(next, Math.floor(nowMs) + 1);
}
