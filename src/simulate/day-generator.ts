/**
 * The behaviour model: one customer's events for one simulated day, from its profile, its latent life course
 * (timeline.ts) and the calendar.
 *
 * Every (customer, day) pair draws from its own reseeded generator, so a day's events never depend on which
 * window was asked for; events outside the asked window are skipped at emission, after their id number is taken,
 * so ids stay stable too.
 */
import type { CustomerEvent } from '../contract/event.js';
import { ARCHETYPE_PARAMS } from './archetypes.js';
import { priceLevel, seasonalActivity } from './calendar.js';
import { DECLINE } from './churn-drivers.js';
import { ACTIVE, CustomerDay, DRIFTING, LEFT } from './customer-day.js';
import { DayEmitter } from './day-emitter.js';
import { messages, winBackOffer } from './messaging.js';
import { mixSeed } from './prng.js';
import { DAY_MS, F_APP_USER, F_MEMBER, F_SMS_OPT_IN, type Profiles } from './profiles.js';
import { session } from './shopping.js';
import { K_CANCEL, K_DRIFT, K_INCIDENT, K_LULL, K_OFFER, K_RESUBSCRIBE, K_RETURN } from './timeline.js';
import { badExperience, voice } from './voice.js';

const WEEK_MS = 7 * DAY_MS;
/** Salt of the weekly mood hash, apart from the day and profile draws. */
const WEEK_SALT = 0x5eed;

/** Generates customer-days into an output array, filtered to a time window. */
export class DayGenerator {
  private readonly em: DayEmitter;
  private readonly cd = new CustomerDay();
  /** The day the season and price level below were computed for (they are the same for every customer). */
  private calendarDay = NaN;
  private season = 1;
  private price = 1;
  /** Latent state read by {@link readState}: phase and level of engagement. */
  private phase = ACTIVE;
  private level = 1;

  constructor(
    private readonly pr: Profiles,
    private readonly seed: number,
    prefix: string,
  ) {
    this.em = new DayEmitter(seed, prefix);
  }

  /**
   * Appends customer `i`'s events of day `day` (starting at `dayStartMs`) whose ts lies in [fromMs, toMs) to
   * `out`, in generation order (not sorted).
   */
  generate(
    i: number,
    day: number,
    dayStartMs: number,
    fromMs: number,
    toMs: number,
    out: CustomerEvent[],
  ): void {
    const pr = this.pr;
    const signup = pr.signupMs[i] ?? 0;
    const dayEnd = dayStartMs + DAY_MS;
    const lo = Math.max(fromMs, dayStartMs, signup);
    const hi = Math.min(toMs, dayEnd);
    if (lo >= hi) return;
    const em = this.em;
    em.begin(i, pr.ids[i] ?? '', day, lo, hi, out);
    if (dayStartMs !== this.calendarDay) this.setCalendar(dayStartMs);
    const rng = em.rng;
    const cd = this.cd;
    const a = ARCHETYPE_PARAMS[pr.archetype[i] ?? 0]!;
    const flags = pr.flags[i] ?? 0;
    cd.i = i;
    cd.a = a;
    cd.flags = flags;
    cd.app = (flags & F_APP_USER) !== 0;
    cd.dayStart = dayStartMs;
    cd.mood = pr.mood[i] ?? 0;
    cd.openness = pr.openness[i] ?? 1;
    cd.orderValue = (pr.orderValue[i] ?? a.orderValue) * this.price;
    cd.storeOrderValue = a.orderValue * this.price;

    this.readState(i, dayStartMs + DAY_MS / 2);
    let level = this.level;
    // A drifting customer still has good days: the decline is a trend under noise, not a straight fade.
    if (this.phase === DRIFTING && rng.chance(DECLINE.goodDayChance))
      level = Math.max(level, 0.5 + 0.5 * rng.float());
    // Good and bad weeks for everyone (a hash, so any day of the week sees the same draw): dips are not churn.
    const week = Math.floor(dayStartMs / WEEK_MS);
    const weekly = 0.55 + 0.9 * (mixSeed(this.seed ^ WEEK_SALT, i, week) / 4294967296);
    const fresh = dayStartMs - signup < 7 * DAY_MS ? 1.6 : 1;
    cd.phase = this.phase;
    cd.respond = level * weekly;
    cd.engagement = (pr.activity[i] ?? 1) * this.season * fresh * cd.respond;

    if (signup >= dayStartMs && signup < dayEnd) this.signupEvents(signup, flags, cd.app);
    const sessions = rng.poisson(a.sessionsPerDay * cd.engagement);
    for (let s = 0; s < sessions; s++) session(em, cd, dayStartMs + em.timeOfDay(), false);
    messages(em, cd, pr.responsive[i] ?? 0, pr.unsubAtMs);
    voice(em, cd, pr.timelines);
    this.datedEntries(i, dayStartMs, dayEnd);
  }

  private setCalendar(dayStartMs: number): void {
    this.calendarDay = dayStartMs;
    this.season = seasonalActivity(dayStartMs);
    this.price = priceLevel(this.pr.startMs, dayStartMs);
  }

  /**
   * The latent phase and engagement level of customer `i` at `t`: the latest drift that started by then (and
   * its return, if any by then), times any lull in progress.
   */
  private readState(i: number, t: number): void {
    const tl = this.pr.timelines;
    let drift = -1;
    let returned = 1;
    let lull = 1;
    for (let e = tl.offsets[i]!; e < tl.offsets[i + 1]!; e++) {
      const k = tl.kind[e];
      if (k === K_DRIFT) {
        // Entries after a drift are dated at or after it (timeline.ts), so none of them matters yet.
        if (tl.t0[e]! > t) break;
        drift = e;
        returned = 0;
      } else if (k === K_RETURN) {
        if (tl.t0[e]! <= t) returned = tl.a[e]!;
      } else if (k === K_LULL && tl.t0[e]! <= t && t < tl.t1[e]!) {
        lull *= tl.a[e]!;
      }
    }
    if (drift < 0 || returned > 0) {
      this.phase = ACTIVE;
      this.level = (drift < 0 ? 1 : returned) * lull;
      return;
    }
    const from = tl.t0[drift]!;
    const leave = tl.t1[drift]!;
    const residual = tl.b[drift]!;
    if (t < leave) {
      this.phase = DRIFTING;
      const progress = (t - from) / (leave - from);
      this.level = Math.max(residual, 1 - (1 - tl.c[drift]!) * progress ** tl.a[drift]!) * lull;
    } else {
      this.phase = LEFT;
      this.level = residual;
    }
  }

  /** Events of timeline entries dated within the day: bad experiences, win-back offers, cancels, renewals. */
  private datedEntries(i: number, dayStart: number, dayEnd: number): void {
    const tl = this.pr.timelines;
    const em = this.em;
    for (let e = tl.offsets[i]!; e < tl.offsets[i + 1]!; e++) {
      const t = tl.t0[e]!;
      const k = tl.kind[e];
      if (k === K_DRIFT && t >= dayEnd) break; // nothing after a later drift is dated today (see readState)
      if (t < dayStart || t >= dayEnd) continue;
      if (k === K_INCIDENT) badExperience(em, this.cd, t, tl.a[e]!);
      else if (k === K_OFFER) winBackOffer(em, this.cd, t, tl.a[e]!, tl.b[e] === 1);
      else if (k === K_CANCEL) em.emit(t, 'cancel', undefined, em.rng.chance(0.7) ? 'web' : 'phone');
      else if (k === K_RESUBSCRIBE) em.emit(t, 'subscribe', undefined, 'web');
    }
  }

  private signupEvents(t: number, flags: number, app: boolean): void {
    const em = this.em;
    em.emit(t, 'signup', undefined, app ? 'app' : 'web');
    em.emit(t + 20_000, 'subscribe', undefined, 'email');
    if ((flags & F_SMS_OPT_IN) !== 0) em.emit(t + 40_000, 'subscribe', undefined, 'sms');
    if (app) em.emit(t + 60_000, 'subscribe', undefined, 'push');
    if ((flags & F_MEMBER) !== 0) em.emit(t + 90_000, 'subscribe', undefined, 'web');
  }
}
