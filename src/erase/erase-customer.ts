import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { customerToken, deadLetterSubject } from '../contract/subjects.js';

/** The tombstone published on `<prefix>.scores.<customer token>` when a customer is erased. */
export interface ScoreTombstone {
  readonly customerId: string;
  /** Always true: this customer is gone, drop everything you hold for it. */
  readonly erased: true;
  /** One above the customer's last update; a later update for the same id starts a new sequence. */
  readonly seq: number;
  /** When it was erased, epoch ms (wall clock: an erase is a request, not an event). */
  readonly erasedAt: number;
}

/** What an erase did. */
export interface EraseResult {
  readonly customerId: string;
  readonly erased: true;
  /** Events of the customer purged from the event stream. */
  readonly purgedEvents: number;
  /**
   * Dead letters of the customer purged from the dead-letter stream (`<out prefix>.dlq.<token>`); 0 when the stream
   * is not configured or does not exist.
   */
  readonly purgedDeadLetters: number;
  /** True when a new snapshot without the customer was written and every older one deleted. */
  readonly snapshotsRewritten: boolean;
}

/** What {@link eraseCustomer} works with. */
export interface EraseDeps {
  readonly engine: { erase(customerId: string): Promise<number | undefined> };
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** The event stream and the subject prefix its events are on (`<prefix>.<token>.<type>`). */
  readonly stream: string;
  readonly eventPrefix: string;
  /**
   * The stream that keeps dead letters and their subject base (`<outPrefix>.dlq`): the customer's dead letters, on
   * `<base>.<token>`, are purged from it. Either absent: dead letters are not purged. A stream that does not exist
   * (deleted; the sink recreates it with the next dead letter) has nothing to purge and does not fail the erase.
   */
  readonly deadLetterStream?: string;
  readonly deadLetterSubjectBase?: string;
  /** Output prefix: the tombstone goes to `<outPrefix>.scores.<token>`. */
  readonly outPrefix: string;
  readonly encode: (payload: object) => Uint8Array;
  readonly contentType: string;
  /** Writes a snapshot now (even with no new event) and deletes every older one; absent when snapshots are off. */
  readonly rewriteSnapshots?: () => Promise<void>;
  readonly log: Logger;
}

/**
 * GDPR erase: the engine forgets the customer (state, memberships, timers, published scores), its events are purged
 * from the event stream by subject and its dead letters from the dead-letter stream (when configured), a new
 * snapshot without it replaces every older one (so no restart can bring it back), and a tombstone is published on
 * its score subject. Undefined when the customer is unknown.
 */
export async function eraseCustomer(deps: EraseDeps, customerId: string): Promise<EraseResult | undefined> {
  const seq = await deps.engine.erase(customerId);
  if (seq === undefined) return undefined;
  const token = customerToken(customerId);
  const purged = await deps.jsm.streams.purge(deps.stream, { filter: `${deps.eventPrefix}.${token}.>` });
  const purgedDeadLetters = await purgeDeadLetters(deps, token);
  let snapshotsRewritten = false;
  if (deps.rewriteSnapshots !== undefined) {
    await deps.rewriteSnapshots();
    snapshotsRewritten = true;
  }
  const tombstone: ScoreTombstone = { customerId, erased: true, seq, erasedAt: Date.now() };
  const h = natsHeaders();
  h.set('Content-Type', deps.contentType);
  deps.nc.publish(`${deps.outPrefix}.scores.${token}`, deps.encode(tombstone), { headers: h });
  await deps.nc.flush();
  deps.log.info(
    { purgedEvents: purged.purged, purgedDeadLetters, snapshotsRewritten },
    'customer erased: state, events, dead letters, snapshots',
  );
  return {
    customerId,
    erased: true,
    purgedEvents: purged.purged,
    purgedDeadLetters,
    snapshotsRewritten,
  };
}

/**
 * Purges `<base>.<token>` from the dead-letter stream; 0 when none is configured or the stream does not exist. Any
 * other failure (permissions, time-out) fails the erase, which may be repeated.
 */
async function purgeDeadLetters(deps: EraseDeps, token: string): Promise<number> {
  const stream = deps.deadLetterStream;
  const base = deps.deadLetterSubjectBase;
  if (stream === undefined || base === undefined) return 0;
  try {
    return (await deps.jsm.streams.purge(stream, { filter: deadLetterSubject(base, token) })).purged;
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    deps.log.warn(
      { stream },
      'dead-letter stream not found: no dead letters to purge (it is recreated with the next dead letter)',
    );
    return 0;
  }
}
