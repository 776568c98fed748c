/**
 * The churnflow Grafana dashboard's content: rows, panels and their PromQL. `scripts/dashboard.ts` turns it into
 * `deploy/grafana/dashboards/churnflow.json`; `test/ops/dashboard.test.ts` checks that every query parses and
 * returns data from a real Prometheus scraping a running engine.
 *
 * Selectors filter on the dashboard's `$instance` and `$partition` variables. `$partition` is a regex whose "All"
 * value is `.*`, which also matches a series without a partition label, so the filter never hides a metric that
 * is not per partition.
 */

/** One query of a panel. */
export interface QuerySpec {
  readonly expr: string;
  readonly legend: string;
}

/** One panel: a time series unless `kind` says otherwise. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly kind?: 'timeseries' | 'stat' | 'bargauge';
  /** Grafana unit id (`ops`, `s`, `short`, `percentunit`, `bytes`, `percent`). */
  readonly unit: string;
  readonly queries: readonly QuerySpec[];
  /** Grid width out of 24. @default 8 */
  readonly width?: number;
}

/** A collapsible dashboard row. */
export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

const I = 'instance=~"$instance"';
const IP = 'instance=~"$instance",partition=~"$partition"';
const RATE = '[$__rate_interval]';

/** Is the engine keeping up with the stream? */
const keepingUp: RowSpec = {
  title: 'Keeping up',
  panels: [
    {
      title: 'Events in vs scored',
      description:
        'Valid events applied and customers scored per second; score updates are only published when the risk moves by publish.minRiskDelta.',
      unit: 'ops',
      queries: [
        { expr: `sum(rate(churnflow_events_total{${I}}${RATE}))`, legend: 'events in' },
        { expr: `sum(rate(churnflow_score_batch_size_sum{${I}}${RATE}))`, legend: 'customers scored' },
        { expr: `sum(rate(churnflow_score_updates_total{${I}}${RATE}))`, legend: 'score updates published' },
      ],
    },
    {
      title: 'Consumer lag per partition',
      description:
        'Messages the durable consumer holds unacknowledged (num_pending + num_ack_pending) per partition. Growing: the engine is falling behind.',
      unit: 'short',
      queries: [
        {
          expr: `sum by (instance, partition) (churnflow_consumer_pending_messages{${IP}})`,
          legend: '{{instance}} p{{partition}}',
        },
      ],
    },
    {
      title: 'Event-time lag',
      description:
        "Wall clock minus the oldest partition's watermark. High while replaying, or when producers stop (no events to move the watermark).",
      unit: 's',
      queries: [
        { expr: `max by (instance) (churnflow_event_time_lag_seconds{${I}})`, legend: '{{instance}}' },
      ],
    },
    {
      title: 'Replay and restore progress',
      description:
        'Messages left to replay per partition, and the tail the last start-up restore had to replay after its snapshot.',
      unit: 'short',
      queries: [
        {
          expr: `sum by (instance, partition) (churnflow_replay_remaining_messages{${IP}})`,
          legend: 'remaining {{instance}} p{{partition}}',
        },
        {
          expr: `max by (instance) (churnflow_restore_tail_messages{${I}})`,
          legend: 'restore tail {{instance}}',
        },
      ],
    },
    {
      title: 'Event to score latency',
      description: 'Seconds from an event being stored in JetStream to its score update leaving the engine.',
      unit: 's',
      queries: [0.5, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(churnflow_event_to_score_seconds_bucket{${I}}${RATE})))`,
        legend: `p${q * 100}`,
      })),
    },
    {
      title: 'Customers held',
      description: 'Customers in state and customers with a pending timer.',
      unit: 'short',
      queries: [
        { expr: `sum by (instance) (churnflow_customers{${I}})`, legend: 'customers {{instance}}' },
        { expr: `sum by (instance) (churnflow_timers_pending{${I}})`, legend: 'timers {{instance}}' },
      ],
    },
  ],
};

/** Is it healthy: no data lost, connected, ready, snapshotting? */
const healthy: RowSpec = {
  title: 'Healthy',
  panels: [
    {
      title: 'Dead letters by reason',
      description: 'Messages sent to the dead-letter stream per second, by reason (README "Dead letters").',
      unit: 'ops',
      queries: [
        { expr: `sum by (reason) (rate(churnflow_dead_letters_total{${I}}${RATE}))`, legend: '{{reason}}' },
      ],
    },
    {
      title: 'Errors and failures',
      description:
        'Customers the model failed to score, failed publishes by kind, dead letters that could not be stored (lost: logged in full instead), failed snapshots. All should be 0.',
      unit: 'ops',
      queries: [
        { expr: `sum(rate(churnflow_score_failures_total{${I}}${RATE}))`, legend: 'score failures' },
        // Failure counters with labels have no series until the first failure: 0 says "none" instead of "no data".
        {
          expr: `sum by (kind) (rate(churnflow_publish_failures_total{${I}}${RATE})) or on () vector(0)`,
          legend: 'publish failures {{kind}}',
        },
        {
          expr: `sum(rate(churnflow_dead_letters_lost_total{${I}}${RATE})) or on () vector(0)`,
          legend: 'dead letters lost',
        },
        { expr: `sum(rate(churnflow_snapshot_failures_total{${I}}${RATE}))`, legend: 'snapshot failures' },
      ],
    },
    {
      title: 'NATS connection and incidents',
      description:
        'Connected (1) per instance, and connection or consumer incidents (disconnect, reconnect, heartbeats missed, consumer recreated) per interval.',
      unit: 'short',
      queries: [
        { expr: `min by (instance) (churnflow_nats_connected{${I}})`, legend: 'connected {{instance}}' },
        {
          expr: `sum by (kind) (increase(churnflow_nats_incidents_total{${I}}${RATE}))`,
          legend: '{{kind}}',
        },
      ],
    },
    {
      title: 'Not ready',
      description:
        '1 while a readiness reason holds (README "Readiness"): starting, nats_disconnected, not_consuming, lagging, stalled, dead_letters.',
      unit: 'short',
      queries: [{ expr: `max by (reason) (churnflow_not_ready{${I}})`, legend: '{{reason}}' }],
    },
    {
      title: 'Snapshots',
      description: 'Snapshots written per interval and the age of the newest one.',
      unit: 's',
      queries: [
        {
          expr: `time() - max by (instance) (churnflow_snapshot_last_timestamp_seconds{${I}} > 0)`,
          legend: 'age {{instance}}',
        },
        { expr: `sum(increase(churnflow_snapshots_total{${I}}${RATE}))`, legend: 'written' },
      ],
    },
    {
      title: 'State and snapshot size',
      description: 'Bytes of customer state held, and of the last snapshot written.',
      unit: 'bytes',
      queries: [
        { expr: `sum by (instance) (churnflow_state_bytes{${I}})`, legend: 'state {{instance}}' },
        { expr: `max by (instance) (churnflow_snapshot_bytes{${I}})`, legend: 'snapshot {{instance}}' },
      ],
    },
  ],
};

/** Does the model behave? */
const modelSane: RowSpec = {
  title: 'Model sane',
  panels: [
    {
      title: 'Churn-risk bands',
      description: 'Customers per churn-risk band (0.0-0.2 … 0.8-1.0), from the last aggregates pass.',
      kind: 'bargauge',
      unit: 'short',
      queries: [{ expr: `sum by (band) (churnflow_risk_customers{${I}})`, legend: '{{band}}' }],
    },
    {
      title: 'Shadow agreement and PSI',
      description:
        'Share of rows where champion and shadow fall on the same side of the threshold, and the PSI of the shadow scores against the champion (> 0.25: a large shift). Absent without a shadow model.',
      unit: 'short',
      queries: [
        {
          expr: `min by (instance) (churnflow_shadow_agreement_ratio{${I}})`,
          legend: 'agreement {{instance}}',
        },
        { expr: `max by (instance) (churnflow_shadow_psi{${I}})`, legend: 'PSI {{instance}}' },
      ],
    },
    {
      title: 'Score distribution, champion vs shadow',
      description: "Share of the shadow window's rows per score bin of width 0.1, by role.",
      kind: 'bargauge',
      unit: 'percentunit',
      queries: [
        { expr: `avg by (role, bin) (churnflow_shadow_score_share{${I}})`, legend: '{{role}} {{bin}}' },
      ],
    },
    {
      title: 'Model version',
      description: 'Loaded models by role (churnflow_model_info).',
      kind: 'stat',
      unit: 'short',
      queries: [
        {
          expr: `count by (role, name, version) (churnflow_model_info{${I}})`,
          legend: '{{role}}: {{name}} {{version}}',
        },
      ],
    },
    {
      title: 'Model refusals and swaps',
      description:
        'Model versions refused by the admission gate (by role and reason), and swaps without restart.',
      unit: 'short',
      queries: [
        {
          expr: `sum by (role, reason) (increase(churnflow_model_refused_total{${I}}${RATE}))`,
          legend: 'refused {{role}} {{reason}}',
        },
        {
          expr: `sum by (role, cause) (increase(churnflow_model_swaps_total{${I}}${RATE}))`,
          legend: 'swap {{role}} {{cause}}',
        },
      ],
    },
    {
      title: 'Inference time',
      description: 'Model inference seconds per micro-batch, 99th percentile.',
      unit: 's',
      queries: [
        {
          expr: `histogram_quantile(0.99, sum by (le) (rate(churnflow_model_inference_seconds_bucket{${I}}${RATE})))`,
          legend: 'p99',
        },
      ],
    },
  ],
};

/** What retention teams read. */
const business: RowSpec = {
  title: 'Business',
  panels: [
    {
      title: 'Segment sizes',
      description: 'Members per segment.',
      unit: 'short',
      queries: [{ expr: `sum by (segment) (churnflow_segment_customers{${I}})`, legend: '{{segment}}' }],
    },
    {
      title: 'Stage sizes',
      description: 'Customers per lifecycle stage, from the last aggregates pass.',
      unit: 'short',
      queries: [{ expr: `sum by (stage) (churnflow_stage_customers{${I}})`, legend: '{{stage}}' }],
    },
    {
      title: 'Segment enter/exit and stage transitions',
      description: 'Segment entries and exits, and stage transitions by the stage entered, per second.',
      unit: 'ops',
      queries: [
        {
          expr: `sum by (segment, kind) (rate(churnflow_segment_changes_total{${I}}${RATE}))`,
          legend: '{{segment}} {{kind}}',
        },
        {
          expr: `sum by (stage) (rate(churnflow_stage_transitions_total{${I}}${RATE}))`,
          legend: 'to {{stage}}',
        },
      ],
    },
    {
      title: 'Retention rate',
      description: 'Retention over aggregates.retentionPeriodDays: (CE − CN) / CS, as a ratio.',
      kind: 'stat',
      unit: 'percentunit',
      queries: [{ expr: `avg(churnflow_retention_ratio{${I}})`, legend: 'retention' }],
    },
    {
      title: 'Average CLV',
      description: 'Mean historical customer lifetime value (purchase revenue per customer).',
      kind: 'stat',
      unit: 'short',
      queries: [{ expr: `avg(churnflow_average_clv{${I}})`, legend: 'average CLV' }],
    },
    {
      title: 'Customers at risk',
      description: 'Customers whose last published churn risk is 0.6 or more (bands 0.6-0.8 and 0.8-1.0).',
      kind: 'stat',
      unit: 'short',
      queries: [{ expr: `sum(churnflow_risk_customers{${I},band=~"0.6-0.8|0.8-1.0"})`, legend: 'at risk' }],
    },
  ],
};

/** The dashboard's rows, top to bottom. */
export const ROWS: readonly RowSpec[] = [keepingUp, healthy, modelSane, business];
