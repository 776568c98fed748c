/**
 * Every customer's latent life course as a list of dated entries (bad experiences, lulls, drifts away, win-back
 * offers, returns, cancels), kept for all customers in flat typed arrays indexed by per-customer offsets (CSR):
 * a few entries per customer cost ~29 bytes each, with no object per entry for the GC to walk.
 *
 * Entries of one customer are in the order the life course produced them, which is time order of the day they
 * were decided on: a drift's consequences (its offers, return, cancel) follow it at once, dated later.
 */

/** A bad support experience at t0; a = severity. */
export const K_INCIDENT = 0;
/** A temporary lull over [t0, t1); a = activity multiplier during it. */
export const K_LULL = 1;
/**
 * A drift away starting at t0, leaving at t1; a = decline shape, b = residual engagement after leaving, c = the
 * engagement left just before leaving.
 */
export const K_DRIFT = 2;
/** A return after the latest drift, at t0; a = engagement level after it, b = 1 when a win-back offer won it. */
export const K_RETURN = 3;
/** A win-back offer sent at t0; a = messaging channel index, b = 1 when it brought the customer back. */
export const K_OFFER = 4;
/** An explicit `cancel` at t0; b = 1 when the customer stays (a membership dropped, not the brand). */
export const K_CANCEL = 5;
/** A `subscribe` again (membership renewed after a return) at t0. */
export const K_RESUBSCRIBE = 6;
/** A competitor's offer at t0 (never observable); a = its hazard lift. */
export const K_COMPETITOR = 7;

/** All customers' entries. Entries of customer i are [offsets[i], offsets[i + 1]). */
export interface Timelines {
  readonly offsets: Uint32Array;
  readonly kind: Uint8Array;
  readonly t0: Float64Array;
  readonly t1: Float64Array;
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly c: Float32Array;
}

/** Appends entries customer by customer, growing its arrays by doubling. */
export class TimelineBuilder {
  private readonly offsets: Uint32Array;
  private kind = new Uint8Array(1024);
  private t0 = new Float64Array(1024);
  private t1 = new Float64Array(1024);
  private a = new Float32Array(1024);
  private b = new Float32Array(1024);
  private c = new Float32Array(1024);
  private n = 0;
  private customers = 0;

  constructor(count: number) {
    this.offsets = new Uint32Array(count + 1);
  }

  /** Adds an entry to the current customer; times are truncated to whole ms, like event times. */
  push(kind: number, t0: number, t1 = t0, a = 0, b = 0, c = 0): void {
    if (this.n === this.kind.length) this.grow();
    const n = this.n++;
    this.kind[n] = kind;
    this.t0[n] = Math.floor(t0);
    this.t1[n] = Math.floor(t1);
    this.a[n] = a;
    this.b[n] = b;
    this.c[n] = c;
  }

  /** Closes the current customer; the next push belongs to the next one. */
  endCustomer(): void {
    this.offsets[++this.customers] = this.n;
  }

  /** The finished timelines, trimmed to size. */
  build(): Timelines {
    const n = this.n;
    return {
      offsets: this.offsets,
      kind: this.kind.slice(0, n),
      t0: this.t0.slice(0, n),
      t1: this.t1.slice(0, n),
      a: this.a.slice(0, n),
      b: this.b.slice(0, n),
      c: this.c.slice(0, n),
    };
  }

  private grow(): void {
    const size = this.kind.length * 2;
    const grown = <T extends Uint8Array | Float64Array | Float32Array>(x: T): T => {
      const y = new (x.constructor as new (n: number) => T)(size);
      y.set(x);
      return y;
    };
    this.kind = grown(this.kind);
    this.t0 = grown(this.t0);
    this.t1 = grown(this.t1);
    this.a = grown(this.a);
    this.b = grown(this.b);
    this.c = grown(this.c);
  }
}
