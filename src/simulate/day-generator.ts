/**
 * The behaviour model: one customer's events for one simulated day.
 *
 * Every (customer, day) pair draws from its own reseeded generator, so a day's events never depend on which
 * window was asked for; events outside the asked window are skipped at emission, after their id number is taken,
 * so ids stay stable too.
 */
import type { CustomerEvent } from '../contract/event.js';
import { ARCHETYPE_PARAMS, type ArchetypeParams } from './archetypes.js';
import { Prng, mixSeed } from './prng.js';
import {
  DAY_MS,
  F_APP_USER,
  F_CANCELS,
  F_CART_ABANDONER,
  F_MEMBER,
  F_SMS_OPT_IN,
  type Profiles,
} from './profiles.js';

type Channel = NonNullable<CustomerEvent['channel']>;

// Relative activity per hour of the day: quiet nights, a lunch bump, an evening peak.
const HOUR_WEIGHTS = [
  0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.9, 1, 1, 1.1, 1, 0.9, 0.9, 1, 1.1, 1.3, 1.5, 1.6, 1.4, 1,
  0.5,
];
const HOUR_CDF = ((): Float64Array => {
  const total = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(24);
  let acc = 0;
  HOUR_WEIGHTS.forEach((w, h) => (cdf[h] = acc += w / total));
  return cdf;
})();
const HOUR_MS = 3_600_000;
const MESSAGE_CHANNEL_NAMES: readonly Channel[] = ['email', 'sms', 'push'];
/** Brand sends per day per messaging channel (email, sms, push). */
const SENDS_PER_DAY = [0.45, 0.1, 0.25];
/** Base open rate per channel, before responsiveness and engagement. */
const OPEN_RATE = [0.18, 0.2, 0.12];
const VIEW_TYPES = ['page_view', 'product_view', 'product_view', 'search', 'page_view'] as const;
const TICKET_CHANNELS: readonly Channel[] = ['email', 'phone', 'chat'];

/** Generates customer-days into an output array, filtered to a time window. */
export class DayGenerator {
  private readonly rng = new Prng(0);
  private out: CustomerEvent[] = [];
  private lo = 0;
  private hi = 0;
  private customerId = '';
  private idBase = '';
  private n = 0;
  private ci = 0;
  private day = 0;
  private readonly seedTag: string;

  constructor(
    private readonly pr: Profiles,
    private readonly seed: number,
    private readonly prefix: string,
  ) {
    this.seedTag = seed.toString(36);
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
    const churnAt = pr.churnAtMs[i] ?? NaN;
    const dayEnd = dayStartMs + DAY_MS;
    // Nothing before signup, nothing after the churn date (the cancel, if any, sits exactly on it).
    this.lo = Math.max(fromMs, dayStartMs, signup);
    this.hi = Math.min(toMs, dayEnd, Number.isNaN(churnAt) ? Infinity : churnAt + 1);
    if (this.lo >= this.hi) return;
    this.out = out;
    this.customerId = pr.ids[i] ?? '';
    this.idBase = '';
    this.n = 0;
    this.ci = i;
    this.day = day;
    const rng = this.rng;
    rng.reseed(mixSeed(this.seed, i, day));
    const a = ARCHETYPE_PARAMS[pr.archetype[i] ?? 0]!;
    const flags = pr.flags[i] ?? 0;
    const app = (flags & F_APP_USER) !== 0;

    // Engagement today: the customer's own level, weekends a little busier, the first week keener, and a
    // fade-out towards the churn date (the signal a churn model has to pick up before the customer is gone).
    const weekday = (Math.floor(dayStartMs / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday
    let fade = 1;
    if (!Number.isNaN(churnAt)) {
      const remaining = churnAt - dayStartMs;
      const fadeMs = pr.fadeMs[i] ?? DAY_MS;
      if (remaining < fadeMs) fade = Math.max(0.03, remaining / fadeMs) ** 1.5;
    }
    const fresh = dayStartMs - signup < 7 * DAY_MS ? 1.6 : 1;
    const e = (pr.activity[i] ?? 1) * (weekday === 0 || weekday === 6 ? 1.2 : 1) * fade * fresh;

    if (signup >= dayStartMs && signup < dayEnd) this.signupEvents(signup, flags, app);

    const sessions = rng.poisson(a.sessionsPerDay * e);
    for (let s = 0; s < sessions; s++) this.session(a, dayStartMs + this.timeOfDay(), flags, app, i, false);

    this.messages(a, i, dayStartMs, fade, flags, app);
    this.voice(a, dayStartMs, fade, e);

    if ((flags & F_CANCELS) !== 0 && churnAt >= dayStartMs && churnAt < dayEnd) {
      this.emit(churnAt, 'cancel', undefined, rng.chance(0.7) ? 'web' : 'phone');
    }
  }

  private signupEvents(t: number, flags: number, app: boolean): void {
    this.emit(t, 'signup', undefined, app ? 'app' : 'web');
    this.emit(t + 20_000, 'subscribe', undefined, 'email');
    if ((flags & F_SMS_OPT_IN) !== 0) this.emit(t + 40_000, 'subscribe', undefined, 'sms');
    if (app) this.emit(t + 60_000, 'subscribe', undefined, 'push');
    if ((flags & F_MEMBER) !== 0) this.emit(t + 90_000, 'subscribe', undefined, 'web');
  }

  /** One visit: browse, maybe cart, checkout, purchase, then a review or refund later that day. */
  private session(
    a: ArchetypeParams,
    start: number,
    flags: number,
    app: boolean,
    i: number,
    promo: boolean,
  ): void {
    const rng = this.rng;
    const channel: Channel = app && rng.chance(0.6) ? 'app' : 'web';
    let t = start;
    if (channel === 'app') this.emit(t, 'app_open', undefined, 'app');
    const views = 1 + rng.poisson(a.viewsPerSession - 1);
    for (let v = 0; v < views; v++) {
      t += 5_000 + rng.int(85_000);
      this.emit(t, rng.pick(VIEW_TYPES), undefined, channel);
    }
    const abandoner = (flags & F_CART_ABANDONER) !== 0;
    const cartP = a.cartPerSession * (abandoner ? 1.6 : 1) * (promo ? 1.5 : 1);
    if (rng.chance(cartP)) {
      t += 10_000 + rng.int(60_000);
      this.emit(t, 'cart_add', undefined, channel);
      if (rng.chance(a.checkoutPerCart * (abandoner ? 0.3 : 1))) {
        t += 20_000 + rng.int(120_000);
        this.emit(t, 'checkout_start', undefined, channel);
        if (rng.chance(a.purchasePerCheckout)) {
          t += 30_000 + rng.int(150_000);
          this.purchase(a, t, channel, i);
        }
      }
    }
    t += 5_000 + rng.int(60_000);
    this.emit(t, 'session', Math.round((t - start) / 1000) + 1, channel);
  }

  private purchase(a: ArchetypeParams, t: number, channel: Channel, i: number): void {
    const rng = this.rng;
    const amount =
      Math.round((this.pr.orderValue[i] ?? a.orderValue) * Math.exp(0.5 * rng.normal()) * 100) / 100;
    this.emit(t, 'purchase', amount, channel, { items: 1 + rng.poisson(1) });
    if (rng.chance(0.08)) this.emit(t + HOUR_MS * (1 + rng.float() * 6), 'review', this.rating(a), channel);
    if (rng.chance(a.refundRate)) this.emit(t + HOUR_MS * (2 + rng.float() * 8), 'refund', amount, channel);
  }

  /** Brand messages per channel, the customer's opens and clicks, a promo visit after some clicks. */
  private messages(
    a: ArchetypeParams,
    i: number,
    dayStart: number,
    fade: number,
    flags: number,
    app: boolean,
  ): void {
    const rng = this.rng;
    const pr = this.pr;
    const responsive = pr.responsive[i] ?? 0;
    for (let c = 0; c < 3; c++) {
      if (c === 1 && (flags & F_SMS_OPT_IN) === 0) continue;
      if (c === 2 && !app) continue;
      const channel = MESSAGE_CHANNEL_NAMES[c]!;
      const unsubAt = pr.unsubAtMs[i * 3 + c] ?? Infinity;
      if (unsubAt >= dayStart && unsubAt < dayStart + DAY_MS)
        this.emit(unsubAt, 'unsubscribe', undefined, channel);
      const sends = rng.poisson(SENDS_PER_DAY[c] ?? 0);
      const openP = Math.min(
        0.95,
        (OPEN_RATE[c] ?? 0) * (responsive === c ? 2.6 : 0.6) * a.messageAffinity * fade,
      );
      const clickP = responsive === c ? 0.35 : 0.1;
      for (let m = 0; m < sends; m++) {
        const sentAt = dayStart + 9 * HOUR_MS + rng.int(10 * HOUR_MS);
        if (sentAt >= unsubAt) break;
        this.emit(sentAt, 'message_sent', undefined, channel);
        if (!rng.chance(openP)) continue;
        const openAt = sentAt + 60_000 + rng.int(3 * HOUR_MS);
        this.emit(openAt, 'message_open', undefined, channel);
        if (!rng.chance(clickP)) continue;
        this.emit(openAt + 5_000 + rng.int(60_000), 'message_click', undefined, channel);
        // Deal seekers come to buy when a promotion lands; others sometimes browse.
        if (rng.chance(a.messageAffinity > 1.4 ? 0.8 : 0.4)) {
          this.session(a, openAt + 90_000, flags, app, i, a.messageAffinity > 1.4);
        }
      }
    }
    if (app && rng.chance(0.1)) this.emit(dayStart + this.timeOfDay(), 'message_sent', undefined, 'in_app');
  }

  /** Support, ratings, advocacy, loyalty and in-store purchases. */
  private voice(a: ArchetypeParams, dayStart: number, fade: number, e: number): void {
    const rng = this.rng;
    // Customers on their way out complain more before they go quiet.
    const tickets = rng.poisson(a.ticketsPerDay * (fade < 1 ? 2.5 : 1));
    for (let k = 0; k < tickets; k++) {
      const t = dayStart + this.timeOfDay();
      this.emit(t, 'support_ticket', undefined, rng.pick(TICKET_CHANNELS));
      if (rng.chance(0.6))
        this.emit(t + HOUR_MS * (1 + rng.float() * 4), 'csat', this.rating(a, fade), 'email');
    }
    const chats = rng.poisson(a.chatsPerDay);
    for (let k = 0; k < chats; k++) this.emit(dayStart + this.timeOfDay(), 'chat', undefined, 'chat');
    if (rng.chance(0.006)) {
      const nps = rng.between(a.nps[0], a.nps[1]) - (fade < 0.6 ? 2 : 0);
      this.emit(dayStart + this.timeOfDay(), 'nps', Math.max(0, nps), 'email');
    }
    const refs = rng.poisson(a.referralsPerDay * e);
    for (let k = 0; k < refs; k++) this.emit(dayStart + this.timeOfDay(), 'referral', undefined, 'email');
    const shares = rng.poisson(a.sharesPerDay * e);
    for (let k = 0; k < shares; k++)
      this.emit(dayStart + this.timeOfDay(), 'social_share', undefined, 'social');
    if (rng.chance(a.redeemsPerDay * e)) {
      this.emit(dayStart + this.timeOfDay(), 'loyalty_redeem', 50 * rng.between(2, 10), 'web');
    }
    if (rng.chance(a.storePurchasesPerDay * e)) {
      const t = dayStart + 9 * HOUR_MS + rng.int(11 * HOUR_MS);
      const amount = Math.round(a.orderValue * Math.exp(0.5 * rng.normal()) * 100) / 100;
      this.emit(t, 'purchase', amount, 'store', { items: 1 + rng.poisson(2) });
    }
  }

  private rating(a: ArchetypeParams, fade = 1): number {
    const r = this.rng.between(a.rating[0], a.rating[1]) - (fade < 0.5 ? 1 : 0);
    return Math.max(1, r);
  }

  /** Milliseconds into the day, following {@link HOUR_WEIGHTS}. */
  private timeOfDay(): number {
    const u = this.rng.float();
    let h = 0;
    while (h < 23 && u >= (HOUR_CDF[h] ?? 1)) h++;
    return h * HOUR_MS + this.rng.int(HOUR_MS);
  }

  private emit(
    ts: number,
    type: string,
    value: number | undefined,
    channel: Channel,
    props?: Record<string, number>,
  ): void {
    // The id number is taken even for skipped events, so an event keeps its id whatever window is generated.
    const n = this.n++;
    if (ts < this.lo || ts >= this.hi) return;
    // Ids: `<prefix><seed>-<customer>-<day>-<n>` (base 36), unique per simulator seed and prefix; built
    // lazily because most customer-days emit nothing.
    if (this.idBase === '')
      this.idBase = `${this.prefix}${this.seedTag}-${this.ci.toString(36)}-${this.day.toString(36)}-`;
    const id = this.idBase + n.toString(36);
    ts = Math.floor(ts);
    // One literal per shape keeps the number of hidden classes small and avoids adding fields one by one.
    let ev: CustomerEvent;
    if (value === undefined) ev = { id, customerId: this.customerId, type, ts, channel };
    else if (props === undefined) ev = { id, customerId: this.customerId, type, ts, value, channel };
    else ev = { id, customerId: this.customerId, type, ts, value, channel, props };
    this.out.push(ev);
  }
}
