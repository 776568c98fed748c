/**
 * Shopping behaviour: a visit (browse, maybe cart, checkout, purchase) and what follows a purchase.
 */
import type { ArchetypeParams } from './archetypes.js';
import { ACTIVE, type CustomerDay } from './customer-day.js';
import { HOUR_MS, type Channel, type DayEmitter } from './day-emitter.js';
import { F_CART_ABANDONER } from './profiles.js';

const VIEW_TYPES = ['page_view', 'product_view', 'product_view', 'search', 'page_view'] as const;

/** One visit starting at `start`; `promo` when a clicked promotion brought it (carts more likely). */
export function session(em: DayEmitter, cd: CustomerDay, start: number, promo: boolean): void {
  const rng = em.rng;
  const a = cd.a;
  const channel: Channel = cd.app && rng.chance(0.6) ? 'app' : 'web';
  let t = start;
  if (channel === 'app') em.emit(t, 'app_open', undefined, 'app');
  const views = 1 + rng.poisson(a.viewsPerSession - 1);
  for (let v = 0; v < views; v++) {
    t += 5_000 + rng.int(85_000);
    em.emit(t, rng.pick(VIEW_TYPES), undefined, channel);
  }
  const abandoner = (cd.flags & F_CART_ABANDONER) !== 0;
  const cartP = a.cartPerSession * (abandoner ? 1.6 : 1) * (promo ? 1.5 : 1);
  if (rng.chance(cartP)) {
    t += 10_000 + rng.int(60_000);
    em.emit(t, 'cart_add', undefined, channel);
    if (rng.chance(a.checkoutPerCart * (abandoner ? 0.3 : 1))) {
      t += 20_000 + rng.int(120_000);
      em.emit(t, 'checkout_start', undefined, channel);
      if (rng.chance(a.purchasePerCheckout)) {
        t += 30_000 + rng.int(150_000);
        purchase(em, cd, t, channel);
      }
    }
  }
  t += 5_000 + rng.int(60_000);
  em.emit(t, 'session', Math.round((t - start) / 1000) + 1, channel);
}

/** A purchase at `t`, sometimes reviewed or refunded later that day. */
function purchase(em: DayEmitter, cd: CustomerDay, t: number, channel: Channel): void {
  const rng = em.rng;
  const a = cd.a;
  const amount = Math.round(cd.orderValue * Math.exp(0.5 * rng.normal()) * 100) / 100;
  em.emit(t, 'purchase', amount, channel, { items: 1 + rng.poisson(1) });
  if (rng.chance(0.08))
    em.emit(t + HOUR_MS * (1 + rng.float() * 6), 'review', rating(em, a, cd.phase !== ACTIVE), channel);
  if (rng.chance(a.refundRate)) em.emit(t + HOUR_MS * (2 + rng.float() * 8), 'refund', amount, channel);
}

/** A CSAT or review rating in the archetype's range, a point lower at times while `unhappier`. */
export function rating(em: DayEmitter, a: ArchetypeParams, unhappier = false): number {
  const r = em.rng.between(a.rating[0], a.rating[1]) - (unhappier && em.rng.chance(0.4) ? 1 : 0);
  return Math.max(1, r);
}
