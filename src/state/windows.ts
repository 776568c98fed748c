/**
 * Event-time windows as time-bucketed tiles aligned to absolute time (Chronon's "sawtooth" windows).
 *
 * Every level cuts time into tiles of `tileMs`, tile `t` covering `[t * tileMs, (t + 1) * tileMs)` from the
 * Unix epoch (UTC), and keeps a ring of the `ring` newest tiles per customer. A window of `tiles` tiles at
 * time `now` is the tile holding `now` (partial) plus the `tiles - 1` whole tiles before it, so it reaches
 * back to the start of a tile and its length is between `(tiles - 1) * tileDays` and `tiles * tileDays` days:
 *
 * | window | level | tiles | covers at `now` |
 * |---|---|---|---|
 * | 1d  | day (1-day tiles, ring 8)   | 2 | yesterday + today (UTC): 24 h to 48 h |
 * | 7d  | day (1-day tiles, ring 8)   | 8 | the last 7 whole UTC days + today: 7 to 8 days |
 * | 30d | 5-day tiles, ring 7         | 7 | the last 6 whole 5-day tiles + the current one: 30 to 35 days |
 * | 90d | 15-day tiles, ring 7        | 7 | the last 6 whole 15-day tiles + the current one: 90 to 105 days |
 * | lifetime | scalars                | - | every applied event since the customer's first |
 *
 * Tiles are aligned to absolute time (day 0 = 1970-01-01 UTC), never to the customer's own first event, so
 * the same event lands in the same tile whatever order events arrive in: that is what makes late events
 * exact. See docs/windows.md.
 */

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

/** The shape of one tile level. */
export interface LevelSpec {
  /** Tile width in milliseconds. */
  readonly tileMs: number;
  /** Tiles kept per customer (the newest one, "head", plus `ring - 1` older ones). */
  readonly ring: number;
}

/** 1-day tiles, ring of 8: serves the 1d and 7d windows. */
export const DAY_LEVEL: LevelSpec = { tileMs: DAY_MS, ring: 8 };
/** 5-day tiles, ring of 7: serves the 30d window. */
export const FIVE_DAY_LEVEL: LevelSpec = { tileMs: 5 * DAY_MS, ring: 7 };
/** 15-day tiles, ring of 7: serves the 90d window. */
export const FIFTEEN_DAY_LEVEL: LevelSpec = { tileMs: 15 * DAY_MS, ring: 7 };

/** A window: how many tiles of which level, counting the partial tile holding "now". */
export interface WindowSpec {
  readonly level: LevelSpec;
  /** Tiles summed: the one holding `now` plus `tiles - 1` whole tiles before it; at most `level.ring`. */
  readonly tiles: number;
}

/** The 1d window: yesterday + today (UTC days). */
export const WINDOW_1D: WindowSpec = { level: DAY_LEVEL, tiles: 2 };
/** The 7d window: the last 7 whole UTC days + today. */
export const WINDOW_7D: WindowSpec = { level: DAY_LEVEL, tiles: 8 };
/** The 30d window: the last 6 whole 5-day tiles + the current one (30 to 35 days). */
export const WINDOW_30D: WindowSpec = { level: FIVE_DAY_LEVEL, tiles: 7 };
/** The 90d window: the last 6 whole 15-day tiles + the current one (90 to 105 days). */
export const WINDOW_90D: WindowSpec = { level: FIFTEEN_DAY_LEVEL, tiles: 7 };

/**
 * The earliest event time (epoch ms, inclusive) a window counts at time `nowMs`: the start of the oldest
 * tile it sums. An event at `windowStartMs(...)` is in the window, one at `windowStartMs(...) - 1` is not.
 */
export function windowStartMs(nowMs: number, window: WindowSpec): number {
  const tileMs = window.level.tileMs;
  return (Math.floor(nowMs / tileMs) - window.tiles + 1) * tileMs;
}
