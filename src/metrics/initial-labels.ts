import { EVENT_TYPES } from '../contract/catalog.js';
import { DLQ_REASONS } from '../contract/codes.js';
import { STAGES } from '../contract/stages.js';
import type { EngineMetrics } from './engine-metrics.js';

/**
 * Every incident kind the code counts in `churnflow_nats_incidents_total{kind}` (src/nats/connect.ts,
 * src/ingest/jetstream-source.ts, consumer-progress.ts, dead-letter-publisher.ts).
 */
export const NATS_INCIDENT_KINDS = [
  'disconnect',
  'reconnect',
  'error',
  'slow_consumer',
  'heartbeats_missed',
  'consumer_deleted',
  'consumer_not_found',
  'consume_retry',
  'consumer_info_failed',
  'dead_letter_stream_recreated',
] as const;

/**
 * Exports every known label value of the engine's labelled counters at 0, so the first increment is a rise that
 * rate() and increase() see: a series born at 1 reads as no change. Labels that are not known in advance (segment
 * names come from the rules file) are left to appear.
 */
export function zeroKnownLabels(m: EngineMetrics): void {
  for (const type of [...EVENT_TYPES, 'custom']) m.eventsIn.inc({ type }, 0);
  for (const reason of Object.keys(DLQ_REASONS)) {
    m.deadLettered.inc({ reason }, 0);
    m.deadLettersLost.inc({ reason }, 0);
    m.deadLettersTruncated.inc({ reason }, 0);
  }
  for (const stage of STAGES) m.stageTransitions.inc({ stage }, 0);
  for (const kind of NATS_INCIDENT_KINDS) m.natsIncidents.inc({ kind }, 0);
}
