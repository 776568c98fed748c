import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { EMPTY, concatMap, fromEvent, lastValueFrom, takeUntil } from 'rxjs';
import { encodeEvents, simulatedEvents, type SimulatedStreamOptions } from '../ingest/index.js';
import type { CustomerEvent } from '../contract/event.js';

/** Options of {@link publishSimulation}. */
export interface SimulationPublishOptions extends SimulatedStreamOptions {
  readonly js: JetStreamClient;
  readonly log: Logger;
  /** Publishes awaiting their JetStream ack at once (default 2048): enough to pipeline, bounded memory. */
  readonly window?: number;
  /** Stops publishing when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Publishes the simulator's history and then live traffic into JetStream as a producer would: MessagePack on
 * `events.<customer>.<type>`, the event id as `Nats-Msg-Id` for de-duplication, each publish acknowledged by the
 * stream (pipelined in a bounded window, so nothing is lost to a slow server). Resolves when stopped.
 */
export async function publishSimulation(
  opts: SimulationPublishOptions,
): Promise<{ published: number; failed: number }> {
  const window = opts.window ?? 2048;
  let published = 0;
  let failed = 0;
  const inFlight = new Set<Promise<PubAck>>();
  const publishBatch = async (events: CustomerEvent[]): Promise<void> => {
    const messages = encodeEvents(events, opts.subjectPrefix);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as { subject: string; data: Uint8Array };
      const id = events[i]?.id;
      const h = id === undefined ? undefined : natsHeaders();
      if (id !== undefined) h?.set('Nats-Msg-Id', id);
      const p = opts.js.publish(m.subject, m.data, h === undefined ? undefined : { headers: h });
      inFlight.add(p);
      p.then(
        () => inFlight.delete(p),
        (err: unknown) => {
          inFlight.delete(p);
          if (failed++ === 0) opts.log.error({ err, subject: m.subject }, 'simulator publish failed');
        },
      );
      if (inFlight.size >= window) await Promise.race(inFlight);
      published++;
    }
    if (published % 100_000 < messages.length) opts.log.debug({ published }, 'simulator progress');
  };
  const aborted$ = opts.signal === undefined ? EMPTY : fromEvent(opts.signal, 'abort');
  await lastValueFrom(simulatedEvents(opts).pipe(takeUntil(aborted$), concatMap(publishBatch)), {
    defaultValue: undefined,
  });
  await Promise.allSettled(inFlight);
  return { published, failed };
}
