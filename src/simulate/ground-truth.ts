/**
 * The simulator's answer key: what a customer truly is and what truly happened to it, read from its profile and
 * latent timeline. Nothing here is visible to the engine except through the noisy events it caused.
 */
import { ARCHETYPES, type Archetype } from './archetypes.js';
import { MESSAGE_CHANNELS, type MessageChannel } from '../contract/catalog.js';
import { F_APP_USER, F_CART_ABANDONER, F_MEMBER, type Profiles } from './profiles.js';
import { K_CANCEL, K_COMPETITOR, K_DRIFT, K_INCIDENT, K_RETURN } from './timeline.js';

/** One spell of churn: a drift away, the leaving date, maybe a return. */
export interface ChurnEpisode {
  /** When engagement starts to decline, epoch ms. */
  readonly driftFromMs: number;
  /** The latent leaving date, epoch ms: afterwards only stray activity, brand sends and win-back offers. */
  readonly leftAtMs: number;
  /** When the customer came back, epoch ms; null when it does not within the churn horizon. */
  readonly returnedAtMs: number | null;
  /** Whether a win-back offer (a message the customer clicked) brought it back. */
  readonly wonBackByOffer: boolean;
  /** The `cancel` that came with this leaving (during the decline or weeks after), epoch ms; null when none. */
  readonly cancelAtMs: number | null;
}

/** What a customer truly is; the simulator's answer key. */
export interface GroundTruth {
  readonly customerId: string;
  readonly archetype: Archetype;
  /** Signup time, epoch ms; before the simulator's start for customers that already existed then. */
  readonly signupMs: number;
  /**
   * The leaving date of the customer's first churn episode, epoch ms (before the simulator's start for a customer
   * who had left by then); null when it never leaves within the churn horizon. Brand sends, stray visits and a
   * return may follow it: see {@link episodes}.
   */
  readonly churnAtMs: number | null;
  /** Whether the customer sends any `cancel` (see {@link cancelsAtMs}). */
  readonly cancels: boolean;
  /** Every `cancel` the customer sends, epoch ms ascending: with a leaving, or a membership dropped by one who stays. */
  readonly cancelsAtMs: readonly number[];
  /** Churn episodes in time order. */
  readonly episodes: readonly ChurnEpisode[];
  /** Bad support experiences (tickets and low CSAT follow most, not all), epoch ms. */
  readonly badExperiencesMs: readonly number[];
  /** Competitors' offers the customer received (never observable), epoch ms. */
  readonly competitorOffersMs: readonly number[];
  /** The messaging channel the customer responds to best. */
  readonly responsiveChannel: MessageChannel;
  readonly cartAbandoner: boolean;
  readonly appUser: boolean;
  /** Holds a paid membership at signup (only members cancel). */
  readonly member: boolean;
}

/** The ground truth of customer `i`. */
export function groundTruthOf(pr: Profiles, i: number): GroundTruth {
  const flags = pr.flags[i] ?? 0;
  const tl = pr.timelines;
  const episodes: ChurnEpisode[] = [];
  const cancels: number[] = [];
  const bad: number[] = [];
  const competitors: number[] = [];
  let open: { -readonly [K in keyof ChurnEpisode]: ChurnEpisode[K] } | undefined;
  for (let e = tl.offsets[i]!; e < tl.offsets[i + 1]!; e++) {
    const t0 = tl.t0[e]!;
    switch (tl.kind[e]) {
      case K_DRIFT:
        open = {
          driftFromMs: t0,
          leftAtMs: tl.t1[e]!,
          returnedAtMs: null,
          wonBackByOffer: false,
          cancelAtMs: null,
        };
        episodes.push(open);
        break;
      case K_RETURN:
        if (open !== undefined) Object.assign(open, { returnedAtMs: t0, wonBackByOffer: tl.b[e] === 1 });
        break;
      case K_CANCEL:
        cancels.push(t0);
        // A cancel of one who stays (b = 1) belongs to no episode.
        if (tl.b[e] === 0 && open !== undefined) open.cancelAtMs = t0;
        break;
      case K_INCIDENT:
        bad.push(t0);
        break;
      case K_COMPETITOR:
        competitors.push(t0);
        break;
    }
  }
  return {
    customerId: pr.ids[i] ?? '',
    archetype: ARCHETYPES[pr.archetype[i] ?? 0] ?? 'loyal',
    signupMs: pr.signupMs[i] ?? 0,
    churnAtMs: episodes[0]?.leftAtMs ?? null,
    cancels: cancels.length > 0,
    cancelsAtMs: cancels.sort((a, b) => a - b),
    episodes,
    badExperiencesMs: bad,
    competitorOffersMs: competitors,
    responsiveChannel: MESSAGE_CHANNELS[pr.responsive[i] ?? 0] ?? 'email',
    cartAbandoner: (flags & F_CART_ABANDONER) !== 0,
    appUser: (flags & F_APP_USER) !== 0,
    member: (flags & F_MEMBER) !== 0,
  };
}
