import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import type { Logger } from 'pino';
import type { ScoreUpdate } from '../contract/score-update.js';
import { customerToken } from '../contract/subjects.js';
import type { EngineMetrics, PublishKind } from '../metrics/index.js';
import { deadLetterPublisher } from './dead-letter-publisher.js';
import type { OutputSink } from './sink.js';

/** Options of {@link natsSink}. */
export interface NatsSinkOptions {
  readonly nc: NatsConnection;
  /** Used for dead letters, so each is stored (the DLQ stream captures `<prefix>.dlq.>`) before the original is acked. */
  readonly js: JetStreamClient;
  /** Output subject prefix (default `churnflow`). */
  readonly prefix: string;
  readonly encoding: 'msgpack' | 'json';
  /**
   * The stream that keeps dead letters: recreated when it goes missing while running, and asked for its
   * `max_msg_size` when it refuses a dead letter as too large.
   */
  readonly deadLetterStream?: { readonly jsm: JetStreamManager; readonly name: string };
  /** Where truncated and recreated-stream notices go. */
  readonly log?: Logger;
  /** Counts publish failures, truncated dead letters and stream recreations. */
  readonly metrics?: EngineMetrics;
  /** Told after every dead-letter call whether all were stored, and why not (readiness). */
  readonly onDeadLetterHealth?: (stored: boolean, detail: string) => void;
}

const packr = new Packr({ useRecords: false });
const encoder = new TextEncoder();

/** Encodes a score update as configured; MessagePack maps use the same field names as the JSON. */
export function encodeScoreUpdate(update: ScoreUpdate, encoding: 'msgpack' | 'json'): Uint8Array {
  return encoding === 'json' ? encoder.encode(JSON.stringify(update)) : packr.pack(update);
}

/**
 * Publishes score updates on `<prefix>.scores.<customer token>` (core NATS: buffered, no round trip) with a
 * Content-Type header, and dead letters on `<prefix>.dlq.<customer token>` (`.dlq.$unknown` when the customer is
 * not known: see deadLetterSubject) through JetStream with the reason in headers, the original Content-Type when
 * there was one, and a `Nats-Msg-Id` for de-duplication; a dead letter too large to store whole is stored truncated
 * (see deadLetterPublisher).
 */
export function natsSink(opts: NatsSinkOptions): OutputSink {
  const contentType = opts.encoding === 'json' ? 'application/json' : 'application/msgpack';
  const scoreHeaders = natsHeaders();
  scoreHeaders.set('Content-Type', contentType);
  // nats.js encodes a message's headers on every publish; these never change, so they are encoded once (the
  // client only reads the bytes). One reused options object too: ~3% of the engine's CPU at 150k updates/s.
  // (encode() is how the client serialises headers; were it renamed, this would only stop saving the work.)
  const encodable = scoreHeaders as typeof scoreHeaders & { encode(): Uint8Array };
  const encodedHeaders = encodable.encode();
  encodable.encode = () => encodedHeaders;
  const publishOptions = { headers: scoreHeaders };
  const dlqSubject = `${opts.prefix}.dlq`;
  const encode = (payload: object): Uint8Array =>
    opts.encoding === 'json' ? encoder.encode(JSON.stringify(payload)) : packr.pack(payload);
  // A core publish throws at once (connection closed or draining, payload over max_payload): counted by kind, then
  // thrown on as before, so the engine's handling of a failed publish is unchanged.
  const publish = (kind: PublishKind, subject: string, data: Uint8Array): void => {
    try {
      opts.nc.publish(subject, data, publishOptions);
    } catch (err) {
      opts.metrics?.publishFailures.inc({ kind });
      throw err;
    }
  };
  return {
    publishScores(updates) {
      for (const u of updates) {
        publish(
          'score',
          `${opts.prefix}.scores.${customerToken(u.customerId)}`,
          encodeScoreUpdate(u, opts.encoding),
        );
      }
    },
    publishSegmentChanges(changes) {
      for (const c of changes)
        publish('segment', `${opts.prefix}.segments.${c.segment}.${c.kind}`, encode(c));
    },
    publishStageTransitions(transitions) {
      for (const t of transitions) publish('stage', `${opts.prefix}.stages.${t.to}.entered`, encode(t));
    },
    publishShadowScores(scores) {
      for (const sc of scores) {
        const payload = { ...sc, churnRisk: Math.round(sc.churnRisk * 10_000) / 10_000 };
        opts.nc.publish(
          `${opts.prefix}.shadow.scores.${customerToken(sc.customerId)}`,
          opts.encoding === 'json' ? encoder.encode(JSON.stringify(payload)) : packr.pack(payload),
          publishOptions,
        );
      }
    },
    deadLetter: deadLetterPublisher({
      nc: opts.nc,
      js: opts.js,
      subject: dlqSubject,
      stream: opts.deadLetterStream,
      log: opts.log,
      metrics: opts.metrics,
      onHealth: opts.onDeadLetterHealth,
    }),
    flush: () => opts.nc.flush(),
    // The connection belongs to the runtime, which drains it after the sink.
    close: () => opts.nc.flush(),
  };
}
