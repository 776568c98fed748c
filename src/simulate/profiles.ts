/**
 * The hidden truth of every simulated customer, drawn once from the seed and kept in columnar typed arrays
 * (a million customers cost ~60 bytes each here, and the day generator reads them without pointer chasing).
 */
import { ARCHETYPES, ARCHETYPE_PARAMS, type Archetype } from './archetypes.js';
import { customerIdFor } from './customer-ids.js';
import { Prng, mixSeed } from './prng.js';
import { MESSAGE_CHANNELS, type MessageChannel } from '../contract/catalog.js';

/** One day, in milliseconds. */
export const DAY_MS = 86_400_000;

/** Profile flag: the customer sends an explicit `cancel` at the churn date. */
export const F_CANCELS = 1;
/** Profile flag: adds to cart often, checks out rarely. */
export const F_CART_ABANDONER = 2;
/** Profile flag: uses the mobile app (app_open, push). */
export const F_APP_USER = 4;
/** Profile flag: holds a paid membership (`subscribe` at signup). */
export const F_MEMBER = 8;
/** Profile flag: opted in to SMS at signup. */
export const F_SMS_OPT_IN = 16;

/** What a customer truly is; the simulator's answer key. */
export interface GroundTruth {
  readonly customerId: string;
  readonly archetype: Archetype;
  /** Signup time, epoch ms; before the simulator's start for customers that already existed then. */
  readonly signupMs: number;
  /** When the customer churns (no event of any kind later), epoch ms; null when it never does. */
  readonly churnAtMs: number | null;
  /** Whether the churn comes with an explicit `cancel` event at `churnAtMs`. */
  readonly cancels: boolean;
  /** The messaging channel the customer responds to best. */
  readonly responsiveChannel: MessageChannel;
  readonly cartAbandoner: boolean;
  readonly appUser: boolean;
}

/** Shape of the population, all optional. */
export interface ProfileOptions {
  /** Share of customers already signed up when the simulation starts. @default 0.5 */
  readonly existingShare?: number;
  /** Newcomers sign up uniformly over this many days after the start. @default 90 */
  readonly signupSpreadDays?: number;
  /** Churn dates fall before start + this many days. @default 240 */
  readonly churnHorizonDays?: number;
  /** Share of customer ids that are e-mail addresses. @default 0.1 */
  readonly emailIdShare?: number;
}

/** Columnar profiles; index = customer number. */
export interface Profiles {
  readonly count: number;
  readonly ids: readonly string[];
  readonly archetype: Uint8Array;
  readonly flags: Uint8Array;
  /** Index in MESSAGE_CHANNELS of the channel the customer responds to. */
  readonly responsive: Uint8Array;
  readonly signupMs: Float64Array;
  /** NaN when the customer never churns. */
  readonly churnAtMs: Float64Array;
  /** Length of the fade-out before the churn date, ms. */
  readonly fadeMs: Float64Array;
  /** Per-customer activity multiplier (log-normal around 1). */
  readonly activity: Float32Array;
  /** Per-customer median order value, currency units. */
  readonly orderValue: Float32Array;
  /** Unsubscribe time per messaging channel (index * 3 + channel), epoch ms; Infinity when never. */
  readonly unsubAtMs: Float64Array;
}

const CUMULATIVE_SHARES = ((): Float64Array => {
  const out = new Float64Array(ARCHETYPE_PARAMS.length);
  let acc = 0;
  ARCHETYPE_PARAMS.forEach((a, i) => (out[i] = acc += a.share));
  return out;
})();

/** The salt separating profile draws from day draws of the same customer. */
const PROFILE_SALT = 0x7fffffff;

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
  const pr: Profiles = {
    count,
    ids: new Array<string>(count),
    archetype: new Uint8Array(count),
    flags: new Uint8Array(count),
    responsive: new Uint8Array(count),
    signupMs: new Float64Array(count),
    churnAtMs: new Float64Array(count),
    fadeMs: new Float64Array(count),
    activity: new Float32Array(count),
    orderValue: new Float32Array(count),
    unsubAtMs: new Float64Array(count * 3),
  };
  const ids = pr.ids as string[];
  const rng = new Prng(0);
  for (let i = 0; i < count; i++) {
    rng.reseed(mixSeed(seed, i, PROFILE_SALT));
    const u = rng.float();
    let a = 0;
    while (a < CUMULATIVE_SHARES.length - 1 && u >= (CUMULATIVE_SHARES[a] ?? 1)) a++;
    const params = ARCHETYPE_PARAMS[a]!;
    pr.archetype[i] = a;
    ids[i] = customerIdFor(i, prefix, emailShare, rng);
    const signup = rng.chance(existingShare)
      ? startMs - (1 + rng.float() * 364) * DAY_MS
      : startMs + rng.float() * spreadMs;
    pr.signupMs[i] = Math.floor(signup);
    let flags = 0;
    if (rng.chance(0.55)) flags |= F_APP_USER;
    if (rng.chance(a === 2 ? 0.6 : 0.12)) flags |= F_CART_ABANDONER;
    if (rng.chance(0.4)) flags |= F_SMS_OPT_IN;
    // E-mail responders are the most common, as in real programmes; push needs the app.
    const r = rng.float();
    pr.responsive[i] = r < 0.5 ? 0 : r < 0.78 || (flags & F_APP_USER) === 0 ? 1 : 2;
    if (pr.responsive[i] === 1) flags |= F_SMS_OPT_IN;
    pr.activity[i] = Math.exp(0.35 * rng.normal());
    pr.orderValue[i] = params.orderValue * Math.exp(0.3 * rng.normal());
    pr.fadeMs[i] = (14 + rng.float() * 46) * DAY_MS;
    let churnAt = NaN;
    const earliest = Math.max(signup + 21 * DAY_MS, startMs + 7 * DAY_MS);
    if (rng.chance(params.churnProbability) && earliest < horizonMs) {
      churnAt = Math.floor(earliest + rng.float() * (horizonMs - earliest));
      if (rng.chance(params.cancelProbability)) flags |= F_CANCELS | F_MEMBER;
    }
    if (rng.chance(params.memberProbability)) flags |= F_MEMBER;
    pr.churnAtMs[i] = churnAt;
    pr.flags[i] = flags;
    // Unsubscribes: rare for happy customers, common while fading out before a churn.
    for (let c = 0; c < 3; c++) {
      let at = Infinity;
      if (!Number.isNaN(churnAt) && rng.chance(0.3)) {
        at = churnAt - rng.float() * (pr.fadeMs[i] ?? 0);
      } else if (rng.chance(a === 6 ? 0.25 : 0.06)) {
        at = Math.max(signup, startMs) + 7 * DAY_MS + rng.float() * (horizonMs - startMs);
      }
      pr.unsubAtMs[i * 3 + c] = Math.floor(at);
    }
  }
  return pr;
}

/** The ground truth of customer `i`. */
export function groundTruthOf(pr: Profiles, i: number): GroundTruth {
  const flags = pr.flags[i] ?? 0;
  const churn = pr.churnAtMs[i] ?? NaN;
  return {
    customerId: pr.ids[i] ?? '',
    archetype: ARCHETYPES[pr.archetype[i] ?? 0] ?? 'loyal',
    signupMs: pr.signupMs[i] ?? 0,
    churnAtMs: Number.isNaN(churn) ? null : churn,
    cancels: (flags & F_CANCELS) !== 0,
    responsiveChannel: MESSAGE_CHANNELS[pr.responsive[i] ?? 0] ?? 'email',
    cartAbandoner: (flags & F_CART_ABANDONER) !== 0,
    appUser: (flags & F_APP_USER) !== 0,
  };
}
