import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Which job a loaded model does: the champion's scores are published, the shadow's never are. */
export type ModelRole = 'champion' | 'shadow';

/**
 * The model lifecycle and shadow-comparison metrics, registered on the registry they are given (never the
 * global one). The shadow's distributions are kept by the shadow scorer in typed arrays and copied into
 * gauges once per micro-batch: a prom-client Histogram would cost one `observe` per row and role.
 */
export interface ModelMetrics {
  readonly registry: Registry;
  /** 1 for each loaded model by name, version and role; the label set of a replaced model is removed. */
  readonly modelInfo: Gauge<'name' | 'version' | 'role'>;
  /** Model swaps by role and cause: `newer` (a new version admitted), `removed` (its directory went), `rollback`, `unpin`. */
  readonly swaps: Counter<'role' | 'cause'>;
  /** Model versions the gate refused, by role and reason (manifest, model, weights, output, latency, unreadable). */
  readonly refused: Counter<'role' | 'reason'>;
  /** Seconds the admission gate measured for its smoke batch (1024 rows by default), by role. */
  readonly smokeSeconds: Histogram<'role'>;
  /** Share of the shadow window's rows on which champion and shadow agree (both ≥ or both < the threshold). */
  readonly shadowAgreement: Gauge;
  /** Population stability index of the shadow's score distribution against the champion's, over the window. */
  readonly shadowPsi: Gauge;
  /** Share of the shadow window's rows per score bin (`bin` = lower bound, "0.0".."0.9"), by role. */
  readonly shadowScoreShare: Gauge<'role' | 'bin'>;
  /** Rows the shadow model scored, since start. */
  readonly shadowRows: Counter;
  /** Rows the shadow did not score, by reason: `busy` (its previous batch still running) or `failed`. */
  readonly shadowSkipped: Counter<'reason'>;
}

const SMOKE_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Registers the model metrics on `registry` (prefix `churnflow_`). The `churnflow_shadow_*` ones are made but not
 * exported until a shadow model is configured ({@link showShadowMetrics}): without a shadow, an agreement of 0
 * would read as total disagreement.
 */
export function createModelMetrics(registry: Registry): ModelMetrics {
  const registers = [registry];
  // Registered later, by showShadowMetrics.
  const hidden: Registry[] = [];
  const metrics: ModelMetrics = {
    registry,
    modelInfo: new Gauge({
      name: 'churnflow_model_info',
      help: 'Loaded churn models (value 1), by name, version and role (champion or shadow)',
      labelNames: ['name', 'version', 'role'],
      registers,
    }),
    swaps: new Counter({
      name: 'churnflow_model_swaps_total',
      help: 'Model swaps without restart, by role and cause (newer, removed, rollback, unpin)',
      labelNames: ['role', 'cause'],
      registers,
    }),
    refused: new Counter({
      name: 'churnflow_model_refused_total',
      help: 'Model versions refused by the admission gate, by role and reason',
      labelNames: ['role', 'reason'],
      registers,
    }),
    smokeSeconds: new Histogram({
      name: 'churnflow_model_smoke_seconds',
      help: "Seconds of the admission gate's timed smoke batch, by role",
      labelNames: ['role'],
      buckets: SMOKE_BUCKETS,
      registers,
    }),
    shadowAgreement: new Gauge({
      name: 'churnflow_shadow_agreement_ratio',
      help: 'Share of windowed rows where champion and shadow fall on the same side of the threshold',
      registers: hidden,
    }),
    shadowPsi: new Gauge({
      name: 'churnflow_shadow_psi',
      help: 'Population stability index of shadow vs champion scores over the window',
      registers: hidden,
    }),
    shadowScoreShare: new Gauge({
      name: 'churnflow_shadow_score_share',
      help: 'Share of windowed rows per score bin of width 0.1 (bin = lower bound), by role',
      labelNames: ['role', 'bin'],
      registers: hidden,
    }),
    shadowRows: new Counter({
      name: 'churnflow_shadow_rows_total',
      help: 'Rows scored by the shadow model',
      registers: hidden,
    }),
    shadowSkipped: new Counter({
      name: 'churnflow_shadow_skipped_rows_total',
      help: 'Rows the shadow model did not score, by reason (busy, failed)',
      labelNames: ['reason'],
      registers: hidden,
    }),
  };
  zeroRoleCounters(metrics, 'champion');
  return metrics;
}

/** src/score/model-registry.ts ModelChangeCause and model-gate.ts RefusalReason, known in advance. */
const SWAP_CAUSES = ['newer', 'removed', 'rollback', 'unpin'];
const REFUSAL_REASONS = ['manifest', 'model', 'weights', 'output', 'latency', 'unreadable'];

/** A role's swap and refusal counters at 0 for every known cause and reason, so rate() sees their first rise. */
function zeroRoleCounters(metrics: ModelMetrics, role: ModelRole): void {
  for (const cause of SWAP_CAUSES) metrics.swaps.inc({ role, cause }, 0);
  for (const reason of REFUSAL_REASONS) metrics.refused.inc({ role, reason }, 0);
}

const SHADOW_METRICS = [
  'shadowAgreement',
  'shadowPsi',
  'shadowScoreShare',
  'shadowRows',
  'shadowSkipped',
] as const;

/**
 * Exports the `churnflow_shadow_*` metrics on the model metrics' registry (once; later calls do nothing), when a
 * shadow scorer starts. Agreement and PSI read NaN until the shadow's first batch is compared, never a fake 0.
 */
export function showShadowMetrics(metrics: ModelMetrics): void {
  const { registry } = metrics;
  if (registry.getSingleMetric('churnflow_shadow_psi') !== undefined) return;
  for (const key of SHADOW_METRICS) registry.registerMetric(metrics[key]);
  metrics.shadowAgreement.set(Number.NaN);
  metrics.shadowPsi.set(Number.NaN);
  zeroRoleCounters(metrics, 'shadow');
}

/** Sets `churnflow_model_info` for the model now in `role`, removing the label set of the one it replaced. */
export function setModelInfo(
  metrics: ModelMetrics,
  role: ModelRole,
  model: { readonly name: string; readonly version: string },
  replaced?: { readonly name: string; readonly version: string },
): void {
  if (replaced !== undefined) {
    metrics.modelInfo.remove({ name: replaced.name, version: replaced.version, role });
  }
  metrics.modelInfo.set({ name: model.name, version: model.version, role }, 1);
}
