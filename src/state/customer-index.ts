import { randomInt } from 'node:crypto';

/** Load factor past which the hash table doubles (linear probing stays short below it). */
const MAX_LOAD = 0.7;
/**
 * A probe run this long means the hash is being played against (ids chosen to collide): the table is rebuilt
 * under a new seed. Under a random seed, runs past a few dozen slots do not happen by chance at 0.7 load.
 */
const MAX_PROBE = 512;
/** Unused id bytes (left by removed customers) that trigger compaction, beyond half the live bytes. */
const MIN_GARBAGE_BYTES = 1 << 16;

/**
 * Customer id ⇄ slot, for millions of customers in four flat arrays instead of a `Map<string, number>` and an
 * array of strings. Those cost ~95 B per customer at 1M (a string object per id, a map entry, a pointer per slot)
 * and were a million objects for every major GC to mark; here an 8-character id costs ~26 B, in memory the GC
 * never traces.
 *
 * - `units`: every id's UTF-16 code units back to back, one byte each when all fit in Latin-1 (nearly every id),
 *   two (little-endian) otherwise. Removed ids leave holes, compacted once they outweigh half the live bytes.
 * - `start`, `shape` per slot: where the slot's id begins, and `(code units << 1) | two-byte`; 0 = no id.
 * - `table`: open addressing with linear probing, holding slot + 1 (0 = empty); removal shifts the probe run
 *   back, so no tombstones accumulate. The hash is FNV-1a of the code units from a random per-index seed, mixed
 *   by MurmurHash3's finalizer: customer ids come from outside, and a fixed hash would let a sender pick ids that
 *   all land in one run, making every insert and lookup walk it (a Map's hash is seeded for the same reason).
 *   The table never decides a slot, so the seed changes nothing the engine outputs.
 */
export class CustomerIndex {
  private units: Buffer = Buffer.alloc(0);
  private used = 0;
  private garbage = 0;
  private start = new Uint32Array(0);
  private shape = new Uint16Array(0);
  private table = new Int32Array(1024);
  private count = 0;

  /** `seed`: the hash seed (default: random); fixed only to test what a known seed allows. */
  constructor(private seed: number = randomSeed()) {}

  /** Customers indexed. */
  get size(): number {
    return this.count;
  }

  /** The slot of `id`, -1 when it has none. */
  slotOf(id: string): number {
    const { table } = this;
    const mask = table.length - 1;
    const hash = hashOf(id, this.seed);
    const shape = probeShape;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === 0) return -1;
      if (this.shape[entry - 1] === shape && this.holds(entry - 1, id)) return entry - 1;
    }
  }

  /** The id of `slot`, '' when it has none. */
  idOf(slot: number): string {
    const shape = this.shape[slot] ?? 0;
    if (shape === 0) return '';
    const from = this.start[slot]!;
    return (shape & 1) === 0
      ? this.units.toString('latin1', from, from + (shape >>> 1))
      : this.units.toString('utf16le', from, from + shape - 1);
  }

  /** True when `slot` holds an id. */
  has(slot: number): boolean {
    return (this.shape[slot] ?? 0) !== 0;
  }

  /** Gives `id` (1..32,767 code units, not indexed yet) the slot `slot` (holding no id). */
  add(id: string, slot: number): void {
    if (id.length === 0 || id.length > 0x7fff) throw new RangeError(`customer id of ${id.length} code units`);
    if ((this.count + 1) / this.table.length > MAX_LOAD) this.rehash(this.table.length * 2);
    this.ensureSlot(slot);
    const hash = hashOf(id, this.seed);
    const shape = probeShape;
    const bytes = byteLength(shape);
    this.reserve(bytes);
    this.units.write(id, this.used, bytes, (shape & 1) === 0 ? 'latin1' : 'utf16le');
    this.start[slot] = this.used;
    this.shape[slot] = shape;
    this.used += bytes;
    this.count++;
    if (this.place(slot, hash) > MAX_PROBE) {
      this.seed = randomSeed();
      this.rehash(this.table.length);
    }
  }

  /** Takes `slot`'s id out of the index (nothing when it holds none). */
  remove(slot: number): void {
    if (!this.has(slot)) return;
    const { table } = this;
    const mask = table.length - 1;
    let hole = this.storedHash(slot) & mask;
    while (table[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward-shift deletion: every later entry of the run that may move into the hole does.
    for (let i = (hole + 1) & mask; table[i] !== 0; i = (i + 1) & mask) {
      const home = this.storedHash(table[i]! - 1) & mask;
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        table[hole] = table[i]!;
        hole = i;
      }
    }
    table[hole] = 0;
    this.garbage += byteLength(this.shape[slot]!);
    this.shape[slot] = 0;
    this.count--;
  }

  /** Forgets every id. */
  clear(): void {
    this.units = Buffer.alloc(0);
    this.used = this.garbage = this.count = 0;
    this.start = new Uint32Array(0);
    this.shape = new Uint16Array(0);
    this.table = new Int32Array(1024);
  }

  /** Bytes held (what the index adds to process memory). */
  get byteLength(): number {
    return this.units.length + this.start.byteLength + this.shape.byteLength + this.table.byteLength;
  }

  private holds(slot: number, id: string): boolean {
    const { units } = this;
    const from = this.start[slot]!;
    const wide = (this.shape[slot]! & 1) === 1;
    for (let k = 0; k < id.length; k++) {
      const unit = wide ? units[from + 2 * k]! | (units[from + 2 * k + 1]! << 8) : units[from + k]!;
      if (unit !== id.charCodeAt(k)) return false;
    }
    return true;
  }

  private storedHash(slot: number): number {
    const { units } = this;
    const from = this.start[slot]!;
    const shape = this.shape[slot]!;
    const n = shape >>> 1;
    let h = (FNV_OFFSET ^ this.seed) >>> 0;
    for (let k = 0; k < n; k++) {
      const unit =
        (shape & 1) === 1 ? units[from + 2 * k]! | (units[from + 2 * k + 1]! << 8) : units[from + k]!;
      h = Math.imul(h ^ unit, FNV_PRIME);
    }
    return finalMix(h);
  }

  /** Puts `slot` in the table; returns how many taken entries it passed. */
  private place(slot: number, hash: number): number {
    const { table } = this;
    const mask = table.length - 1;
    let i = hash & mask;
    let passed = 0;
    for (; table[i] !== 0; i = (i + 1) & mask) passed++;
    table[i] = slot + 1;
    return passed;
  }

  /** The longest run a lookup walks: how far any entry sits from where its hash points. */
  longestProbe(): number {
    const { table } = this;
    const mask = table.length - 1;
    let longest = 0;
    for (let i = 0; i < table.length; i++) {
      if (table[i] !== 0) longest = Math.max(longest, (i - (this.storedHash(table[i]! - 1) & mask)) & mask);
    }
    return longest;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    for (let slot = 0; slot < this.shape.length; slot++) {
      if (this.shape[slot] !== 0) this.place(slot, this.storedHash(slot));
    }
  }

  /** Per-slot arrays cover `slot`, growing by 1.5x (as the store's columns do). */
  private ensureSlot(slot: number): void {
    if (slot < this.shape.length) return;
    const size = Math.max(slot + 1, Math.ceil(this.shape.length * 1.5), 1024);
    const start = new Uint32Array(size);
    start.set(this.start);
    const shape = new Uint16Array(size);
    shape.set(this.shape);
    this.start = start;
    this.shape = shape;
  }

  /** Room for `bytes` more: compacts when removals left enough holes, else grows by 1.5x. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.units.length) return;
    const live = this.used - this.garbage;
    const compacting = this.garbage >= MIN_GARBAGE_BYTES && this.garbage > live / 2;
    const size = compacting
      ? Math.ceil((live + bytes) * 1.5)
      : Math.max(this.used + bytes, Math.ceil(this.units.length * 1.5));
    const next = Buffer.allocUnsafeSlow(Math.max(size, 1 << 12));
    if (!compacting) this.units.copy(next, 0, 0, this.used);
    else {
      let at = 0;
      for (let slot = 0; slot < this.shape.length; slot++) {
        const n = byteLength(this.shape[slot]!);
        if (n === 0) continue;
        this.units.copy(next, at, this.start[slot], this.start[slot]! + n);
        this.start[slot] = at;
        at += n;
      }
      this.used = at;
      this.garbage = 0;
    }
    this.units = next;
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The shape, `(code units << 1) | 1 when some unit is past Latin-1`, of the id {@link hashOf} last read. */
let probeShape = 0;

const randomSeed = (): number => randomInt(0x100000000);

/** MurmurHash3's 32-bit finalizer: every input bit reaches the low bits the table indexes by. */
function finalMix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * FNV-1a of the id's code units from `seed`, mixed; sets {@link probeShape} in the same pass (one loop per lookup,
 * not two). Exported for tests, which pick colliding ids under a known seed.
 */
export function hashOf(id: string, seed: number): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  let high = 0;
  for (let k = 0; k < id.length; k++) {
    const unit = id.charCodeAt(k);
    high |= unit >>> 8;
    h = Math.imul(h ^ unit, FNV_PRIME);
  }
  probeShape = (id.length << 1) | (high === 0 ? 0 : 1);
  return finalMix(h);
}

function byteLength(shape: number): number {
  return (shape >>> 1) << (shape & 1);
}
