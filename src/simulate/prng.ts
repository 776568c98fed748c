/**
 * A small, fast, seedable pseudo-random number generator for the simulator.
 *
 * The simulator reseeds one generator per (customer, day) from {@link mixSeed}, so any window of simulated time
 * can be generated on its own and still yield exactly the events a longer run yields for that window.
 */

/**
 * Mixes up to three 32-bit integers into one well-spread 32-bit seed (murmur3's finaliser over a running hash).
 * Deterministic: the same inputs always give the same seed.
 */
export function mixSeed(a: number, b: number, c: number): number {
  // Each word is fully avalanched before the next joins, so no two input triples collide by a simple XOR
  // identity (e.g. (5, 171) vs (6, 168), which a plain xor-then-mix would map to the same seed).
  let h = fmix(a ^ 0x9e3779b9);
  h = fmix(h ^ Math.imul(b, 0x85ebca6b));
  h = fmix(h ^ Math.imul(c, 0xc2b2ae35));
  return h;
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * mulberry32: one 32-bit word of state, a handful of integer ops per draw. Statistically fine for simulation
 * (not for cryptography). A class rather than a closure so the hot loop calls monomorphic methods.
 */
export class Prng {
  private s: number;

  /** Starts the sequence at `seed` (any 32-bit integer). */
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Restarts the sequence at `seed`; reusing one instance avoids an allocation per customer-day. */
  reseed(seed: number): void {
    this.s = seed >>> 0;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A uniform integer in [lo, hi] (inclusive). */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** true with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /**
   * A Poisson draw with mean `lambda` (Knuth's product method: cheap for the small means the simulator uses;
   * means above 30 use a rounded normal approximation so the loop stays short).
   */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** An exponential draw with the given mean (waiting times of the simulator's Poisson processes). */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  /**
   * An approximately standard-normal draw: the Irwin-Hall sum of four uniforms, rescaled. Bounded to about
   * ±3.5σ, which suits simulated amounts and durations better than an unbounded tail, and costs no log/sqrt.
   */
  normal(): number {
    return (this.float() + this.float() + this.float() + this.float() - 2) * 1.7320508075688772;
  }

  /** An element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }
}
