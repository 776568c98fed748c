import { MAX_CUSTOMER_ID_LENGTH } from '../contract/event.js';
import { customerToken } from '../contract/subjects.js';
import type { DecodedEvent, Rejection } from '../decode/types.js';
import { applyEvent } from './apply-event.js';
import { computeFeatures } from './compute-features.js';
import type { StateReader, StateWriter } from '../snapshot/state-io.js';
import { CustomerColumns, F64, F64_STRIDE, U32_STRIDE } from './customer-columns.js';
import { CustomerIndex } from './customer-index.js';
import type { TileLevel } from './tile-level.js';
import type { ApplyResult, CustomerStore, CustomerStoreOptions } from './types.js';
import { DAY_MS } from './windows.js';

/** {@link CustomerStore.applyOne}: the message was already applied for its customer (redelivery). */
export const DUPLICATE = -1;
/** {@link CustomerStore.check}: the event would be applied. */
export const ACCEPTED = 0;
/** {@link CustomerStore.applyOne}: the event was refused; the reason is in `lastRejection`. */
export const REJECTED = -2;

/** Default of {@link CustomerStoreOptions.horizonDays}: events older than this before the watermark are refused. */
export const DEFAULT_HORIZON_DAYS = 400;
/** Default of {@link CustomerStoreOptions.initialCapacity}, in customer slots. */
export const DEFAULT_INITIAL_CAPACITY = 1024;

/**
 * Creates an empty customer store: per-customer rolling features in event time, in typed-array columns
 * (one slot per customer, 716 bytes), windows as absolute-time tiles (see windows.ts and docs/windows.md).
 * The same store serves online scoring and offline training (apply history in order, read `features` at
 * cut-off times), so both see features computed by the same code.
 */
export function createCustomerStore(opts: CustomerStoreOptions = {}): CustomerStore {
  return new ColumnarCustomerStore(opts);
}

class ColumnarCustomerStore implements CustomerStore {
  // Fields are assigned in one fixed order so every instance shares one V8 hidden class.
  private readonly horizonMs: number;
  private readonly cols: CustomerColumns;
  /** Customer id <-> slot (ids are 1..128 characters). */
  private readonly index = new CustomerIndex();
  /** One past the highest slot ever handed out. */
  private end = 0;
  private readonly free: number[] = [];
  /**
   * Freed slots not to be reused yet: rows of their former customer may still wait to be scored. A Set, so
   * releasing one is O(1): a clock jump can evict and release thousands at once. Only membership matters: slots
   * go to `free` in the order they are released, and a snapshot does not save this (a held slot's id is '').
   */
  private readonly held = new Set<number>();
  private generation = 0;
  private watermark = 0;
  /** The refusal of the last {@link applyOne} that returned REJECTED. */
  lastRejection: Rejection | undefined = undefined;

  constructor(opts: CustomerStoreOptions) {
    const horizonDays = opts.horizonDays ?? DEFAULT_HORIZON_DAYS;
    const capacity = Math.max(1, Math.floor(opts.initialCapacity ?? DEFAULT_INITIAL_CAPACITY));
    this.horizonMs = horizonDays * DAY_MS;
    this.cols = new CustomerColumns(capacity, horizonDays);
  }

  get size(): number {
    return this.index.size;
  }

  get watermarkMs(): number {
    return this.watermark;
  }

  get slotEnd(): number {
    return this.end;
  }

  get columnBytes(): number {
    return this.cols.byteLength + this.index.byteLength;
  }

  apply(events: readonly DecodedEvent[]): ApplyResult {
    // A new stamp per call: a slot is pushed to `touched` the first time its stamp differs, so each slot
    // appears once without a Set. Wraps after 2^31 calls; 0 is skipped because fresh slots hold 0.
    const gen = (this.generation = this.generation >= 0x7fffffff ? 1 : this.generation + 1);
    const stamp = this.cols.stamp;
    const touched: number[] = [];
    const rejected: Rejection[] = [];
    let applied = 0;
    let duplicates = 0;
    for (const d of events) {
      const slot = this.applyOne(d);
      if (slot === DUPLICATE) duplicates++;
      else if (slot === REJECTED) rejected.push(this.lastRejection as Rejection);
      else {
        applied++;
        if (stamp[slot] !== gen) {
          stamp[slot] = gen;
          touched.push(slot);
        }
      }
    }
    return { touched, rejected, applied, duplicates };
  }

  check(d: DecodedEvent): number {
    return this.judge(d, this.index.slotOf(d.event.customerId));
  }

  /** {@link check} with the customer's slot (-1: none) already looked up. */
  private judge(d: DecodedEvent, slot: number): number {
    const e = d.event;
    const ts = Math.floor(e.ts);
    const seq = d.streamSeq;
    // A redelivered message carries a sequence this customer has already passed (0 = unsequenced source).
    if (slot >= 0 && seq > 0 && seq <= this.cols.f64[slot * F64_STRIDE + F64.maxSeq]!) {
      return DUPLICATE;
    }
    if (!(ts >= 0 && ts < Number.MAX_SAFE_INTEGER / 4)) {
      const reason = Number.isFinite(e.ts) ? 'out_of_range' : 'non_finite_number';
      this.lastRejection = reject(d, reason, `ts ${e.ts}`);
      return REJECTED;
    }
    // Judged against the watermark of event times only (never the wall clock): a replay decides the same.
    if (ts < this.watermark - this.horizonMs) {
      this.lastRejection = reject(d, 'too_old', tooOldDetail(e.ts, this.watermark, this.horizonMs));
      return REJECTED;
    }
    return ACCEPTED;
  }

  applyOne(d: DecodedEvent, checked?: number): number {
    const e = d.event;
    // One lookup serves the verdict and the apply.
    const known = this.index.slotOf(e.customerId);
    const verdict = checked ?? this.judge(d, known);
    if (verdict !== ACCEPTED) return verdict;
    // Event time has millisecond resolution: whole ms make the tie-break keys of apply-event exact.
    const ts = Math.floor(e.ts);
    const slot = known >= 0 ? known : this.addCustomer(e.customerId);
    const f64 = this.cols.f64;
    if (d.streamSeq > f64[slot * F64_STRIDE + F64.maxSeq]!) f64[slot * F64_STRIDE + F64.maxSeq] = d.streamSeq;
    applyEvent(this.cols, slot, e, ts);
    if (ts > this.watermark) this.watermark = ts;
    return slot;
  }

  advanceTo(nowMs: number): void {
    if (nowMs > this.watermark) this.watermark = nowMs;
  }

  features(slot: number, nowMs: number, out: Float32Array, offset: number): void {
    computeFeatures(this.cols, slot, nowMs, out, offset);
  }

  customerId(slot: number): string {
    return this.index.idOf(slot);
  }

  slotOf(customerId: string): number | undefined {
    const slot = this.index.slotOf(customerId);
    return slot >= 0 ? slot : undefined;
  }

  lastEventMs(slot: number): number {
    return slot < this.end ? this.cols.f64[slot * F64_STRIDE + F64.lastMs]! : -1;
  }

  isLive(slot: number): boolean {
    return this.index.has(slot);
  }

  remove(customerId: string, hold = false): boolean {
    const slot = this.index.slotOf(customerId);
    if (slot < 0) return false;
    this.index.remove(slot);
    this.cols.reset(slot);
    if (hold) this.held.add(slot);
    else this.free.push(slot);
    return true;
  }

  releaseHeld(slot: number): void {
    if (this.held.delete(slot)) this.free.push(slot);
  }

  saveState(w: StateWriter, from: number, to: number): void {
    for (const [name, level] of this.levels()) {
      const per = level.ring;
      const { small, counts, amounts } = level.widths;
      w.array(`${name}.heads`, level.heads.subarray(from, to));
      w.array(`${name}.small`, level.small.subarray(from * per * small, to * per * small));
      w.array(`${name}.counts`, level.counts.subarray(from * per * counts, to * per * counts));
      w.array(`${name}.amounts`, level.amounts.subarray(from * per * amounts, to * per * amounts));
    }
    w.array('f64', this.cols.f64.subarray(from * F64_STRIDE, to * F64_STRIDE));
    w.array('u32', this.cols.u32.subarray(from * U32_STRIDE, to * U32_STRIDE));
    w.array('purchaseDays', this.cols.purchaseDays.range(from, to));
    w.value('purchaseDaySpan', this.cols.purchaseDays.span);
    const ids: string[] = [];
    for (let slot = from; slot < to; slot++) ids.push(this.index.idOf(slot));
    w.value('ids', ids);
    w.value('watermark', this.watermark);
  }

  loadState(r: StateReader): number[] {
    const ids = r.value('ids');
    const valid = (id: unknown) => typeof id === 'string' && id.length <= MAX_CUSTOMER_ID_LENGTH;
    if (!Array.isArray(ids) || !ids.every(valid)) throw new TypeError('store.ids');
    if (ids.length > 0) this.cols.ensure(ids.length - 1);
    for (const [name, level] of this.levels()) {
      level.heads.set(r.array(`${name}.heads`, Int32Array));
      level.small.set(r.array(`${name}.small`, Uint8Array));
      level.counts.set(r.array(`${name}.counts`, Uint16Array));
      level.amounts.set(r.array(`${name}.amounts`, Uint32Array));
    }
    this.cols.f64.set(r.array('f64', Float64Array));
    this.cols.u32.set(r.array('u32', Uint32Array));
    // The bitmap's layout follows state.horizonDays: saved under another one, each day is put back in place.
    const span = Number(r.value('purchaseDaySpan'));
    const bits = r.array('purchaseDays', Uint32Array);
    if (span === this.cols.purchaseDays.span) this.cols.purchaseDays.bits.set(bits);
    else {
      const f64 = this.cols.f64;
      this.cols.purchaseDays.loadRelayout(bits, span, (slot) => {
        const last = f64[slot * F64_STRIDE + F64.lastPurchaseMs]!;
        return last < 0 ? -Infinity : Math.floor(last / DAY_MS);
      });
    }
    this.index.clear();
    this.end = ids.length;
    this.free.length = 0;
    const superseded: number[] = [];
    ids.forEach((id: string, slot) => {
      if (id === '') return void this.free.push(slot);
      // Saved twice: captured in slices, the customer left and came back to a later slot in between. The later
      // slice was copied later, so its state is the newer one; the earlier slot is freed.
      const earlier = this.index.slotOf(id);
      if (earlier >= 0) {
        this.index.remove(earlier);
        this.cols.reset(earlier);
        this.free.push(earlier);
        superseded.push(earlier);
      }
      this.index.add(id, slot);
    });
    this.watermark = Number(r.value('watermark'));
    return superseded;
  }

  private levels(): [string, TileLevel][] {
    return [
      ['day', this.cols.day],
      ['fiveDay', this.cols.fiveDay],
      ['fifteenDay', this.cols.fifteenDay],
    ];
  }

  private addCustomer(customerId: string): number {
    const slot = this.free.at(-1) ?? this.end;
    // First, as it refuses an id it cannot hold before anything else changes.
    this.index.add(customerId, slot);
    if (slot === this.end) {
      this.cols.ensure(slot);
      this.end++;
    } else this.free.pop();
    this.cols.reset(slot);
    return slot;
  }
}

function reject(d: DecodedEvent, reason: Rejection['reason'], detail: string): Rejection {
  return {
    kind: 'rejected',
    reason,
    detail,
    subject: d.subject,
    data: d.data,
    streamSeq: d.streamSeq,
    contentType: d.contentType,
    // A decoded event's subject carries exactly this token: its dead letter goes to the customer's DLQ subject.
    customerToken: customerToken(d.event.customerId),
  };
}

function tooOldDetail(ts: number, watermarkMs: number, horizonMs: number): string {
  const limit = watermarkMs - horizonMs;
  return (
    `ts ${ts} (${new Date(ts).toISOString()}) is older than the horizon of ${horizonMs / DAY_MS} days ` +
    `before the watermark ${new Date(watermarkMs).toISOString()}: oldest accepted ${new Date(limit).toISOString()}`
  );
}
