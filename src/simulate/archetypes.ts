/**
 * Customer archetypes: who the simulated customers are and how each kind behaves while engaged.
 * Rates are per day of simulated time at full engagement; probabilities are per opportunity (per session, per
 * message, ...). How each kind drifts away and comes back is in churn-drivers.ts.
 */

/** The kinds of simulated customers. */
export const ARCHETYPES = [
  'loyal',
  'occasional',
  'deal_seeker',
  'churning',
  'silent',
  'advocate',
  'unhappy',
] as const;

/** One of {@link ARCHETYPES}. */
export type Archetype = (typeof ARCHETYPES)[number];

/** The behaviour of one archetype. */
export interface ArchetypeParams {
  /** Share of the population (the shares sum to 1). */
  readonly share: number;
  /** Expected visits (sessions) per day at full engagement. */
  readonly sessionsPerDay: number;
  /** Mean page/product views and searches per session. */
  readonly viewsPerSession: number;
  /** P(cart_add) per session. */
  readonly cartPerSession: number;
  /** P(checkout_start | cart_add). */
  readonly checkoutPerCart: number;
  /** P(purchase | checkout_start). */
  readonly purchasePerCheckout: number;
  /** Typical order value, currency units (the median of a log-normal). */
  readonly orderValue: number;
  /** P(refund) per purchase. */
  readonly refundRate: number;
  /** Open-rate multiplier on messages (1 = typical). */
  readonly messageAffinity: number;
  /** Support tickets per day. */
  readonly ticketsPerDay: number;
  /** Chats per day. */
  readonly chatsPerDay: number;
  /** Inclusive range of NPS answers. */
  readonly nps: readonly [number, number];
  /** Inclusive range of CSAT and review ratings. */
  readonly rating: readonly [number, number];
  /** Referrals per day. */
  readonly referralsPerDay: number;
  /** Social shares per day. */
  readonly sharesPerDay: number;
  /** Loyalty redemptions per day. */
  readonly redeemsPerDay: number;
  /** P(a purchase made in store, without an online session) per day. */
  readonly storePurchasesPerDay: number;
  /** P(a paid membership subscription at signup). */
  readonly memberProbability: number;
}

const p = (x: ArchetypeParams): ArchetypeParams => x;

/** Parameters of every archetype, indexed like {@link ARCHETYPES}. */
export const ARCHETYPE_PARAMS: readonly ArchetypeParams[] = [
  // loyal: steady visits and purchases, happy, rarely churns
  p({
    share: 0.22,
    sessionsPerDay: 0.55,
    viewsPerSession: 4,
    cartPerSession: 0.35,
    checkoutPerCart: 0.75,
    purchasePerCheckout: 0.85,
    orderValue: 60,
    refundRate: 0.03,
    messageAffinity: 1.2,
    ticketsPerDay: 0.004,
    chatsPerDay: 0.006,
    nps: [7, 10],
    rating: [4, 5],
    referralsPerDay: 0.003,
    sharesPerDay: 0.004,
    redeemsPerDay: 0.01,
    storePurchasesPerDay: 0.02,
    memberProbability: 0.35,
  }),
  // occasional: a visit now and then, buys rarely
  p({
    share: 0.2,
    sessionsPerDay: 0.14,
    viewsPerSession: 3,
    cartPerSession: 0.25,
    checkoutPerCart: 0.6,
    purchasePerCheckout: 0.8,
    orderValue: 80,
    refundRate: 0.04,
    messageAffinity: 0.8,
    ticketsPerDay: 0.003,
    chatsPerDay: 0.003,
    nps: [5, 9],
    rating: [3, 5],
    referralsPerDay: 0.0005,
    sharesPerDay: 0.001,
    redeemsPerDay: 0.001,
    storePurchasesPerDay: 0.005,
    memberProbability: 0.1,
  }),
  // deal_seeker: many carts, buys cheap, mostly after promotions
  p({
    share: 0.12,
    sessionsPerDay: 0.3,
    viewsPerSession: 6,
    cartPerSession: 0.45,
    checkoutPerCart: 0.45,
    purchasePerCheckout: 0.6,
    orderValue: 30,
    refundRate: 0.06,
    messageAffinity: 1.5,
    ticketsPerDay: 0.005,
    chatsPerDay: 0.006,
    nps: [4, 8],
    rating: [3, 5],
    referralsPerDay: 0.001,
    sharesPerDay: 0.002,
    redeemsPerDay: 0.02,
    storePurchasesPerDay: 0.002,
    memberProbability: 0.05,
  }),
  // churning: engaged like most, but with a high base hazard of drifting away (churn-drivers.ts)
  p({
    share: 0.2,
    sessionsPerDay: 0.4,
    viewsPerSession: 4,
    cartPerSession: 0.3,
    checkoutPerCart: 0.65,
    purchasePerCheckout: 0.8,
    orderValue: 55,
    refundRate: 0.05,
    messageAffinity: 1,
    ticketsPerDay: 0.008,
    chatsPerDay: 0.006,
    nps: [3, 8],
    rating: [2, 5],
    referralsPerDay: 0.0005,
    sharesPerDay: 0.001,
    redeemsPerDay: 0.004,
    storePurchasesPerDay: 0.005,
    memberProbability: 0.3,
  }),
  // silent: signed up, barely active
  p({
    share: 0.1,
    sessionsPerDay: 0.025,
    viewsPerSession: 2,
    cartPerSession: 0.1,
    checkoutPerCart: 0.5,
    purchasePerCheckout: 0.7,
    orderValue: 40,
    refundRate: 0.03,
    messageAffinity: 0.3,
    ticketsPerDay: 0.0005,
    chatsPerDay: 0.0005,
    nps: [5, 8],
    rating: [3, 5],
    referralsPerDay: 0,
    sharesPerDay: 0,
    redeemsPerDay: 0,
    storePurchasesPerDay: 0.001,
    memberProbability: 0.02,
  }),
  // advocate: buys, refers, shares, promoter NPS
  p({
    share: 0.08,
    sessionsPerDay: 0.6,
    viewsPerSession: 4,
    cartPerSession: 0.35,
    checkoutPerCart: 0.8,
    purchasePerCheckout: 0.9,
    orderValue: 70,
    refundRate: 0.02,
    messageAffinity: 1.4,
    ticketsPerDay: 0.003,
    chatsPerDay: 0.005,
    nps: [9, 10],
    rating: [4, 5],
    referralsPerDay: 0.03,
    sharesPerDay: 0.05,
    redeemsPerDay: 0.012,
    storePurchasesPerDay: 0.01,
    memberProbability: 0.5,
  }),
  // unhappy: support-heavy, low CSAT and reviews, many bad experiences
  p({
    share: 0.08,
    sessionsPerDay: 0.3,
    viewsPerSession: 3,
    cartPerSession: 0.25,
    checkoutPerCart: 0.6,
    purchasePerCheckout: 0.75,
    orderValue: 50,
    refundRate: 0.15,
    messageAffinity: 0.6,
    ticketsPerDay: 0.035,
    chatsPerDay: 0.04,
    nps: [0, 5],
    rating: [1, 2],
    referralsPerDay: 0,
    sharesPerDay: 0,
    redeemsPerDay: 0.002,
    storePurchasesPerDay: 0.003,
    memberProbability: 0.2,
  }),
];
