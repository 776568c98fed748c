import { Packr } from 'msgpackr';
import { asyncScheduler, concat, map, scheduled, type Observable, type SchedulerLike } from 'rxjs';
import type { CustomerEvent } from '../contract/event.js';
import { eventSubject } from '../contract/subjects.js';
import { fromIterableGated, type FlowGate } from '../rx/index.js';
import { liveTraffic, type Simulator } from '../simulate/index.js';
import type { InboundBatch, InboundMessage } from './types.js';

/** What the simulated stream replays: history up to now, then live traffic. */
export interface SimulatedStreamOptions {
  readonly simulator: Simulator;
  /** Event subject prefix. */
  readonly subjectPrefix: string;
  /** Live events per second after the history. */
  readonly ratePerSec: number;
  /** End of history = start of live traffic (epoch ms). */
  readonly liveFromMs: number;
  readonly clock?: () => number;
  readonly scheduler?: SchedulerLike;
  /** Back-pressure for the history part: the next day waits while the gate is closed. */
  readonly flow?: FlowGate;
}

/**
 * The simulator's traffic as event batches: `simulator.startMs` up to `liveFromMs` in one-day batches (fast, as
 * fast as the consumer takes it), then live batches at `ratePerSec` stamped with the clock. The live part
 * replays the simulator's own continuation, so each customer's story goes on where the history stopped.
 */
export function simulatedEvents(opts: SimulatedStreamOptions): Observable<CustomerEvent[]> {
  const sim = opts.simulator;
  return concat(
    // One history batch per macrotask: the pipeline digests each before the next arrives, so a long history
    // never piles up in memory waiting to be applied.
    opts.flow === undefined
      ? scheduled(sim.batchesBetween(sim.startMs, opts.liveFromMs), opts.scheduler ?? asyncScheduler)
      : fromIterableGated(sim.batchesBetween(sim.startMs, opts.liveFromMs), opts.flow),
    liveTraffic(sim, {
      ratePerSec: opts.ratePerSec,
      fromMs: opts.liveFromMs,
      clock: opts.clock,
      scheduler: opts.scheduler,
    }),
  );
}

const packr = new Packr({ useRecords: false });

/** Encodes events as producers do: MessagePack payloads on `<prefix>.<customer token>.<type>`. */
export function encodeEvents(
  events: readonly CustomerEvent[],
  subjectPrefix: string,
): { subject: string; data: Uint8Array }[] {
  return events.map((e) => ({
    subject: eventSubject(subjectPrefix, e.customerId, e.type),
    data: packr.pack(e),
  }));
}

/**
 * An in-process source over the simulator: the same bytes a producer would publish, without a broker. Used when
 * no nats-server is installed, so the whole pipeline after ingest still runs for real. Acks are no-ops.
 */
export function simulatorSource(opts: SimulatedStreamOptions): Observable<InboundBatch> {
  let seq = 0;
  const clock = opts.clock ?? Date.now;
  return simulatedEvents(opts).pipe(
    map((events): InboundBatch => {
      const now = clock();
      const messages: InboundMessage[] = encodeEvents(events, opts.subjectPrefix).map((m) => ({
        subject: m.subject,
        data: m.data,
        contentType: undefined,
        streamSeq: ++seq,
        publishedAtMs: now,
      }));
      return { messages, ack: () => undefined };
    }),
  );
}
