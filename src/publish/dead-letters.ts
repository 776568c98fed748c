import type { Rejection } from '../decode/types.js';
import type { Logger } from '../log/index.js';
import type { EngineMetrics } from '../metrics/index.js';
import type { NotReady } from '../metrics/readiness.js';
import type { OutputSink } from './sink.js';
import { DeadLettersNotStoredError, isRetryable } from './store-errors.js';

/** How long storing one batch's dead letters is retried before they are given up as lost. */
export interface DeadLetterRetryBounds {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Wait before the second attempt; it doubles after each failure... */
  readonly firstDelayMs: number;
  /** ...up to this. */
  readonly maxDelayMs: number;
  /** No attempt starts later than this after the first (an attempt itself may take a publish timeout more). */
  readonly budgetMs: number;
}

/**
 * The bounds in force: 8 attempts, 250 ms doubling to 4 s, within 30 s. Thirty seconds ride out what heals by
 * itself (a nats-server restart, a JetStream leader election, a stream being recreated) and equal the consumer's
 * default ack wait, so a held batch is not redelivered meanwhile; the pipeline is held that long at most, and
 * `/readyz` says `dead_letters` throughout.
 */
export const DEAD_LETTER_RETRY: DeadLetterRetryBounds = Object.freeze({
  maxAttempts: 8,
  firstDelayMs: 250,
  maxDelayMs: 4_000,
  budgetMs: 30_000,
});

/** Most payload bytes a lost dead letter's log line carries (base64): every payload under ingest.maxPayloadBytes. */
export const LOST_PAYLOAD_LOGGED_BYTES = 65_536;

/** What {@link storeDeadLetters} needs; the engine's apply stage hands its own dependencies. */
export interface StoreDeadLettersDeps {
  readonly sink: Pick<OutputSink, 'deadLetter'>;
  readonly metrics: EngineMetrics;
  readonly log: Logger;
  /** True once the engine drains: retries stop, and the batch is left unacked for redelivery after the restart. */
  readonly stopping: () => boolean;
  /** Wall clock for the retry budget (default Date.now). */
  readonly clock?: () => number;
  /** Waits between attempts (default: real time, cut short when `stopping()` turns true). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Default {@link DEAD_LETTER_RETRY}. */
  readonly retry?: DeadLetterRetryBounds;
}

/**
 * Stores a batch's dead letters so its originals may be acknowledged. Returns true when the batch may be acked:
 * every dead letter stored, or, after a failure that retrying cannot mend (or the retry bounds spent), each one
 * not stored logged in full at error level with its reason and counted in `churnflow_dead_letters_lost_total`.
 * Returns false only while draining: the batch stays unacked and is redelivered after the restart.
 *
 * Why give up rather than hold: acks are cumulative (AckPolicy.All), so a batch left unacked blocks every later
 * ack, and a restart meets the same message again; one poison message would hold the stream forever. After the
 * bound the dead letter lives on in the log and its original in the event stream (at its stream sequence), so
 * nothing refused vanishes without a trace, and valid events behind it keep flowing.
 */
export async function storeDeadLetters(
  rejected: readonly Rejection[],
  deps: StoreDeadLettersDeps,
): Promise<boolean> {
  const bounds = deps.retry ?? DEAD_LETTER_RETRY;
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => sleepUnless(ms, deps.stopping));
  const startMs = clock();
  let pending = rejected;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.sink.deadLetter(pending);
      if (attempt > 1) {
        deps.log.info(
          { count: pending.length, attempts: attempt, elapsedMs: clock() - startMs },
          'dead letters stored after retrying',
        );
      }
      return true;
    } catch (err) {
      // Those stored already need no second try (a second one would be de-duplicated, but costs a round trip).
      if (err instanceof DeadLettersNotStoredError && err.notStored.length > 0) pending = err.notStored;
      if (deps.stopping()) {
        deps.log.error(
          { err, count: pending.length },
          'dead letters not stored while draining; batch left unacked (redelivered after the restart)',
        );
        return false;
      }
      const elapsedMs = clock() - startMs;
      const delayMs = Math.min(bounds.maxDelayMs, bounds.firstDelayMs * 2 ** (attempt - 1));
      const retryable = isRetryable(err);
      if (!retryable || attempt >= bounds.maxAttempts || elapsedMs + delayMs > bounds.budgetMs) {
        recordLost(pending, err, { attempts: attempt, elapsedMs, retryable }, deps);
        return true;
      }
      deps.metrics.deadLetterRetries.inc();
      deps.log.warn(
        { err, count: pending.length, attempt, retryInMs: delayMs },
        'storing dead letters failed; retrying',
      );
      await sleep(delayMs);
    }
  }
}

function recordLost(
  lost: readonly Rejection[],
  err: unknown,
  facts: { attempts: number; elapsedMs: number; retryable: boolean },
  deps: StoreDeadLettersDeps,
): void {
  for (const r of lost) {
    deps.metrics.deadLettersLost.inc({ reason: r.reason });
    const logged = r.data.subarray(0, LOST_PAYLOAD_LOGGED_BYTES);
    deps.log.error(
      {
        err,
        ...facts,
        deadLetter: {
          reason: r.reason,
          detail: r.detail,
          subject: r.subject,
          streamSeq: r.streamSeq,
          contentType: r.contentType,
          bytes: r.data.byteLength,
          payloadBase64: Buffer.from(logged.buffer, logged.byteOffset, logged.byteLength).toString('base64'),
          payloadCut: r.data.byteLength > logged.byteLength,
        },
      },
      'dead letter lost: it could not be stored, so it is logged in full here and its original acknowledged',
    );
  }
}

/** Waits `ms` in slices of at most 100 ms, returning early once `stop()` is true (so a drain is not held). */
async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  for (let left = ms; left > 0 && !stop(); left -= 100) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, left)));
  }
}

/** Whether dead letters can be stored, as readiness sees it; see {@link deadLetterHealth}. */
export interface DeadLetterHealth {
  /** After each attempt to store dead letters: stored or not, and why not. */
  report(stored: boolean, detail: string): void;
  /** `dead_letters` while the last attempt failed less than `holdMs` ago; else nothing. */
  notReady(): NotReady[];
}

/**
 * Tracks whether dead letters can be stored. A failure makes the engine not ready until a dead letter is stored
 * again or `holdMs` pass without another failure: nothing is known of the dead-letter stream between dead letters,
 * and the failure is counted in metrics anyway, so readiness does not stay red forever on one past failure.
 */
export function deadLetterHealth(opts: { holdMs: number; clock?: () => number }): DeadLetterHealth {
  const clock = opts.clock ?? Date.now;
  let failedAtMs = Number.NEGATIVE_INFINITY;
  let why = '';
  return {
    report(stored, detail) {
      if (stored) failedAtMs = Number.NEGATIVE_INFINITY;
      else {
        failedAtMs = clock();
        // The detail may quote a long error; a readiness body stays short.
        why = detail.length > 300 ? `${detail.slice(0, 297)}...` : detail;
      }
    },
    notReady() {
      const ageMs = clock() - failedAtMs;
      if (ageMs > opts.holdMs) return [];
      return [{ reason: 'dead_letters', detail: `storing failed ${Math.round(ageMs / 1000)} s ago: ${why}` }];
    },
  };
}
