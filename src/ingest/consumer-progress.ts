import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { asyncScheduler, catchError, defer, from, map, of, repeat, timer, type SchedulerLike } from 'rxjs';
import type { EngineMetrics } from '../metrics/index.js';
import type { NotReady } from '../metrics/readiness.js';

/** The thresholds of {@link judgeProgress} (the `health` config section). */
export interface ProgressLimits {
  /** More messages than this not yet acknowledged (num_pending + num_ack_pending): `lagging`. */
  readonly maxPendingMessages: number;
  /** Work pending and the ack floor unmoved for longer than this: `stalled`. */
  readonly stallAfterMs: number;
  /** How often consumer info is read. */
  readonly pollIntervalMs: number;
}

/** One reading of the consumer, and when it was taken. */
export interface ProgressReading {
  readonly atMs: number;
  /** Messages not yet delivered to the engine (num_pending). */
  readonly pending: number;
  /** Delivered, not yet acknowledged (num_ack_pending). */
  readonly ackPending: number;
  /** The stream sequence everything up to which is acknowledged (ack_floor.stream_seq). */
  readonly ackFloor: number;
}

/** What the poller knows: the last reading, and when the ack floor last moved (or nothing was pending). */
export interface ProgressState {
  readonly last?: ProgressReading;
  readonly movedAtMs: number;
}

/** A reading older than this many poll intervals (at least 5 s) leaves the lag unknown. */
const STALE_INTERVALS = 3;

/**
 * Readiness from the consumer's progress, at `nowMs`: `lagging` while more than `maxPendingMessages` are not yet
 * acknowledged (waiting, or delivered and not applied) or the count is not known (no reading yet, or none lately); `stalled` while messages are pending or unacknowledged and
 * the ack floor has not moved for `stallAfterMs`. Pure: the poller feeds it readings and the clock.
 */
export function judgeProgress(state: ProgressState, nowMs: number, limits: ProgressLimits): NotReady[] {
  const { last } = state;
  const staleMs = Math.max(STALE_INTERVALS * limits.pollIntervalMs, 5_000);
  if (last === undefined) return [{ reason: 'lagging', detail: 'consumer pending count not read yet' }];
  if (nowMs - last.atMs > staleMs) {
    return [{ reason: 'lagging', detail: `consumer pending count unknown for ${nowMs - last.atMs} ms` }];
  }
  const problems: NotReady[] = [];
  // Delivered but unacknowledged messages are not applied yet either (acks follow the apply): both are backlog.
  const backlog = last.pending + last.ackPending;
  if (backlog > limits.maxPendingMessages) {
    problems.push({
      reason: 'lagging',
      detail: `${backlog} messages pending (${last.pending} undelivered, ${last.ackPending} unacknowledged), more than ${limits.maxPendingMessages}`,
    });
  }
  const stuckMs = nowMs - state.movedAtMs;
  if (backlog > 0 && stuckMs > limits.stallAfterMs) {
    problems.push({
      reason: 'stalled',
      detail: `${backlog} messages pending, none acknowledged for ${stuckMs} ms (ack floor ${last.ackFloor})`,
    });
  }
  return problems;
}

/** The state after one more reading: the floor moved, or nothing is pending (idle is not stalled), resets it. */
export function observeProgress(state: ProgressState, reading: ProgressReading): ProgressState {
  const { last } = state;
  const moved =
    last === undefined || reading.ackFloor !== last.ackFloor || reading.pending + reading.ackPending === 0;
  return { last: reading, movedAtMs: moved ? reading.atMs : state.movedAtMs };
}

/** Where the start-up replay ends, in the consumer's own sequence; `done` once reached (it never restarts). */
export interface ReplayTarget {
  readonly endConsumerSeq: number;
  /** The ack floor (consumer sequence) at the last reading: one going back means a recreated consumer. */
  readonly ackedConsumerSeq: number;
  readonly done: boolean;
}

/**
 * The replay after a reading: its end is fixed at the first reading (every message then in the consumer's filter,
 * delivered or not: `delivered.consumer_seq + num_pending`), so live arrivals are not counted as replay. Consumer
 * sequences count this consumer's messages only, which stream sequences of a partitioned stream do not. A
 * consumer recreated meanwhile (its sequences start again) fixes a new end.
 */
export function trackReplay(
  target: ReplayTarget | undefined,
  info: Pick<ConsumerInfo, 'delivered' | 'ack_floor' | 'num_pending'>,
): { target: ReplayTarget; remaining: number } {
  const acked = info.ack_floor.consumer_seq;
  const fresh = target === undefined || acked < target.ackedConsumerSeq;
  const end = fresh ? info.delivered.consumer_seq + info.num_pending : target.endConsumerSeq;
  const done = (!fresh && target.done) || acked >= end;
  const remaining = done ? 0 : end - acked;
  return { target: { endConsumerSeq: end, ackedConsumerSeq: acked, done }, remaining };
}

/** Options of {@link watchConsumerProgress}. */
export interface ConsumerProgressOptions extends ProgressLimits {
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly consumer: string;
  readonly metrics: EngineMetrics;
  readonly log: Logger;
  /** Default Date.now. */
  readonly clock?: () => number;
  /** Default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
}

/** A running poller; see {@link watchConsumerProgress}. */
export interface ConsumerProgress {
  /** `lagging` / `stalled`, judged now. */
  notReady(): NotReady[];
  /** Stops polling. */
  stop(): void;
}

/** The time between two consumer-info reads is at least this many times the recent reads' duration. */
const SLOW_READ_FACTOR = 10;
/** Reads (answered or failed) whose fastest sets that duration; fewer than this do not slow polling. */
const RECENT_READS = 3;

/**
 * When to read next, from how long the last few reads took (answered or failed). A slow server (a filtered consumer
 * on nats-server < 2.9.15 scans the stream for every info, in the read loop of this connection; one slower than the
 * request's time-out fails every read) is asked less often, so polling never stalls the consumer. Only the fastest
 * of the last {@link RECENT_READS} counts: a server that slow is slow every time, while a read that only looked slow
 * because this process's event loop was held (a snapshot restored synchronously, here or in another partition) is
 * a one-off, and must not put the next reading, and readiness, a minute out.
 */
export function nextReadDelayMs(pollIntervalMs: number, recentReadsMs: readonly number[]): number {
  if (recentReadsMs.length < RECENT_READS) return pollIntervalMs;
  return Math.max(pollIntervalMs, SLOW_READ_FACTOR * Math.min(...recentReadsMs.slice(-RECENT_READS)));
}

/**
 * Reads the durable consumer's info (`jsm.consumers.info`) every `pollIntervalMs`, exports the messages not yet
 * acknowledged (num_pending + num_ack_pending) as `churnflow_consumer_pending_messages` and what is left of the
 * start-up replay as `churnflow_replay_remaining_messages` ({@link trackReplay}), and judges readiness from it
 * ({@link judgeProgress}). The server's view,
 * not the engine's: a replay, a stall behind an unacked batch and a dead consume loop all show in it. One request
 * in flight at a time; a failed read is counted (`churnflow_nats_incidents_total{kind="consumer_info_failed"}`)
 * and logged once per run of failures.
 */
export function watchConsumerProgress(opts: ConsumerProgressOptions): ConsumerProgress {
  const clock = opts.clock ?? Date.now;
  let state: ProgressState = { movedAtMs: clock() };
  let failing = false;
  let replay: ReplayTarget | undefined;
  const scheduler = opts.scheduler ?? asyncScheduler;
  // How long the last reads took, answered or failed (see nextReadDelayMs).
  const recentReadsMs: number[] = [];
  const subscription = defer(() => {
    const t0 = clock();
    const took = <T>(r: T): T => {
      recentReadsMs.push(clock() - t0);
      if (recentReadsMs.length > RECENT_READS) recentReadsMs.shift();
      return r;
    };
    return from(opts.jsm.consumers.info(opts.stream, opts.consumer)).pipe(
      map((info: ConsumerInfo) => took({ info })),
      catchError((err: unknown) => of(took({ err }))),
    );
  })
    .pipe(
      repeat({
        delay: () => timer(nextReadDelayMs(opts.pollIntervalMs, recentReadsMs), scheduler),
      }),
    )
    .subscribe((r) => {
      if ('err' in r) {
        opts.metrics.natsIncidents.inc({ kind: 'consumer_info_failed' });
        if (!failing) opts.log.warn({ err: r.err, consumer: opts.consumer }, 'cannot read consumer info');
        failing = true;
        return;
      }
      failing = false;
      const { info } = r;
      opts.metrics.consumerPendingMessages.set(info.num_pending + info.num_ack_pending);
      const tracked = trackReplay(replay, info);
      replay = tracked.target;
      opts.metrics.replayRemainingMessages.set(tracked.remaining);
      state = observeProgress(state, {
        atMs: clock(),
        pending: info.num_pending,
        ackPending: info.num_ack_pending,
        ackFloor: info.ack_floor.stream_seq,
      });
    });
  return {
    notReady: () => judgeProgress(state, clock(), opts),
    stop: () => subscription.unsubscribe(),
  };
}
