import { CHANNELS, MESSAGE_CHANNELS } from '../contract/catalog.js';
import { PurchaseDayBits } from './purchase-days.js';
import { ColumnSlab, TileLevel, aligned } from './tile-level.js';
import type { TileWidths } from './tile-level.js';
import { DAY_LEVEL, FIFTEEN_DAY_LEVEL, FIVE_DAY_LEVEL } from './windows.js';

// Widths are chosen per metric from what one customer can plausibly do in one tile; a saturated tile
// stays at its cap (see docs/windows.md for every cap). Uint8 where 255 per tile is far beyond a person.

/** Uint16 metrics of the 1-day level (1d and 7d windows); session seconds cap at 65,535 (18.2 h) a day. */
export const DAY_COUNTS = { events: 0, views: 1, sessionSeconds: 2 } as const;
/** Uint8 metrics of the 1-day level (cap 255 a day). */
export const DAY_SMALL = { sessions: 0, cartAdds: 1, checkouts: 2, purchases: 3 } as const;
const DAY_WIDTHS: TileWidths = { small: 4, counts: 3, amounts: 0 };

const M = MESSAGE_CHANNELS.length;
/** Uint16 metrics of the 5-day level (30d window). */
export const FIVE_DAY_COUNTS = { events: 0, views: 1, sessions: 2 } as const;
/**
 * Uint8 metrics of the 5-day level (cap 255 per 5 days). `sent`, `opens`, `clicks` are the first of
 * MESSAGE_CHANNELS.length counters, one per messaging channel in that order.
 */
export const FIVE_DAY_SMALL = {
  cartAdds: 0,
  purchases: 1,
  messagesSent: 2,
  sent: 3,
  opens: 3 + M,
  clicks: 3 + 2 * M,
  tickets: 3 + 3 * M,
} as const;
/** Uint32 metrics of the 5-day level: whole session seconds and purchase amounts in integer cents. */
export const FIVE_DAY_AMOUNTS = { sessionSeconds: 0, revenueCents: 1 } as const;
const FIVE_DAY_WIDTHS: TileWidths = { small: FIVE_DAY_SMALL.tickets + 1, counts: 3, amounts: 2 };

/** Uint16 metrics of the 15-day level (90d window); `channels` is the first of CHANNELS.length counters. */
export const FIFTEEN_DAY_COUNTS = { events: 0, channels: 1 } as const;
/** Uint8 metrics of the 15-day level (cap 255 per 15 days). */
export const FIFTEEN_DAY_SMALL = { purchases: 0, refunds: 1, tickets: 2 } as const;
/** Uint32 metrics of the 15-day level: purchase amounts in integer cents. */
export const FIFTEEN_DAY_AMOUNTS = { revenueCents: 0 } as const;
const FIFTEEN_DAY_WIDTHS: TileWidths = { small: 3, counts: 1 + CHANNELS.length, amounts: 1 };

/**
 * Float64 per-customer scalars: epoch ms times, and sums kept as integers (cents, hundredths of a point)
 * so they are exact, hence order-independent, up to 2^53. "Latest" times start at -1 (none; event times
 * are >= 0), `firstMs` and `firstPurchaseMs` at +Infinity (a min over event times). `optOut` is the first of MESSAGE_CHANNELS.length keys
 * `ts * 2 + (unsubscribe ? 1 : 0)` of the latest subscribe/unsubscribe per messaging channel: the max key is
 * the latest event, and at equal times the unsubscribe wins, so any arrival order gives the same answer.
 */
export const F64 = {
  firstMs: 0,
  lastMs: 1,
  lastPurchaseMs: 2,
  maxSeq: 3,
  revenueCents: 4,
  redeemedHundredths: 5,
  lastNpsMs: 6,
  lastNps: 7,
  lastCancelMs: 8,
  lastSubscribeMs: 9,
  lastSignupMs: 10,
  /** Earliest purchase (BG/NBD's time origin: T = age since it, tx = last purchase since it). */
  firstPurchaseMs: 11,
  /** Latest cart_add (a max; -1 = never): days_since_last_cart_add and the cart-abandon timer. */
  lastCartAddMs: 12,
  /** Latest app_open (a max; -1 = never): days_since_last_app_open. */
  lastAppOpenMs: 13,
  /**
   * Purchase amounts (cents) of the UTC day of the earliest purchase: what Gamma-Gamma leaves out as the first
   * transaction. Order-free: an earlier day replaces it, the same day adds to it.
   */
  firstPurchaseDayCents: 14,
  optOut: 15,
} as const;
/** Float64 scalars per slot. */
export const F64_STRIDE = F64.optOut + M;

/** Uint32 lifetime counts per customer, and rating sums in hundredths (exact integers). */
export const U32 = {
  purchases: 0,
  csatCount: 1,
  reviews: 2,
  referrals: 3,
  socialShares: 4,
  csatHundredths: 5,
  reviewHundredths: 6,
  /** UTC days with at least one purchase: BG/NBD's transactions (same-day purchases merged). */
  purchaseDays: 7,
} as const;
/** Uint32 scalars per slot. */
export const U32_STRIDE = 8;

/**
 * Capacity grows by this factor when full. Not 2: doubling held up to twice the columns the customers need
 * (524,288 slots for 300k customers: 375 MB of external memory for 215 MB of customers); 1.5 holds at most 1.5x,
 * for 1.7x as many growths and 1.5x the bytes copied over a store's life (a copy costs ~1 ms per 3 MB).
 */
export const GROWTH = 1.5;

/**
 * Every per-customer column, indexed by slot: three tile levels plus lifetime scalars, each a typed array
 * carved from one slab (see ColumnSlab) grown by {@link GROWTH}. No object per customer and none per event, so a
 * million customers cost one large allocation the GC never has to trace.
 */
export class CustomerColumns {
  capacity: number;
  /** Bytes of the slab holding every column (the columns plus their 8-byte alignment). */
  private slabBytes: number;
  readonly day: TileLevel;
  readonly fiveDay: TileLevel;
  readonly fifteenDay: TileLevel;
  f64: Float64Array;
  u32: Uint32Array;
  /** Generation stamp of the last apply() call that touched the slot (dedupes `touched` without a Set). */
  stamp: Int32Array;
  /** Recent purchase days per slot: same-day purchases are one BG/NBD transaction. */
  readonly purchaseDays: PurchaseDayBits;

  /** `horizonDays`: the store's lateness horizon, which the purchase-day bitmap must cover. */
  constructor(capacity: number, horizonDays = 400) {
    // Every field first, empty, in one order (one hidden class); then all are allocated as one slab.
    this.capacity = 0;
    this.slabBytes = 0;
    this.day = new TileLevel(DAY_LEVEL, DAY_WIDTHS, 0);
    this.fiveDay = new TileLevel(FIVE_DAY_LEVEL, FIVE_DAY_WIDTHS, 0);
    this.fifteenDay = new TileLevel(FIFTEEN_DAY_LEVEL, FIFTEEN_DAY_WIDTHS, 0);
    this.f64 = new Float64Array(0);
    this.u32 = new Uint32Array(0);
    this.stamp = new Int32Array(0);
    this.purchaseDays = new PurchaseDayBits(horizonDays, 0);
    this.resize(capacity);
  }

  /** Bytes held by every column (the state's share of process memory, id map excluded). */
  get byteLength(): number {
    return this.slabBytes;
  }

  /** Makes room for slot `slot`, growing the capacity by {@link GROWTH} as often as needed. */
  ensure(slot: number): void {
    if (slot < this.capacity) return;
    let capacity = this.capacity;
    while (capacity <= slot) capacity = Math.max(capacity + 1, Math.ceil(capacity * GROWTH));
    this.resize(capacity);
  }

  /** Moves every column into one new slab for `capacity` slots, keeping existing slots. */
  private resize(capacity: number): void {
    const levels = [this.day, this.fiveDay, this.fifteenDay];
    const bytes =
      levels.reduce((sum, level) => sum + level.bytesFor(capacity), 0) +
      aligned(capacity * F64_STRIDE * 8) +
      aligned(capacity * U32_STRIDE * 4) +
      aligned(capacity * 4) +
      this.purchaseDays.bytesFor(capacity);
    const slab = new ColumnSlab(bytes);
    for (const level of levels) level.grow(capacity, slab);
    const f64 = slab.take(Float64Array, capacity * F64_STRIDE);
    f64.set(this.f64);
    this.f64 = f64;
    const u32 = slab.take(Uint32Array, capacity * U32_STRIDE);
    u32.set(this.u32);
    this.u32 = u32;
    const stamp = slab.take(Int32Array, capacity);
    stamp.set(this.stamp);
    this.stamp = stamp;
    this.purchaseDays.grow(capacity, slab);
    this.capacity = capacity;
    this.slabBytes = bytes;
  }

  /** Puts a slot in its empty state: no tiles, zero totals, "none" sentinels for the latest-X times. */
  reset(slot: number): void {
    this.day.clearSlot(slot);
    this.fiveDay.clearSlot(slot);
    this.fifteenDay.clearSlot(slot);
    const f = slot * F64_STRIDE;
    this.f64.fill(-1, f, f + F64_STRIDE);
    this.f64[f + F64.firstMs] = Infinity;
    this.f64[f + F64.firstPurchaseMs] = Infinity;
    this.f64[f + F64.maxSeq] = 0;
    this.f64[f + F64.revenueCents] = 0;
    this.f64[f + F64.redeemedHundredths] = 0;
    this.f64[f + F64.firstPurchaseDayCents] = 0;
    const u = slot * U32_STRIDE;
    this.u32.fill(0, u, u + U32_STRIDE);
    this.stamp[slot] = 0;
    this.purchaseDays.clear(slot);
  }
}
