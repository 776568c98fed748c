import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createFlowMetrics, type FlowMetrics } from './flow-metrics.js';
import { zeroKnownLabels } from './initial-labels.js';

/** A gauge set in percent (as the aggregates compute it) and exported as a ratio 0–1, as Prometheus expects. */
export interface PercentGauge {
  set(percent: number): void;
}

/** The engine's Prometheus metrics, registered on the registry it is given (never the global one). */
export interface EngineMetrics extends FlowMetrics {
  readonly registry: Registry;
  /** Valid events applied, by type (custom types count as "custom"). */
  readonly eventsIn: Counter<'type'>;
  /** Dead-lettered messages, by reason. */
  readonly deadLettered: Counter<'reason'>;
  /** Events skipped as redeliveries of already-applied ones. */
  readonly duplicates: Counter;
  /** Messages per ingest batch. */
  readonly ingestBatchSize: Histogram;
  /** Customers per scoring micro-batch. */
  readonly scoreBatchSize: Histogram;
  /** Seconds from an event's arrival in JetStream to its score update leaving the engine. */
  readonly eventToScoreSeconds: Histogram;
  /** Model inference seconds per micro-batch. */
  readonly inferenceSeconds: Histogram;
  /** Score updates published. */
  readonly scoreUpdates: Counter;
  /** Customers whose micro-batch the model failed to score (their last scores stand). */
  readonly scoreFailures: Counter;
  /** Dead-letter publishes that failed and were retried (the batch stays unacknowledged meanwhile). */
  readonly deadLetterRetries: Counter;
  /**
   * Dead letters that could not be stored within the retry bound (or failed for good), by reason: each was logged
   * in full at error level and its original acknowledged, so one poison message cannot hold the stream.
   */
  readonly deadLettersLost: Counter<'reason'>;
  /** Dead letters stored with their payload cut to fit the server's max_payload, by reason. */
  readonly deadLettersTruncated: Counter<'reason'>;
  /** Customers held in state. */
  readonly customers: Gauge;
  /** Customers evicted for silence (state.retentionDays). */
  readonly evicted: Counter;
  /** Event-time watermark, epoch seconds. */
  readonly watermarkSeconds: Gauge;
  /** Segment enter/exit events published, by segment and kind. */
  readonly segmentChanges: Counter<'segment' | 'kind'>;
  /** Stage transitions published, by the stage entered. */
  readonly stageTransitions: Counter<'stage'>;
  /** Customers with a pending timer (a moment a rule or window can change without an event). */
  readonly timersPending: Gauge;
  /** Customers whose score update is held until the engine has caught up on its backlog. */
  readonly heldUpdates: Gauge;
  /** Live aggregates, refreshed after each full pass. */
  readonly segmentCustomers: Gauge<'segment'>;
  readonly stageCustomers: Gauge<'stage'>;
  readonly riskCustomers: Gauge<'band'>;
  /** Retention over the configured period, set in percent, exported as `churnflow_retention_ratio` (0–1). */
  readonly retentionRate: PercentGauge;
  readonly averageClv: Gauge;
  readonly loyaltyPointsOutstanding: Gauge;
  /** 1 while connected to NATS. */
  readonly natsConnected: Gauge;
  /** NATS connection and consumer incidents, by kind (disconnect, reconnect, heartbeats_missed, …). */
  readonly natsIncidents: Counter<'kind'>;
}

const LATENCY_BUCKETS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10,
];
const SIZE_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384];

/** Registers every engine metric on `registry` (prefix `churnflow_`). */
export function createEngineMetrics(registry: Registry): EngineMetrics {
  const registers = [registry];
  const retention = new Gauge({
    name: 'churnflow_retention_ratio',
    help: 'Retention over the configured period as a ratio 0-1: (CE - CN) / CS',
    registers,
  });
  const metrics: EngineMetrics = {
    registry,
    ...createFlowMetrics(registry),
    eventsIn: new Counter({
      name: 'churnflow_events_total',
      help: 'Valid events applied to customer state, by event type',
      labelNames: ['type'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'churnflow_dead_letters_total',
      help: 'Messages sent to the dead-letter subject, by reason',
      labelNames: ['reason'],
      registers,
    }),
    duplicates: new Counter({
      name: 'churnflow_duplicate_events_total',
      help: 'Redelivered events skipped because they were already applied',
      registers,
    }),
    ingestBatchSize: new Histogram({
      name: 'churnflow_ingest_batch_size',
      help: 'Messages per ingest batch',
      buckets: SIZE_BUCKETS,
      registers,
    }),
    scoreBatchSize: new Histogram({
      name: 'churnflow_score_batch_size',
      help: 'Customers per scoring micro-batch',
      buckets: SIZE_BUCKETS,
      registers,
    }),
    eventToScoreSeconds: new Histogram({
      name: 'churnflow_event_to_score_seconds',
      help: 'Seconds from an event being stored in JetStream to its score update being published',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inferenceSeconds: new Histogram({
      name: 'churnflow_model_inference_seconds',
      help: 'Churn model inference seconds per micro-batch',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    scoreUpdates: new Counter({
      name: 'churnflow_score_updates_total',
      help: 'Score updates published',
      registers,
    }),
    scoreFailures: new Counter({
      name: 'churnflow_score_failures_total',
      help: 'Customers whose micro-batch the model failed to score',
      registers,
    }),
    deadLetterRetries: new Counter({
      name: 'churnflow_dead_letter_retries_total',
      help: 'Dead-letter publishes retried because storing them failed',
      registers,
    }),
    deadLettersLost: new Counter({
      name: 'churnflow_dead_letters_lost_total',
      help: 'Dead letters that could not be stored (logged in full instead, original acknowledged), by reason',
      labelNames: ['reason'],
      registers,
    }),
    deadLettersTruncated: new Counter({
      name: 'churnflow_dead_letters_truncated_total',
      help: "Dead letters stored with their payload cut to fit the server's max_payload, by reason",
      labelNames: ['reason'],
      registers,
    }),
    customers: new Gauge({ name: 'churnflow_customers', help: 'Customers held in state', registers }),
    evicted: new Counter({
      name: 'churnflow_customers_evicted_total',
      help: 'Customers evicted from state after state.retentionDays of silence',
      registers,
    }),
    watermarkSeconds: new Gauge({
      name: 'churnflow_watermark_seconds',
      help: 'Event-time watermark of the partition furthest behind, as a Unix timestamp in seconds',
      registers,
    }),
    segmentChanges: new Counter({
      name: 'churnflow_segment_changes_total',
      help: 'Segment enter/exit events published',
      labelNames: ['segment', 'kind'],
      registers,
    }),
    stageTransitions: new Counter({
      name: 'churnflow_stage_transitions_total',
      help: 'Lifecycle stage transitions published, by the stage entered',
      labelNames: ['stage'],
      registers,
    }),
    timersPending: new Gauge({
      name: 'churnflow_timers_pending',
      help: 'Customers with a pending timer (a moment a rule or window can change without an event)',
      registers,
    }),
    heldUpdates: new Gauge({
      name: 'churnflow_score_updates_held',
      help: 'Customers whose score update is held until the engine has caught up on its backlog (publish.catchUpBehindMs)',
      registers,
    }),
    segmentCustomers: new Gauge({
      name: 'churnflow_segment_customers',
      help: 'Members per segment',
      labelNames: ['segment'],
      registers,
    }),
    stageCustomers: new Gauge({
      name: 'churnflow_stage_customers',
      help: 'Customers per lifecycle stage',
      labelNames: ['stage'],
      registers,
    }),
    riskCustomers: new Gauge({
      name: 'churnflow_risk_customers',
      help: 'Customers per churn-risk band',
      labelNames: ['band'],
      registers,
    }),
    retentionRate: { set: (percent) => retention.set(percent / 100) },
    averageClv: new Gauge({
      name: 'churnflow_average_clv',
      help: 'Mean historical customer lifetime value (purchase revenue per customer)',
      registers,
    }),
    loyaltyPointsOutstanding: new Gauge({
      name: 'churnflow_loyalty_points_outstanding',
      help: 'Loyalty points outstanding over all customers',
      registers,
    }),
    natsConnected: new Gauge({
      name: 'churnflow_nats_connected',
      help: '1 while connected to NATS',
      registers,
    }),
    natsIncidents: new Counter({
      name: 'churnflow_nats_incidents_total',
      help: 'NATS connection and consumer incidents, by kind',
      labelNames: ['kind'],
      registers,
    }),
  };
  zeroKnownLabels(metrics);
  return metrics;
}
