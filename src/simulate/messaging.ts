/**
 * The brand's messages and the customer's responses: regular sends per channel (they keep arriving after a
 * customer has left, until it unsubscribes), opens and clicks that follow the customer's latent engagement,
 * promotion visits, and the win-back offers sent after a customer goes quiet.
 */
import type { CustomerDay } from './customer-day.js';
import { HOUR_MS, type Channel, type DayEmitter } from './day-emitter.js';
import { F_SMS_OPT_IN } from './profiles.js';
import { session } from './shopping.js';

const DAY_MS = 86_400_000;
const MESSAGE_CHANNEL_NAMES: readonly Channel[] = ['email', 'sms', 'push'];
/** Brand sends per day per messaging channel (email, sms, push). */
const SENDS_PER_DAY = [0.45, 0.1, 0.25];
/** Base open rate per channel, before responsiveness and engagement. */
const OPEN_RATE = [0.18, 0.2, 0.12];

/** The day's regular sends on every channel the customer receives, its unsubscribes, opens and clicks. */
export function messages(em: DayEmitter, cd: CustomerDay, responsive: number, unsubAtMs: Float64Array): void {
  const rng = em.rng;
  const a = cd.a;
  const dayStart = cd.dayStart;
  for (let c = 0; c < 3; c++) {
    if (c === 1 && (cd.flags & F_SMS_OPT_IN) === 0) continue;
    if (c === 2 && !cd.app) continue;
    const channel = MESSAGE_CHANNEL_NAMES[c]!;
    const unsubAt = unsubAtMs[cd.i * 3 + c] ?? Infinity;
    if (unsubAt >= dayStart && unsubAt < dayStart + DAY_MS)
      em.emit(unsubAt, 'unsubscribe', undefined, channel);
    const sends = rng.poisson(SENDS_PER_DAY[c] ?? 0);
    const openP = Math.min(
      0.95,
      (OPEN_RATE[c] ?? 0) * (responsive === c ? 2.6 : 0.25) * a.messageAffinity * cd.openness * cd.respond,
    );
    const clickP = responsive === c ? 0.35 : 0.1;
    for (let m = 0; m < sends; m++) {
      const sentAt = dayStart + 9 * HOUR_MS + rng.int(10 * HOUR_MS);
      if (sentAt >= unsubAt) break;
      em.emit(sentAt, 'message_sent', undefined, channel);
      if (!rng.chance(openP)) continue;
      const openAt = sentAt + 60_000 + rng.int(3 * HOUR_MS);
      em.emit(openAt, 'message_open', undefined, channel);
      if (!rng.chance(clickP)) continue;
      em.emit(openAt + 5_000 + rng.int(60_000), 'message_click', undefined, channel);
      // Deal seekers come to buy when a promotion lands; others sometimes browse (less so while fading away).
      if (rng.chance((a.messageAffinity > 1.4 ? 0.8 : 0.4) * Math.min(1, cd.respond))) {
        session(em, cd, openAt + 90_000, a.messageAffinity > 1.4);
      }
    }
  }
  if (cd.app && rng.chance(0.1)) em.emit(dayStart + em.timeOfDay(), 'message_sent', undefined, 'in_app');
}

/**
 * A win-back offer sent at `at` on messaging channel `c`. One that wins the customer back is opened and clicked,
 * and the customer visits with the offer in hand; most are ignored like any message to someone who left.
 */
export function winBackOffer(em: DayEmitter, cd: CustomerDay, at: number, c: number, won: boolean): void {
  const rng = em.rng;
  const channel = MESSAGE_CHANNEL_NAMES[c] ?? 'email';
  em.emit(at, 'message_sent', undefined, channel);
  if (!won && !rng.chance(0.04)) return;
  // A winning offer is opened at once (the return follows within hours, after the click).
  const openAt = at + 60_000 + rng.int(won ? HOUR_MS / 3 : 6 * HOUR_MS);
  em.emit(openAt, 'message_open', undefined, channel);
  if (!won) return;
  em.emit(openAt + 5_000 + rng.int(60_000), 'message_click', undefined, channel);
  session(em, cd, openAt + 90_000, true);
}
