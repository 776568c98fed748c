/**
 * The human-readable `report.md` of a model directory: what was trained on what, the holdout metrics of the
 * model beside the BG/NBD baseline, its calibration, and the command that made it.
 */
import type { ModelManifest } from '../score/manifest.js';
import type { Evaluation } from './evaluation.js';

/** What the report says beyond the manifest. */
export interface ModelReportFacts {
  /** The command line that trained the model. */
  readonly command: string;
  /** Where the history came from (`TrainingSource.description`). */
  readonly source: string;
  readonly records: number;
  readonly invalid: number;
  /** Invalid records by dead-letter reason. */
  readonly byReason: Readonly<Record<string, number>>;
  readonly events: number;
  readonly customers: number;
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly bestEpoch: number;
  readonly epochs: number;
  readonly backend: string;
}

/** The metrics table (model vs baseline) as Markdown; also printed by `churnflow train`. */
export function metricsTable(evaluation: Evaluation): string {
  const lines = ['| predictor | ROC-AUC | PR-AUC | Brier |', '|---|---:|---:|---:|'];
  for (const m of [evaluation.model, evaluation.baseline]) {
    if (m === undefined) continue;
    const name = m.name === 'model' ? 'model (MLP)' : m.name === 'bgnbd' ? 'BG/NBD 1 - P(alive)' : m.name;
    lines.push(`| ${name} | ${fmt(m.rocAuc)} | ${fmt(m.prAuc)} | ${fmt(m.brier)} |`);
  }
  return lines.join('\n');
}

/** The whole report. */
export function modelReport(manifest: ModelManifest, facts: ModelReportFacts): string {
  const ev = manifest.evaluation;
  const def = manifest.churnDefinition;
  const win = manifest.trainingWindow;
  const reasons = Object.entries(facts.byReason)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  const out = [
    `# ${manifest.name} ${manifest.version}`,
    '',
    `Churn = ${def.kind.replace('_', ' ')} within ${def.days} days after a cut-off. Trained ${manifest.trainedAt}` +
      ` on ${facts.backend}; best epoch ${facts.bestEpoch} of ${facts.epochs}.`,
    '',
    '## Holdout metrics',
    '',
  ];
  if (ev === undefined) out.push('No evaluation.');
  else {
    out.push(
      `${ev.holdoutRows} rows of customers held out of training (positive rate ${fmt(ev.positiveRate)});`,
      'the baseline scores the same rows with 1 - P(alive) from BG/NBD fitted on the training rows.',
      '',
      metricsTable(ev),
      '',
      '## Calibration (model, holdout)',
      '',
      '| predicted | rows | mean predicted | observed rate |',
      '|---|---:|---:|---:|',
      ...ev.calibration.map(
        (b) =>
          `| ${b.from.toFixed(1)}-${b.to.toFixed(1)} | ${b.count} | ${fmt(b.meanPredicted)} | ${fmt(b.observedRate)} |`,
      ),
    );
  }
  out.push(
    '',
    '## Data',
    '',
    `- source: ${facts.source}`,
    `- records read: ${facts.records}; invalid and skipped: ${facts.invalid}${reasons ? ` (${reasons})` : ''}`,
    `- events replayed through the engine's CustomerStore: ${facts.events}; customers: ${facts.customers}`,
    win === undefined
      ? '- window: unknown'
      : `- window: ${win.from} .. ${win.to}; cut-offs: ${win.cutoffs.join(', ')}`,
    `- rows (customer × cut-off): train ${facts.rows.train}, validation ${facts.rows.validation}, test ${facts.rows.test} (split by customer)`,
    `- model inputs: ${manifest.features.length} features`,
  );
  if (manifest.bgnbd !== undefined) {
    const p = manifest.bgnbd;
    out.push(`- BG/NBD (weeks): r ${fmt(p.r)}, alpha ${fmt(p.alpha)}, a ${fmt(p.a)}, b ${fmt(p.b)}`);
  }
  out.push('', '## Reproduce', '', '```sh', facts.command, '```', '');
  return out.join('\n');
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}
