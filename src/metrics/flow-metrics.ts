import { Counter, Gauge, type Registry } from 'prom-client';
import { registerBuildInfo } from './build-info.js';

/** What a failed publish was carrying: `churnflow_publish_failures_total{kind}`. */
export const PUBLISH_KINDS = ['score', 'segment', 'stage', 'dead_letter'] as const;
export type PublishKind = (typeof PUBLISH_KINDS)[number];

/** How a segment-rules reload ended: `churnflow_rules_reloads_total{outcome}`. */
export const RELOAD_OUTCOMES = ['applied', 'refused'] as const;
export type ReloadOutcome = (typeof RELOAD_OUTCOMES)[number];

/**
 * The operator's view of the flow: consumer lag and replay per partition, publish failures, rules reloads and the
 * build. Part of {@link EngineMetrics}, so every partition's view carries them.
 */
export interface FlowMetrics {
  /**
   * Messages the partition's durable consumer holds unacknowledged (num_pending + num_ack_pending), from the last
   * poll, by partition. A partition's view of the metrics sets it without labels; the host adds `partition`.
   */
  readonly consumerPendingMessages: Gauge<'partition'>;
  /**
   * Messages of the start-up replay (restore tail or full replay) the partition still has to apply, by partition;
   * 0 once it caught up, and it stays 0 (live lag is consumerPendingMessages). Set like consumerPendingMessages.
   */
  readonly replayRemainingMessages: Gauge<'partition'>;
  /** Publishes that failed, by what they carried (score, segment, stage, dead_letter). */
  readonly publishFailures: Counter<'kind'>;
  /** Segment-rules file reloads, by outcome: applied, or refused (the previous rules stay in force). */
  readonly rulesReloads: Counter<'outcome'>;
  /** `churnflow_build_info{version,backend,node}` = 1. */
  readonly buildInfo: Gauge<'version' | 'backend' | 'node'>;
}

/** Registers the {@link FlowMetrics} on `registry`, every counter's known labels at 0 so rate() works at once. */
export function createFlowMetrics(registry: Registry): FlowMetrics {
  const registers = [registry];
  const publishFailures = new Counter({
    name: 'churnflow_publish_failures_total',
    help: 'Publishes that failed, by what they carried: score, segment, stage or dead_letter',
    labelNames: ['kind'],
    registers,
  });
  for (const kind of PUBLISH_KINDS) publishFailures.inc({ kind }, 0);
  const rulesReloads = new Counter({
    name: 'churnflow_rules_reloads_total',
    help: 'Segment-rules file reloads, by outcome: applied, or refused (the previous rules stay in force)',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of RELOAD_OUTCOMES) rulesReloads.inc({ outcome }, 0);
  return {
    consumerPendingMessages: new Gauge({
      name: 'churnflow_consumer_pending_messages',
      help: "Messages not yet acknowledged by the partition's consumer (num_pending + num_ack_pending), from the last poll",
      labelNames: ['partition'],
      registers,
    }),
    replayRemainingMessages: new Gauge({
      name: 'churnflow_replay_remaining_messages',
      help: 'Messages of the start-up replay (snapshot tail or full replay) not yet applied; 0 once caught up',
      labelNames: ['partition'],
      registers,
    }),
    publishFailures,
    rulesReloads,
    buildInfo: registerBuildInfo(registry),
  };
}
