import type {
  Consumer,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import { Observable } from 'rxjs';
import type { Logger } from 'pino';
import type { EngineMetrics } from '../metrics/index.js';
import type { FlowGate } from '../rx/index.js';
import { readDeliveryFacts, type DeliveryFacts } from './delivery-info.js';
import { ensureConsumer, type EventStreamSpec } from './jetstream-setup.js';
import type { InboundBatch, InboundMessage } from './types.js';

/** Dependencies of {@link jetStreamSource}. */
export interface JetStreamSourceDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly spec: EventStreamSpec;
  /** Messages requested per pull. */
  readonly pullBatch: number;
  readonly log: Logger;
  readonly metrics: EngineMetrics;
  /** Told whenever the consume loop's health changes (readiness). */
  readonly onHealth?: (consuming: boolean, why: string) => void;
  /** Back-pressure: while closed, no batch is emitted and (iterator mode) no further pull is sent. */
  readonly flow?: FlowGate;
}

/**
 * Events from the durable pull consumer as batches in stream order. A batch is what one socket read delivered
 * (collected until the next turn of the event loop), capped at `pullBatch`; its single `ack()` acknowledges it all. The loop uses
 * the consumer's iterator: nats.js sends the next pull only as the iterator is read, so while the engine's flow gate
 * is closed no more messages are requested (bounded memory whatever the backlog). The loop survives missed
 * heartbeats and a deleted consumer (it is recreated once per incident).
 */
export function jetStreamSource(deps: JetStreamSourceDeps): Observable<InboundBatch> {
  return new Observable<InboundBatch>((subscriber) => {
    let messages: ConsumerMessages | undefined;
    let closed = false;

    const start = async (): Promise<void> => {
      const consumer: Consumer = await deps.js.consumers.get(deps.spec.stream, deps.spec.consumer);
      const iter = await consumer.consume({ max_messages: deps.pullBatch });
      messages = iter;
      deps.onHealth?.(true, 'consuming');
      deps.log.info({ stream: deps.spec.stream, consumer: deps.spec.consumer }, 'consuming events');
      watch(iter).catch((err: unknown) => deps.log.error({ err }, 'consumer status watch failed'));
      read(iter).catch((err: unknown) => {
        if (closed) return;
        deps.log.warn({ err, consumer: deps.spec.consumer }, 'consume loop failed; restarting it');
        iter.stop();
      });
    };
    /**
     * Reads the iterator: a batch is what was queued when the loop got to it (handed over at the next turn of the
     * event loop, or at once when full). While the flow gate is closed the loop stops reading, so nats.js sends no
     * further pull (that is the back-pressure).
     */
    const read = async (iter: ConsumerMessages): Promise<void> => {
      let pending: JsMsg[] = [];
      let scheduled = false;
      const flush = (): void => {
        scheduled = false;
        if (pending.length === 0 || closed) return;
        const batch = pending;
        pending = [];
        subscriber.next(toInboundBatch(batch));
      };
      for await (const m of iter) {
        if (closed) return;
        pending.push(m);
        if (pending.length >= deps.pullBatch) flush();
        else if (!scheduled) {
          scheduled = true;
          // setImmediate runs after the current I/O callbacks: everything one socket read delivered forms a batch.
          setImmediate(flush);
        }
        const gate = deps.flow?.wait();
        if (gate !== undefined) {
          flush();
          await gate;
        }
      }
      flush();
    };
    const watch = async (m: ConsumerMessages): Promise<void> => {
      for await (const s of m.status()) {
        if (s.type === 'heartbeats_missed') {
          deps.metrics.natsIncidents.inc({ kind: 'heartbeats_missed' });
          deps.onHealth?.(false, `missed ${s.count} heartbeats`);
          deps.log.warn({ count: s.count }, 'consumer missed heartbeats');
        } else if (s.type === 'consumer_deleted' || s.type === 'consumer_not_found') {
          // One incident, however many pending pulls report it: recreate once, end this loop, start afresh.
          deps.metrics.natsIncidents.inc({ kind: s.type });
          deps.onHealth?.(false, s.type);
          deps.log.warn({ consumer: deps.spec.consumer, status: s.type }, 'consumer gone; recreating it');
          await retrying('recreate the consumer', () => ensureConsumer(deps.jsm, deps.spec));
          m.stop();
          break;
        } else if (s.type === 'next' || s.type === 'heartbeat') {
          deps.onHealth?.(true, 'consuming');
        }
      }
      await m.closed().catch(() => undefined);
      if (!closed) {
        // The loop ended under us (consumer recreated, or the client gave up a pull): start a fresh one.
        deps.log.warn({ consumer: deps.spec.consumer }, 'consume loop ended; restarting it');
        void retrying('restart consuming', start);
      }
    };
    /** Retries through NATS outages (1 s doubling to 30 s) until it works or the source is closed. */
    const retrying = async (what: string, attempt: () => Promise<void>): Promise<void> => {
      for (let delayMs = 1_000; !closed; delayMs = Math.min(30_000, delayMs * 2)) {
        try {
          await attempt();
          return;
        } catch (err) {
          deps.metrics.natsIncidents.inc({ kind: 'consume_retry' });
          deps.onHealth?.(false, `cannot ${what}`);
          deps.log.error(
            { err, consumer: deps.spec.consumer, retryInMs: delayMs },
            `cannot ${what}; retrying`,
          );
          await new Promise((r) => setTimeout(r, delayMs));
        }
      }
    };
    void retrying('start consuming', start);
    return () => {
      closed = true;
      // Closing may fail when the connection is already gone; there is nothing left to release then.
      messages?.close().catch(() => undefined);
    };
  });
}

const facts: DeliveryFacts = { streamSeq: 0, storedAtMs: 0, pending: 0 };

function toInboundBatch(batch: readonly JsMsg[]): InboundBatch {
  const messages: InboundMessage[] = new Array<InboundMessage>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const m = batch[i] as JsMsg;
    // JsMsgImpl exposes the ack subject as `reply` (not in the JsMsg type); the integration tests pin it.
    readDeliveryFacts((m as unknown as { reply: string }).reply, facts);
    // An ack subject of an unexpected shape: let nats.js parse it rather than lose redelivery protection.
    if (Number.isNaN(facts.streamSeq)) {
      facts.streamSeq = m.seq;
      facts.storedAtMs = Number(m.info.timestampNanos) / 1e6;
      facts.pending = m.info.pending;
    }
    messages[i] = {
      subject: m.subject,
      data: m.data,
      contentType: m.headers?.get('Content-Type') || undefined,
      streamSeq: facts.streamSeq,
      publishedAtMs: facts.storedAtMs,
    };
  }
  const last = batch[batch.length - 1] as JsMsg;
  // AckPolicy.All: acknowledging the last message acknowledges the whole batch in one protocol message.
  const pending = Number.isNaN(facts.pending) ? undefined : facts.pending;
  return { messages, ack: () => last.ack(), ...(pending === undefined ? {} : { pending }) };
}
