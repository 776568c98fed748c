/**
 * Seeded randomness for the simulators and their tests: a uniform generator and a gamma sampler. Not for
 * anything that needs cryptographic or statistical-library quality; small, fast and reproducible per seed.
 */

/**
 * Uniform in (0, 1) from a 32-bit state (mulberry32): tiny, fast, and good enough for simulation tests.
 * Never returns 0 or 1 exactly (the +0.5), so `Math.log(next())` is always finite.
 */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = Math.imul(s ^ (s >>> 15), 1 | s);
    z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
    return (((z ^ (z >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/**
 * Gamma(shape, rate 1) draw from the uniform source `next`: Marsaglia & Tsang (2000); shape < 1 via
 * Gamma(shape + 1) * U^(1 / shape). Divide by a rate (or multiply by a scale) for other gammas.
 */
export function gammaVariate(next: () => number, shape: number): number {
  if (shape < 1) return gammaVariate(next, shape + 1) * Math.pow(next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    // Standard normal by Box-Muller (one of the pair; simplicity over speed here).
    const z = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}
