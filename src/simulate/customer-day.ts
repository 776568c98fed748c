/**
 * What the behaviour parts need to know about the customer-day being generated, filled once per customer-day by
 * the day generator into one reused object (no allocation per customer-day).
 */
import type { ArchetypeParams } from './archetypes.js';

/** Phase of a customer's latent life course on a given day. */
export const ACTIVE = 0;
/** Drifting away: engagement declining towards the leaving date. */
export const DRIFTING = 1;
/** Left: only stray activity until a return. */
export const LEFT = 2;

/** The customer-day's context. */
export class CustomerDay {
  /** Customer number. */
  i = 0;
  a!: ArchetypeParams;
  flags = 0;
  app = false;
  /** Start of the day, epoch ms. */
  dayStart = 0;
  /** ACTIVE, DRIFTING or LEFT. */
  phase = ACTIVE;
  /** Multiplier on the archetype's daily rates of own activity (level, season, noise, first-week keenness). */
  engagement = 1;
  /** Multiplier on message open rates: the latent state and noise, without the customer's activity level. */
  respond = 1;
  /** Median order value today, currency units (the customer's, at today's price level). */
  orderValue = 0;
  /** The archetype's typical order value at today's price level (in-store purchases). */
  storeOrderValue = 0;
  /** The customer's multiplier on message open rates. */
  openness = 1;
  /** Latent mood (NPS answers lean with it). */
  mood = 0;
}
