/**
 * The customer's voice and loyalty: routine support contacts, the observable traces of a bad experience (a
 * ticket, a low CSAT, a chat: each only likely, never certain), NPS answers, advocacy, redemptions and in-store
 * purchases.
 */
import { HAZARD } from './churn-drivers.js';
import { ACTIVE, LEFT, type CustomerDay } from './customer-day.js';
import { HOUR_MS, type Channel, type DayEmitter } from './day-emitter.js';
import { rating } from './shopping.js';
import { K_INCIDENT, type Timelines } from './timeline.js';

const TICKET_CHANNELS: readonly Channel[] = ['email', 'phone', 'chat'];
/** P(a survey reaches the customer and is answered) per day. */
const NPS_PER_DAY = 0.01;

/** Routine support, NPS, advocacy, loyalty and in-store purchases of the day. */
export function voice(em: DayEmitter, cd: CustomerDay, tl: Timelines): void {
  const rng = em.rng;
  const a = cd.a;
  const e = cd.engagement;
  const dayStart = cd.dayStart;
  const unhappier = cd.phase !== ACTIVE;
  // Routine contacts (where is my parcel?) happen whatever the customer's mood; a customer who left has none.
  const present = cd.phase === LEFT ? 0.1 : 1;
  const tickets = rng.poisson(a.ticketsPerDay * present);
  for (let k = 0; k < tickets; k++) {
    const t = dayStart + em.timeOfDay();
    em.emit(t, 'support_ticket', undefined, rng.pick(TICKET_CHANNELS));
    if (rng.chance(0.6))
      em.emit(t + HOUR_MS * (1 + rng.float() * 4), 'csat', rating(em, a, unhappier), 'email');
  }
  const chats = rng.poisson(a.chatsPerDay * present);
  for (let k = 0; k < chats; k++) em.emit(dayStart + em.timeOfDay(), 'chat', undefined, 'chat');
  if (rng.chance(NPS_PER_DAY * Math.min(1, cd.respond))) {
    const t = dayStart + em.timeOfDay();
    em.emit(t, 'nps', npsAnswer(em, cd, dissatisfactionAt(tl, cd.i, t)), 'email');
  }
  const refs = rng.poisson(a.referralsPerDay * e);
  for (let k = 0; k < refs; k++) em.emit(dayStart + em.timeOfDay(), 'referral', undefined, 'email');
  const shares = rng.poisson(a.sharesPerDay * e);
  for (let k = 0; k < shares; k++) em.emit(dayStart + em.timeOfDay(), 'social_share', undefined, 'social');
  if (rng.chance(a.redeemsPerDay * e)) {
    em.emit(dayStart + em.timeOfDay(), 'loyalty_redeem', 50 * rng.between(2, 10), 'web');
  }
  if (rng.chance(a.storePurchasesPerDay * e)) {
    const t = dayStart + 9 * HOUR_MS + rng.int(11 * HOUR_MS);
    const amount = Math.round(cd.storeOrderValue * Math.exp(0.5 * rng.normal()) * 100) / 100;
    em.emit(t, 'purchase', amount, 'store', { items: 1 + rng.poisson(2) });
  }
}

/**
 * What a customer shows of a bad experience of `severity` at `t`: usually a ticket, often a low CSAT after it,
 * sometimes a chat. Some bad experiences leave no trace at all (the customer just quietly minds).
 */
export function badExperience(em: DayEmitter, cd: CustomerDay, t: number, severity: number): void {
  const rng = em.rng;
  if (!rng.chance(0.8)) return;
  em.emit(t, 'support_ticket', undefined, rng.pick(TICKET_CHANNELS));
  if (rng.chance(0.3)) em.emit(t + 60_000 + rng.int(HOUR_MS), 'chat', undefined, 'chat');
  if (rng.chance(0.65)) {
    // Below what the customer usually rates, the more so the worse the experience, with the noise of a
    // one-question survey: a contented customer's bad day still rates higher than a grumbler's routine one.
    const usual = (cd.a.rating[0] + cd.a.rating[1]) / 2;
    const csat = Math.round(usual - 1.3 * severity + 0.9 * rng.normal());
    em.emit(t + HOUR_MS * (1 + rng.float() * 4), 'csat', Math.min(5, Math.max(1, csat)), 'email');
  }
}

/** An NPS answer: the archetype's range, leaning with mood, lowered by recent bad experiences and by drifting. */
function npsAnswer(em: DayEmitter, cd: CustomerDay, dissatisfaction: number): number {
  const a = cd.a;
  const raw =
    em.rng.between(a.nps[0], a.nps[1]) +
    Math.round(1.2 * cd.mood - 1.5 * dissatisfaction) -
    (cd.phase !== ACTIVE ? 1 : 0);
  return Math.min(10, Math.max(0, raw));
}

/** The customer's support dissatisfaction at `t`: each earlier bad experience's severity, decayed. */
export function dissatisfactionAt(tl: Timelines, i: number, t: number): number {
  let sum = 0;
  for (let e = tl.offsets[i]!; e < tl.offsets[i + 1]!; e++) {
    if (tl.kind[e] !== K_INCIDENT) continue;
    const dt = t - tl.t0[e]!;
    if (dt >= 0) sum += tl.a[e]! * Math.exp(-dt / (HAZARD.incidentDecayDays * 86_400_000));
  }
  return sum;
}
