/**
 * The latent churn process of one customer, run day by day from signup to the churn horizon when profiles are
 * drawn: experiences arrive (bad support, competitor offers, price rises, lulls), they move a daily hazard of
 * starting to drift away, and a drift decides its own decline, leaving date, cancel, unsubscribes and return.
 * The result is the customer's timeline (timeline.ts), which the day generator reads to emit observable events.
 *
 * Running it up front, not inside the day generator, keeps any window of simulated time generable on its own:
 * the path-dependent part is fixed by the seed before a single event is emitted.
 */
import { ARCHETYPES } from './archetypes.js';
import { priceRisesBetween } from './calendar.js';
import {
  CANCEL_BUT_STAY,
  CHURN_DRIVERS,
  DECLINE,
  HAZARD,
  WIN_BACK,
  type ChurnDrivers,
} from './churn-drivers.js';
import type { Prng } from './prng.js';
import {
  K_CANCEL,
  K_COMPETITOR,
  K_DRIFT,
  K_INCIDENT,
  K_LULL,
  K_OFFER,
  K_RESUBSCRIBE,
  K_RETURN,
  type TimelineBuilder,
} from './timeline.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DEAL_SEEKER = ARCHETYPES.indexOf('deal_seeker');
const DECAY_INCIDENT = Math.exp(-1 / HAZARD.incidentDecayDays);
const DECAY_COMPETITOR = Math.exp(-1 / HAZARD.competitorLift.decayDays);
const DECAY_PRICE = Math.exp(-1 / HAZARD.priceLift.decayDays);
const DECAY_ONBOARDING = Math.exp(-1 / HAZARD.onboarding.decayDays);

/** What the life course needs to know of a customer (drawn before it runs). */
export interface LifeTraits {
  archetype: number;
  signupMs: number;
  member: boolean;
  /** Messaging channels the customer receives (email, sms, push) and the one it responds to. */
  reachable: readonly [boolean, boolean, boolean];
  responsive: number;
  /** Latent mood, ~N(0, 1); also shifts NPS answers. */
  mood: number;
  /** Unobserved hazard multiplier. */
  frailty: number;
  /** Latent price sensitivity, 0..1. */
  priceSensitivity: number;
}

/** Runs customers' life courses into a timeline builder. One instance serves every customer. */
export class LifeCourse {
  private rng!: Prng;
  private tl!: TimelineBuilder;
  private tr!: LifeTraits;
  private c!: ChurnDrivers;
  /** Unsubscribe times of the current customer, per channel (written through to the profile's column). */
  private unsub!: Float64Array;
  private cancelled = false;

  /**
   * @param startMs start of simulated time: days (and the brand's sending hours) count from it.
   * @param endMs the churn horizon: no drift starts at or after it.
   */
  constructor(
    private readonly startMs: number,
    private readonly endMs: number,
  ) {}

  /**
   * Appends the timeline of one customer to `tl` (the caller closes it) and lowers `unsub[0..2]` (per-channel
   * unsubscribe times, Infinity = never) when a drift brings an unsubscribe earlier.
   */
  run(tr: LifeTraits, rng: Prng, tl: TimelineBuilder, unsub: Float64Array): void {
    this.rng = rng;
    this.tl = tl;
    this.tr = tr;
    this.unsub = unsub;
    this.cancelled = false;
    const c = (this.c = CHURN_DRIVERS[tr.archetype]!);
    const signup = tr.signupMs;
    const base = (c.churnPerYear / 365) * tr.frailty * Math.exp(HAZARD.moodEffect * tr.mood);
    const gap = (perYear: number): number =>
      perYear > 0 ? rng.exponential(365 / perYear) * DAY_MS : Infinity;
    const competitorPerYear = HAZARD.competitorPerYear * (tr.archetype === DEAL_SEEKER ? 2 : 1);
    const stayCancelPerYear = tr.member ? CANCEL_BUT_STAY.perYear : 0;
    let nextIncident = signup + gap(c.incidentsPerYear);
    let nextCompetitor = signup + gap(competitorPerYear);
    let nextLull = signup + gap(c.lullsPerYear);
    let nextStayCancel = signup + gap(stayCancelPerYear);
    const rises = priceRisesBetween(signup, this.endMs);
    let rise = 0;
    // Decaying drivers of the hazard: support dissatisfaction, competitor pull, price shock (each decayed at the
    // start of every day, so a shock arriving today counts in full today).
    let dissatisfaction = 0;
    let competitor = 0;
    let price = 0;
    // Newcomers' extra hazard, decayed day by day like the others (an exp() per day cost more than the rest).
    let onboarding = HAZARD.onboarding.lift / DECAY_ONBOARDING;
    // Integrated hazard against an Exp(1) threshold: a drift starts when the accumulated hazard crosses it.
    let accumulated = 0;
    let threshold = rng.exponential(1);
    let leaveAt = -Infinity; // drifting while t < leaveAt
    let resumeAt = -Infinity; // active again from resumeAt (Infinity: left for good)

    for (let t = Math.floor(signup / DAY_MS) * DAY_MS; t < this.endMs; t += DAY_MS) {
      const te = t + DAY_MS;
      const active = t >= resumeAt;
      const present = active || t < leaveAt; // still a customer, if perhaps drifting away
      dissatisfaction *= DECAY_INCIDENT;
      competitor *= DECAY_COMPETITOR;
      price *= DECAY_PRICE;
      onboarding *= DECAY_ONBOARDING;
      for (; nextIncident < te; nextIncident += gap(c.incidentsPerYear)) {
        if (!present) continue; // nobody has a bad delivery from a shop they no longer use
        const severity = 0.3 + rng.exponential(0.7);
        tl.push(K_INCIDENT, nextIncident, nextIncident, severity);
        dissatisfaction += severity;
      }
      for (; nextCompetitor < te; nextCompetitor += gap(competitorPerYear)) {
        if (!active) continue;
        const lift = HAZARD.competitorLift.base + HAZARD.competitorLift.perSensitivity * tr.priceSensitivity;
        tl.push(K_COMPETITOR, nextCompetitor, nextCompetitor, lift);
        competitor += lift;
      }
      for (; nextLull < te; nextLull += gap(c.lullsPerYear)) {
        if (active) this.lull(nextLull);
      }
      for (; rise < rises.length && rises[rise]! < te; rise++) {
        price += HAZARD.priceLift.perSensitivity * tr.priceSensitivity;
        if (present && rng.chance(CANCEL_BUT_STAY.perSensitivity * tr.priceSensitivity)) {
          this.stayOnCancel(rises[rise]! + rng.float() * 20 * DAY_MS);
        }
      }
      for (; nextStayCancel < te; nextStayCancel += gap(stayCancelPerYear)) {
        if (present) this.stayOnCancel(nextStayCancel);
      }
      if (!active) continue;
      let h = base * (1 + competitor + price);
      // exp() only while a bad experience still weighs: most customer-days have none.
      if (dissatisfaction > 0.01) h *= Math.exp(HAZARD.incidentEffect * dissatisfaction);
      accumulated += h * (1 + onboarding);
      if (accumulated < threshold) continue;
      accumulated = 0;
      threshold = rng.exponential(1);
      [leaveAt, resumeAt] = this.drift(Math.max(signup, t + rng.float() * DAY_MS));
    }
  }

  /** A temporary dip in activity starting at `at`, of any customer: what a drift looks like at first. */
  private lull(at: number): void {
    const rng = this.rng;
    const days = 4 + rng.exponential(14);
    this.tl.push(K_LULL, at, at + Math.min(60, days) * DAY_MS, 0.02 + 0.5 * rng.float());
  }

  /** A member drops the paid membership and stays a customer. */
  private stayOnCancel(at: number): void {
    if (!this.tr.member || this.cancelled) return;
    this.cancelled = true;
    this.tl.push(K_CANCEL, at, at, 0, 1);
  }

  /**
   * A drift away starting at `start`: its decline, leaving date, unsubscribes, cancel, the brand's win-back
   * offers and a return. Returns [leaving date, return date (Infinity when never)].
   */
  private drift(start: number): [number, number] {
    const { rng, tl, tr } = this;
    const days = Math.min(DECLINE.maxDays, DECLINE.minDays + rng.exponential(DECLINE.meanExtraDays));
    const leave = start + days * DAY_MS;
    const shape = DECLINE.shapeMin + rng.float() * (DECLINE.shapeMax - DECLINE.shapeMin);
    const residual = DECLINE.residualMin + rng.float() * (DECLINE.residualMax - DECLINE.residualMin);
    const floor = DECLINE.floorMin + rng.float() * (DECLINE.floorMax - DECLINE.floorMin);
    tl.push(K_DRIFT, start, leave, shape, residual, floor);
    for (let ch = 0; ch < 3; ch++) {
      if (tr.reachable[ch] && rng.chance(DECLINE.unsubscribeChance)) {
        this.unsub[ch] = Math.min(this.unsub[ch]!, Math.floor(start + rng.float() * (days + 20) * DAY_MS));
      }
    }
    // A leaving member may cancel during the decline or weeks after leaving (when the renewal is noticed).
    if (tr.member && !this.cancelled && rng.chance(this.c.cancelProbability)) {
      this.cancelled = true;
      const at = leave + (rng.float() * (0.7 * days + 40) - 0.7 * days) * DAY_MS;
      tl.push(K_CANCEL, at, at, 0, 0);
    }
    const back = this.comeBack(leave);
    if (back < Infinity && this.cancelled && rng.chance(WIN_BACK.resubscribe)) {
      this.cancelled = false;
      tl.push(K_RESUBSCRIBE, back + rng.float() * 14 * DAY_MS);
    }
    return [leave, back];
  }

  /**
   * Win-back offers after leaving at `leave`, and the return they or chance bring; Infinity when none. A return
   * by chance is placed up to the churn horizon only, like drifts: past it the latent process stops.
   */
  private comeBack(leave: number): number {
    const { rng, tl, tr } = this;
    const winBack = this.c.winBack;
    let back =
      leave + (WIN_BACK.afterDays + rng.exponential(1 / (WIN_BACK.spontaneousPerDay * winBack))) * DAY_MS;
    let viaOffer = 0;
    for (const after of WIN_BACK.offerDays) {
      // Sent in the brand's sending hours (9:00 to 19:00 of a simulated day), like its other messages.
      const day = leave + (after + (2 * rng.float() - 1) * WIN_BACK.jitterDays) * DAY_MS;
      const at =
        this.startMs + Math.floor((day - this.startMs) / DAY_MS) * DAY_MS + (9 + 10 * rng.float()) * HOUR_MS;
      if (at >= back) break;
      // The offer goes to the channel the customer responds to when it still receives it, else by e-mail.
      const ch = this.receives(tr.responsive, at) ? tr.responsive : this.receives(0, at) ? 0 : -1;
      if (ch < 0) continue;
      const p = (ch === tr.responsive ? WIN_BACK.offerReturn : WIN_BACK.offerReturnOtherChannel) * winBack;
      const won = rng.chance(p);
      tl.push(K_OFFER, at, at, ch, won ? 1 : 0);
      if (won) {
        back = at + (0.5 + rng.float() * 4) * HOUR_MS; // the visit follows the click within hours
        viaOffer = 1;
        break;
      }
    }
    if (viaOffer === 0 && back >= this.endMs) return Infinity;
    const level = WIN_BACK.levelMin + rng.float() * (WIN_BACK.levelMax - WIN_BACK.levelMin);
    tl.push(K_RETURN, back, back, level, viaOffer);
    return back;
  }

  private receives(ch: number, at: number): boolean {
    return this.tr.reachable[ch] === true && at < this.unsub[ch]!;
  }
}
