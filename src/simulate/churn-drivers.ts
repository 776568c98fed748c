/**
 * The churn process's parameters: what drives a customer's latent daily hazard of starting to drift away, how
 * the drift unfolds, and how a customer who left comes back. docs/simulator.md explains the model; the figures
 * here are its magnitudes. Rates are per day unless named per year.
 */

/** Per-archetype drivers of churn, indexed like ARCHETYPES. */
export interface ChurnDrivers {
  /** Base hazard: P(starting to drift away within a year) for a neutral customer with no bad experience. */
  readonly churnPerYear: number;
  /** Bad support experiences (a failed delivery, a wrong refund, ...) per year. */
  readonly incidentsPerYear: number;
  /** Mean latent price sensitivity, 0..1: how strongly a price rise or a competitor's offer raises the hazard. */
  readonly priceSensitivity: number;
  /** P(an explicit `cancel` | a member leaves). */
  readonly cancelProbability: number;
  /** Multiplier on the chance of returning after leaving (1 = typical). */
  readonly winBack: number;
  /** Temporary lulls per year (holidays, busy weeks): dips in activity that recover, whether churning or not. */
  readonly lullsPerYear: number;
}

const d = (
  churnPerYear: number,
  incidentsPerYear: number,
  priceSensitivity: number,
  cancelProbability: number,
  winBack: number,
  lullsPerYear: number,
): ChurnDrivers => ({
  churnPerYear,
  incidentsPerYear,
  priceSensitivity,
  cancelProbability,
  winBack,
  lullsPerYear,
});

/** Churn drivers by archetype (same order as ARCHETYPES). */
export const CHURN_DRIVERS: readonly ChurnDrivers[] = [
  d(0.15, 1.5, 0.15, 0.35, 1.4, 3), // loyal
  d(1, 1.2, 0.35, 0.3, 0.8, 2), // occasional
  d(0.8, 2, 0.75, 0.35, 1.6, 3), // deal_seeker
  d(3, 4, 0.4, 0.45, 0.9, 3), // churning
  d(1.1, 0.5, 0.3, 0.2, 0.5, 1), // silent
  d(0.08, 1, 0.1, 0.3, 1.5, 3), // advocate
  d(0.7, 8, 0.35, 0.55, 0.6, 3), // unhappy
];

/** Magnitudes shared by every archetype. */
export const HAZARD = {
  /** Per-customer frailty: log-normal σ of an unobserved multiplier on the hazard (mean 1). */
  frailtySigma: 0.6,
  /** Log-hazard per unit of latent mood (mood ~ N(0, 1), also shifting NPS answers): grumpy customers leave more. */
  moodEffect: -0.5,
  /** Log-hazard per unit of support dissatisfaction (each bad experience adds its severity, mean 1). */
  incidentEffect: 2,
  /** Time constant of support dissatisfaction's decay, days. */
  incidentDecayDays: 30,
  /** Competitor offers per year per customer (deal seekers get more of them); the engine never sees one. */
  competitorPerYear: 2,
  /** Hazard lift of a competitor offer: base + perSensitivity × price sensitivity, decaying over `decayDays`. */
  competitorLift: { base: 1.5, perSensitivity: 8, decayDays: 12 },
  /** Hazard lift of a price rise: perSensitivity × price sensitivity, decaying over `decayDays`. */
  priceLift: { perSensitivity: 10, decayDays: 25 },
  /** Newcomers leave more: hazard × (1 + lift · e^(−age / decayDays)). */
  onboarding: { lift: 4, decayDays: 30 },
} as const;

/** How a drift away unfolds: the decline's length and shape, and what is left after the leaving date. */
export const DECLINE = {
  /** Shortest decline, days; the rest is exponential with `meanExtraDays`, capped at `maxDays`. */
  minDays: 7,
  meanExtraDays: 21,
  maxDays: 80,
  /**
   * Engagement during the decline is 1 − (1 − floor) · progress^shape: from full down to `floor` on the eve of
   * leaving, early (shape < 1) or late (shape > 1); shape uniform in [shapeMin, shapeMax], floor in
   * [floorMin, floorMax]. Then it drops to the residual: people often stop after a last visit.
   */
  shapeMin: 0.4,
  shapeMax: 1.6,
  floorMin: 0.05,
  floorMax: 0.45,
  /** Engagement left after leaving (stray visits, an odd e-mail opened): uniform in [residualMin, residualMax]. */
  residualMin: 0.001,
  residualMax: 0.008,
  /** P(a day of the decline is a good day, back near full engagement). */
  goodDayChance: 0.12,
  /** P(unsubscribing from each messaging channel while drifting away). */
  unsubscribeChance: 0.2,
} as const;

/** Win-back: brand offers after a customer goes quiet, and returns. */
export const WIN_BACK = {
  /** The brand's win-back offers, days after the leaving date (± `jitterDays`). */
  offerDays: [30, 60],
  jitterDays: 7,
  /** P(returning because of an offer), on the customer's responsive channel and on another channel. */
  offerReturn: 0.12,
  offerReturnOtherChannel: 0.03,
  /** Spontaneous returns: per-day hazard from `afterDays` after leaving (× the archetype's winBack). */
  spontaneousPerDay: 0.002,
  afterDays: 21,
  /** Engagement after a return, relative to before: uniform in [levelMin, levelMax]. */
  levelMin: 0.5,
  levelMax: 1,
  /** P(a customer who cancelled subscribing again after returning). */
  resubscribe: 0.4,
} as const;

/** Members cancelling while staying: a price-sensitive member may drop the paid membership at a price rise. */
export const CANCEL_BUT_STAY = {
  /** P(cancel | member, price rise) = perSensitivity × price sensitivity. */
  perSensitivity: 0.3,
  /** Other stay-on cancels per member per year. */
  perYear: 0.04,
} as const;
