import { FEATURE_COUNT } from '../state/feature-catalog.js';

/**
 * A micro-batch of evaluation points in stream order. Row `i` evaluates customer `slots[i]` at `atMs[i]` with the
 * feature vector computed when the row was made (the customer's state right after its cause), so scoring it
 * later, in any batch, gives the same result.
 */
export interface RowBatch {
  readonly slots: number[];
  /** Event time of each evaluation, epoch ms. */
  readonly atMs: Float64Array;
  /** When the row's cause was stored by the stream, epoch ms (NaN: a timer, not an event). */
  readonly sinceMs: Float64Array;
  /** What the row is: {@link EVALUATE} the customer, or {@link EVICT} it (silent past state.retentionDays). */
  readonly kind: Uint8Array;
  /** 1 for a row made while the engine worked off a backlog: its score update is held (see HeldUpdates). */
  readonly backlog: Uint8Array;
  /** rows × FEATURE_COUNT, FEATURES order. */
  readonly features: Float32Array;
  /**
   * A time no later than any evaluation still to come after this batch (the rows still queued, and the clock,
   * beyond which every future row lies): dwell ends up to it can happen after the batch without overtaking one.
   */
  readonly laterMinMs: number;
}

/** A row that evaluates its customer. */
export const EVALUATE = 0;
/** A row that evicts its customer (no features; the customer left the store when the row was made). */
export const EVICT = 1;

/**
 * Evaluation points waiting to be scored, in the order they were made: a growable columnar queue (no object per
 * row). The apply stage writes rows with their features; the micro-batcher takes them in order.
 */
export class RowBuffer {
  // Fields initialised in one fixed order: one hidden class.
  private readonly initialCapacity: number;
  private capacity: number;
  private slots: Int32Array;
  private at: Float64Array;
  private since: Float64Array;
  private kinds: Uint8Array;
  private backlogs: Uint8Array;
  private feats: Float32Array;
  private head = 0;
  private tail = 0;
  /** The timer clock after the last message applied (the end clock of a batch that empties the buffer). */
  clockMs = 0;
  /** The clock when the last batch was taken: a later clock is work even without rows (dwell ends may be due). */
  private takenClockMs = 0;
  /** Whether rows pushed from now on are backlog rows (the engine sets it before applying each pull batch). */
  backlog = false;
  /** Backlog rows waiting. */
  private queuedBacklog = 0;
  /** Most rows waiting at once since the previous {@link trim}. */
  private peakSinceTrim = 0;

  constructor(initialCapacity = 4096) {
    this.initialCapacity = Math.max(16, initialCapacity);
    this.capacity = 0;
    this.slots = new Int32Array(0);
    this.at = new Float64Array(0);
    this.since = new Float64Array(0);
    this.kinds = new Uint8Array(0);
    this.backlogs = new Uint8Array(0);
    this.feats = new Float32Array(0);
    this.allocate(this.initialCapacity);
  }

  /** Bytes of the row arrays (they grow while scoring lags behind applying). */
  get byteLength(): number {
    return this.capacity * (4 + 8 + 8 + 1 + 1 + FEATURE_COUNT * 4);
  }

  /**
   * Gives back what a backlog grew (a catch-up leaves room for tens of thousands of rows: 14 MB of features) when the
   * buffer is empty and never held more than its initial capacity since the previous call: an engine whose bursts
   * keep needing the room keeps it instead of shrinking and regrowing it every idle check.
   */
  trim(): void {
    if (
      this.length === 0 &&
      this.peakSinceTrim <= this.initialCapacity &&
      this.capacity > this.initialCapacity
    ) {
      this.allocate(this.initialCapacity);
    }
    this.peakSinceTrim = this.length;
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.slots = new Int32Array(capacity);
    this.at = new Float64Array(capacity);
    this.since = new Float64Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.backlogs = new Uint8Array(capacity);
    this.feats = new Float32Array(capacity * FEATURE_COUNT);
  }

  /** True while backlog rows wait to be scored. */
  get backlogQueued(): boolean {
    return this.queuedBacklog > 0;
  }

  /** Rows waiting. */
  get length(): number {
    return this.tail - this.head;
  }

  /** True when there are rows, or the clock moved since the last batch was taken. */
  get pending(): boolean {
    return this.tail > this.head || this.clockMs > this.takenClockMs;
  }

  /**
   * Appends a row and returns where its FEATURE_COUNT features go in {@link features} (write them before the
   * next push: the array may be replaced when it grows).
   */
  push(slot: number, atMs: number, sinceMs: number, kind = EVALUATE): number {
    if (this.tail === this.capacity) this.makeRoom();
    const i = this.tail++;
    if (this.tail - this.head > this.peakSinceTrim) this.peakSinceTrim = this.tail - this.head;
    this.slots[i] = slot;
    this.at[i] = atMs;
    this.since[i] = sinceMs;
    this.kinds[i] = kind;
    this.backlogs[i] = this.backlog ? 1 : 0;
    if (this.backlog) this.queuedBacklog++;
    return i * FEATURE_COUNT;
  }

  /** The feature storage the offsets of {@link push} index. */
  get features(): Float32Array {
    return this.feats;
  }

  /** Removes and returns up to `max` rows, oldest first (copies: the buffer keeps filling meanwhile). */
  take(max: number): RowBatch {
    const n = Math.min(max, this.length);
    const from = this.head;
    const to = from + n;
    this.head = to;
    this.takenClockMs = this.clockMs;
    // Rows still queued have their own times; rows not yet made lie at or after the clock.
    let laterMinMs = this.clockMs;
    for (let i = to; i < this.tail; i++) if (this.at[i]! < laterMinMs) laterMinMs = this.at[i]!;
    const batch: RowBatch = {
      slots: Array.from(this.slots.subarray(from, to)),
      atMs: this.at.slice(from, to),
      sinceMs: this.since.slice(from, to),
      kind: this.kinds.slice(from, to),
      backlog: this.backlogs.slice(from, to),
      features: this.feats.slice(from * FEATURE_COUNT, to * FEATURE_COUNT),
      laterMinMs,
    };
    for (let i = 0; i < n; i++) this.queuedBacklog -= batch.backlog[i]!;
    if (this.head === this.tail) this.head = this.tail = 0;
    return batch;
  }

  /** Shifts waiting rows to the front when that frees at least half, else doubles the arrays. */
  private makeRoom(): void {
    const live = this.length;
    if (this.head >= this.capacity / 2) {
      this.slots.copyWithin(0, this.head, this.tail);
      this.at.copyWithin(0, this.head, this.tail);
      this.since.copyWithin(0, this.head, this.tail);
      this.kinds.copyWithin(0, this.head, this.tail);
      this.backlogs.copyWithin(0, this.head, this.tail);
      this.feats.copyWithin(0, this.head * FEATURE_COUNT, this.tail * FEATURE_COUNT);
    } else {
      const cap = this.capacity * 2;
      this.slots = grown(Int32Array, this.slots, cap, this.head, this.tail);
      this.at = grown(Float64Array, this.at, cap, this.head, this.tail);
      this.since = grown(Float64Array, this.since, cap, this.head, this.tail);
      this.kinds = grown(Uint8Array, this.kinds, cap, this.head, this.tail);
      this.backlogs = grown(Uint8Array, this.backlogs, cap, this.head, this.tail);
      const feats = new Float32Array(cap * FEATURE_COUNT);
      feats.set(this.feats.subarray(this.head * FEATURE_COUNT, this.tail * FEATURE_COUNT));
      this.feats = feats;
      this.capacity = cap;
    }
    this.head = 0;
    this.tail = live;
  }
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(
  Ctor: new (n: number) => T,
  old: T,
  capacity: number,
  from: number,
  to: number,
): T {
  const next = new Ctor(capacity);
  next.set(old.subarray(from, to));
  return next;
}
