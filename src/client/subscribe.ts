import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { ScoreUpdateSchema, type ScoreUpdate } from '../contract/score-update.js';
import { customerToken } from '../contract/subjects.js';
import { decodePayload } from './codec.js';
import { ScoreTombstoneSchema, type ScoreTombstone } from './responses.js';
import { createSeqTracker } from './seq-tracker.js';
import { DEFAULT_PREFIX, scoreSubject } from './subjects.js';
import { lazyChecker } from './validate.js';

/** Why a message on a score subject was not handed to `onUpdate`. */
export type DropReason =
  | 'stale' // seq not above the last seen for the customer: a duplicate or an out-of-order older update
  | 'undecodable' // not valid MessagePack / JSON for its Content-Type
  | 'unsupported_content_type' // a Content-Type other than MessagePack or JSON
  | 'invalid' // decoded, but neither a score update nor a tombstone by the schema
  | 'wrong_subject'; // the payload's customer is not the one its subject names

/** A message {@link subscribeScores} dropped, and why. */
export interface DroppedMessage {
  readonly reason: DropReason;
  readonly subject: string;
  /** What failed: the schema path and message, the decoder's error, or the seqs compared. */
  readonly detail: string;
}

/** Options of {@link subscribeScores}. */
export interface SubscribeScoresOptions {
  /** The engine's `publish.prefix`. @default 'churnflow' */
  readonly prefix?: string;
  /**
   * One customer's updates only (any id: it is turned into its subject token); absent: every customer's. Not a
   * `'*'` value for "every customer": `*` is a valid customer id.
   */
  readonly customerId?: string;
  /** Called with each valid, fresh score update, in arrival order. */
  onUpdate(update: ScoreUpdate, subject: string): void;
  /** Called when a customer is erased (GDPR): drop everything held for it. */
  onErased?(tombstone: ScoreTombstone, subject: string): void;
  /** Called for every message dropped (stale, duplicate, invalid); drops are also counted in `stats`. */
  onDropped?(dropped: DroppedMessage): void;
  /**
   * Called when a callback above throws or the subscription fails (a permissions violation ends it). When absent,
   * the error is rethrown outside the NATS client, as an EventEmitter would: an uncaught exception.
   */
  onError?(err: unknown): void;
  /** Customers whose last seq is remembered (LRU). @default 100_000 (DEFAULT_MAX_TRACKED_CUSTOMERS) */
  readonly maxTrackedCustomers?: number;
  /** A NATS queue group: each update goes to one subscriber of the group (and dedup is then per subscriber). */
  readonly queue?: string;
}

/** Counts of what a {@link ScoreSubscription} received. */
export interface ScoreSubscriptionStats {
  delivered: number;
  erased: number;
  dropped: Record<DropReason, number>;
}

/** A running score subscription. */
export interface ScoreSubscription {
  /** The subject subscribed to. */
  readonly subject: string;
  readonly stats: Readonly<ScoreSubscriptionStats>;
  /** Stops receiving; messages already delivered by the server are not handed over. */
  unsubscribe(): void;
  /** Resolves when the subscription has ended (unsubscribe, connection closed, or a subscription error). */
  readonly closed: Promise<void>;
}

const checkUpdate = lazyChecker(ScoreUpdateSchema);
const checkTombstone = lazyChecker(ScoreTombstoneSchema);

/**
 * Subscribes to score updates on `<prefix>.scores.*` (or one customer's subject), decodes each by its
 * Content-Type (sniffing when there is none), checks it against the ScoreUpdate schema, and drops stale and
 * duplicate updates by per-customer `seq`. An eviction update (`evicted: true`) and an erase tombstone also make
 * the subscriber forget the customer's seq, since the engine starts a new sequence for a returning id.
 */
export function subscribeScores(nc: NatsConnection, opts: SubscribeScoresOptions): ScoreSubscription {
  const subject = scoreSubject(opts.prefix ?? DEFAULT_PREFIX, opts.customerId);
  const seqs = createSeqTracker(opts.maxTrackedCustomers);
  const stats: ScoreSubscriptionStats = {
    delivered: 0,
    erased: 0,
    dropped: { stale: 0, undecodable: 0, unsupported_content_type: 0, invalid: 0, wrong_subject: 0 },
  };
  const fail = (err: unknown): void => {
    if (opts.onError !== undefined) opts.onError(err);
    // Thrown into the NATS client's parser it would break the connection: rethrown on its own turn instead.
    else
      queueMicrotask(() => {
        throw err;
      });
  };
  const drop = (reason: DropReason, msgSubject: string, detail: string): void => {
    stats.dropped[reason]++;
    opts.onDropped?.({ reason, subject: msgSubject, detail });
  };
  const handle = (msg: Msg): void => {
    const decoded = decodePayload(msg.data, msg.headers?.get('Content-Type') || undefined);
    if (!decoded.ok) return drop(decoded.reason, msg.subject, decoded.detail);
    const value = decoded.value;
    const isUpdate = checkUpdate.check(value);
    if (!isUpdate && !checkTombstone.check(value)) {
      return drop('invalid', msg.subject, checkUpdate.explain(value));
    }
    // A payload on another customer's subject is misrouted (or forged): it must not move that customer's seq.
    if (!msg.subject.endsWith('.' + customerToken(value.customerId))) {
      return drop('wrong_subject', msg.subject, `customerId ${JSON.stringify(value.customerId)}`);
    }
    if (isUpdate) {
      if (!seqs.accept(value.customerId, value.seq)) {
        return drop('stale', msg.subject, `seq ${value.seq} is not above the last seen`);
      }
      if (value.evicted === true) seqs.forget(value.customerId);
      stats.delivered++;
      return opts.onUpdate(value, msg.subject);
    }
    seqs.forget(value.customerId);
    stats.erased++;
    opts.onErased?.(value, msg.subject);
  };
  const sub = nc.subscribe(subject, {
    ...(opts.queue === undefined ? {} : { queue: opts.queue }),
    callback: (err, msg) => {
      if (err !== null) return fail(err);
      try {
        handle(msg);
      } catch (e) {
        fail(e);
      }
    },
  });
  return {
    subject,
    stats,
    unsubscribe: () => sub.unsubscribe(),
    closed: sub.closed.then(() => undefined),
  };
}
