/**
 * What every simulated customer is, drawn once from the seed and kept in columnar typed arrays: the static traits
 * (archetype, channels, activity level, latent mood, frailty and price sensitivity) and the latent life course
 * (timeline.ts) that the day generator turns into observable events.
 */
import { ARCHETYPE_PARAMS } from './archetypes.js';
import { CHURN_DRIVERS, HAZARD } from './churn-drivers.js';
import { customerIdFor } from './customer-ids.js';
import { LifeCourse, type LifeTraits } from './life-course.js';
import { Prng, mixSeed } from './prng.js';
import { TimelineBuilder, type Timelines } from './timeline.js';

/** One day, in milliseconds. */
export const DAY_MS = 86_400_000;

/** Profile flag: adds to cart often, checks out rarely. */
export const F_CART_ABANDONER = 2;
/** Profile flag: uses the mobile app (app_open, push). */
export const F_APP_USER = 4;
/** Profile flag: holds a paid membership (`subscribe` at signup); only members can `cancel`. */
export const F_MEMBER = 8;
/** Profile flag: opted in to SMS at signup. */
export const F_SMS_OPT_IN = 16;

/** Shape of the population, all optional. */
export interface ProfileOptions {
  /** Share of customers already signed up when the simulation starts. @default 0.5 */
  readonly existingShare?: number;
  /** Newcomers sign up uniformly over this many days after the start. @default 90 */
  readonly signupSpreadDays?: number;
  /**
   * The latent churn process runs until start + this many days: no drift away (nor chance return) begins later,
   * and customers keep the state they reached. @default 240
   */
  readonly churnHorizonDays?: number;
  /** Share of customer ids that are e-mail addresses. @default 0.1 */
  readonly emailIdShare?: number;
}

/** Columnar profiles; index = customer number. */
export interface Profiles {
  readonly count: number;
  /** Start of simulated time, epoch ms (price levels count rises from here). */
  readonly startMs: number;
  readonly ids: readonly string[];
  readonly archetype: Uint8Array;
  readonly flags: Uint8Array;
  /** Index in MESSAGE_CHANNELS of the channel the customer responds to. */
  readonly responsive: Uint8Array;
  readonly signupMs: Float64Array;
  /** Per-customer activity multiplier (log-normal around 1). */
  readonly activity: Float32Array;
  /** Per-customer median order value, currency units. */
  readonly orderValue: Float32Array;
  /** Latent mood, ~N(0, 1): shifts NPS answers and the churn hazard. */
  readonly mood: Float32Array;
  /** Per-customer multiplier on message open rates (log-normal, mean 1): many hardly ever open anything. */
  readonly openness: Float32Array;
  /** Unsubscribe time per messaging channel (index * 3 + channel), epoch ms; Infinity when never. */
  readonly unsubAtMs: Float64Array;
  /** The latent life courses. */
  readonly timelines: Timelines;
}

const CUMULATIVE_SHARES = ((): Float64Array => {
  const out = new Float64Array(ARCHETYPE_PARAMS.length);
  let acc = 0;
  ARCHETYPE_PARAMS.forEach((a, i) => (out[i] = acc += a.share));
  return out;
})();

/** The salt separating profile draws from day draws of the same customer. */
const PROFILE_SALT = 0x7fffffff;
const UNHAPPY = 6;
/** σ of the per-customer activity multiplier (log-normal, mean 1). */
const ACTIVITY_SIGMA = 0.6;
/** σ of the per-customer open-rate multiplier (log-normal, mean 1). */
const OPENNESS_SIGMA = 0.9;

/** Draws `count` customer profiles from `seed` (deterministic). */
export function createProfiles(
  count: number,
  seed: number,
  startMs: number,
  prefix: string,
  opts: ProfileOptions = {},
): Profiles {
  const existingShare = opts.existingShare ?? 0.5;
  const spreadMs = (opts.signupSpreadDays ?? 90) * DAY_MS;
  const horizonMs = startMs + (opts.churnHorizonDays ?? 240) * DAY_MS;
  const emailShare = opts.emailIdShare ?? 0.1;
  const pr = {
    count,
    startMs,
    ids: new Array<string>(count),
    archetype: new Uint8Array(count),
    flags: new Uint8Array(count),
    responsive: new Uint8Array(count),
    signupMs: new Float64Array(count),
    activity: new Float32Array(count),
    orderValue: new Float32Array(count),
    mood: new Float32Array(count),
    openness: new Float32Array(count),
    unsubAtMs: new Float64Array(count * 3),
  };
  const ids = pr.ids;
  const rng = new Prng(0);
  const life = new LifeCourse(startMs, horizonMs);
  const tl = new TimelineBuilder(count);
  for (let i = 0; i < count; i++) {
    rng.reseed(mixSeed(seed, i, PROFILE_SALT));
    const u = rng.float();
    let a = 0;
    while (a < CUMULATIVE_SHARES.length - 1 && u >= (CUMULATIVE_SHARES[a] ?? 1)) a++;
    const params = ARCHETYPE_PARAMS[a]!;
    pr.archetype[i] = a;
    ids[i] = customerIdFor(i, prefix, emailShare, rng);
    const signup = Math.floor(
      rng.chance(existingShare)
        ? startMs - (1 + rng.float() * 364) * DAY_MS
        : startMs + rng.float() * spreadMs,
    );
    pr.signupMs[i] = signup;
    let flags = 0;
    if (rng.chance(0.55)) flags |= F_APP_USER;
    if (rng.chance(a === 2 ? 0.6 : 0.12)) flags |= F_CART_ABANDONER;
    if (rng.chance(0.4)) flags |= F_SMS_OPT_IN;
    // E-mail responders are the most common, as in real programmes; push needs the app.
    const r = rng.float();
    const responsive = r < 0.5 ? 0 : r < 0.78 || (flags & F_APP_USER) === 0 ? 1 : 2;
    pr.responsive[i] = responsive;
    if (responsive === 1) flags |= F_SMS_OPT_IN;
    if (rng.chance(params.memberProbability)) flags |= F_MEMBER;
    pr.flags[i] = flags;
    // Visit frequency is skewed even within a kind of customer: a wide log-normal (mean 1) makes some regulars
    // and some who come once a month, so a quiet month is not by itself a sign of leaving.
    pr.activity[i] = Math.exp(ACTIVITY_SIGMA * rng.normal() - (ACTIVITY_SIGMA * ACTIVITY_SIGMA) / 2);
    pr.orderValue[i] = params.orderValue * Math.exp(0.3 * rng.normal());
    const mood = rng.normal();
    pr.mood[i] = mood;
    pr.openness[i] = Math.exp(OPENNESS_SIGMA * rng.normal() - (OPENNESS_SIGMA * OPENNESS_SIGMA) / 2);
    // Unsubscribes that have nothing to do with leaving; a drift may bring one earlier (life-course.ts).
    for (let c = 0; c < 3; c++) {
      const at = rng.chance(a === UNHAPPY ? 0.25 : 0.06)
        ? Math.max(signup, startMs) + 7 * DAY_MS + rng.float() * (horizonMs - startMs)
        : Infinity;
      pr.unsubAtMs[i * 3 + c] = Math.floor(at);
    }
    const sigma = HAZARD.frailtySigma;
    const traits: LifeTraits = {
      archetype: a,
      signupMs: signup,
      member: (flags & F_MEMBER) !== 0,
      reachable: [true, (flags & F_SMS_OPT_IN) !== 0, (flags & F_APP_USER) !== 0],
      responsive,
      mood,
      frailty: Math.exp(sigma * rng.normal() - (sigma * sigma) / 2),
      priceSensitivity: Math.min(1, CHURN_DRIVERS[a]!.priceSensitivity * (0.3 + 1.4 * rng.float())),
    };
    life.run(traits, rng, tl, pr.unsubAtMs.subarray(i * 3, i * 3 + 3));
    tl.endCustomer();
  }
  return { ...pr, timelines: tl.build() };
}
