import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { EMPTY, concatMap, fromEvent, lastValueFrom, takeUntil } from 'rxjs';
import { encodeEvents, simulatedEvents, type SimulatedStreamOptions } from '../ingest/index.js';
import type { CustomerEvent } from '../contract/event.js';

/** Options of {@link publishSimulation}. */
export interface SimulationPublishOptions extends SimulatedStreamOptions {
  readonly nc: NatsConnection;
  readonly log: Logger;
  /** Send each event id as `Nats-Msg-Id` (JetStream de-duplication; the server then remembers every id for its
   * duplicate window, which costs memory at high rates). Default false. */
  readonly msgIds?: boolean;
  /** Messages between flushes (default 5000): a flush round trip paces the producer to what the server takes. */
  readonly flushEvery?: number;
  /** Stops publishing when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Publishes the simulator's history and then live traffic as producers do: MessagePack on
 * `<prefix>.<customer>.<type>`, captured by the event stream. Plain publishes, flushed every `flushEvery`
 * messages so a fast producer never runs ahead of the server. Resolves when stopped or when the history runs dry.
 */
export async function publishSimulation(opts: SimulationPublishOptions): Promise<{ published: number }> {
  const flushEvery = opts.flushEvery ?? 5000;
  let published = 0;
  const publishBatch = async (events: CustomerEvent[]): Promise<void> => {
    const messages = encodeEvents(events, opts.subjectPrefix);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as { subject: string; data: Uint8Array };
      const id = opts.msgIds === true ? events[i]?.id : undefined;
      if (id === undefined) opts.nc.publish(m.subject, m.data);
      else {
        const h = natsHeaders();
        h.set('Nats-Msg-Id', id);
        opts.nc.publish(m.subject, m.data, { headers: h });
      }
      if (++published % flushEvery === 0) await opts.nc.flush();
    }
  };
  const aborted$ = opts.signal === undefined ? EMPTY : fromEvent(opts.signal, 'abort');
  await lastValueFrom(simulatedEvents(opts).pipe(takeUntil(aborted$), concatMap(publishBatch)), {
    defaultValue: undefined,
  });
  await opts.nc.flush();
  opts.log.info({ published }, 'simulator stopped');
  return { published };
}
