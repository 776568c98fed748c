/**
 * The human-readable `report.md` of a model directory: what was trained on what, the holdout metrics of the
 * model beside its fair baselines with intervals, on all held-out rows and on active customers, its calibration,
 * the fitted BG/NBD and Gamma-Gamma parameters, and the command that made it.
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
  /** Events the store refused, by reason. */
  readonly refusedByReason?: Readonly<Record<string, number>>;
  readonly events: number;
  readonly customers: number;
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly bestEpoch: number;
  readonly epochs: number;
  readonly backend: string;
}

type Comparison = NonNullable<Evaluation['comparisons']>['all'];
type Bound = number | null;

/**
 * The metrics table of one comparison: the model, each baseline with model − baseline [95% interval], and the
 * best single feature. Falls back to the plain model/baseline table for manifests without comparisons.
 */
export function metricsTable(evaluation: Evaluation, which: 'all' | 'active' | 'outOfTime' = 'all'): string {
  const c = evaluation.comparisons?.[which];
  const lines = ['| predictor | ROC-AUC | PR-AUC | Brier |', '|---|---:|---:|---:|'];
  if (c === undefined) {
    for (const m of [evaluation.model, evaluation.baseline]) {
      if (m === undefined) continue;
      const name = m.name === 'model' ? 'model (MLP)' : m.name;
      lines.push(`| ${name} | ${fmt(m.rocAuc)} | ${fmt(m.prAuc)} | ${fmt(m.brier)} |`);
    }
    return lines.join('\n');
  }
  lines.push(`| model (MLP) | ${fmt(c.model.rocAuc)} | ${fmt(c.model.prAuc)} | ${fmt(c.model.brier)} |`);
  for (const b of c.baselines) {
    lines.push(`| ${b.description} | ${fmt(b.rocAuc)} | ${fmt(b.prAuc)} | ${fmt(b.brier)} |`);
    const d = b.difference;
    lines.push(`| model − ${b.name} [95% CI] | ${ci(d.rocAuc)} | ${ci(d.prAuc)} | ${ci(d.brier)} |`);
  }
  if (c.bestFeature)
    lines.push(`| best single feature: ${c.bestFeature.name} | ${fmt(c.bestFeature.rocAuc)} | | |`);
  return lines.join('\n');
}

/** The whole report. */
export function modelReport(manifest: ModelManifest, facts: ModelReportFacts): string {
  const ev = manifest.evaluation;
  const def = manifest.churnDefinition;
  const out = [
    `# ${manifest.name} ${manifest.version}`,
    '',
    `Churn = ${def.kind.replace('_', ' ')} within ${def.days} days after a cut-off. Trained ${manifest.trainedAt}` +
      ` on ${facts.backend}; best epoch ${facts.bestEpoch} of ${facts.epochs}.`,
    '',
    '## Holdout metrics',
    '',
    ...(ev === undefined ? ['No evaluation.'] : evaluationSection(ev)),
    '',
    '## Data',
    '',
    ...dataSection(manifest, facts),
    '',
    '## Reproduce',
    '',
    '```sh',
    facts.command,
    '```',
    '',
  ];
  return out.join('\n');
}

function evaluationSection(ev: Evaluation): string[] {
  const p = ev.protocol;
  const out = [
    `Rows of customers held out of training (split by customer). Baselines are fitted on one summary per` +
      ` training customer and score each row with P(no transaction within the horizon);` +
      ` intervals: ${p?.replicates ?? '-'} bootstrap resamples of customers, ${(p?.level ?? 0.95) * 100}%.` +
      ' They cover the sampling of held-out customers only, not a refit with another seed or split.' +
      ' The history starts at the window: a customer acquired before it is summarised from its first' +
      ' transaction inside it.',
  ];
  const sections: [keyof NonNullable<Evaluation['comparisons']>, string][] = [
    ['all', 'All held-out rows'],
    ['active', `Customers active at the cut-off (own activity within ${p?.activeWithinDays ?? 7} days)`],
    ['outOfTime', `Out of time (${p?.outOfTime ?? ''})`],
  ];
  for (const [key, title] of sections) {
    const c: Comparison | undefined = ev.comparisons?.[key];
    if (c === undefined) continue;
    out.push(
      '',
      `### ${title}`,
      '',
      `${c.rows} rows, ${c.customers} customers, positive rate ${fmt(c.positiveRate)}.`,
    );
    out.push('', metricsTable(ev, key));
  }
  if (ev.comparisons === undefined) out.push('', metricsTable(ev));
  out.push(
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
  return out;
}

function dataSection(manifest: ModelManifest, facts: ModelReportFacts): string[] {
  const win = manifest.trainingWindow;
  const counts = (c: Readonly<Record<string, number>> | undefined): string =>
    Object.entries(c ?? {})
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
  const reasons = counts(facts.byReason);
  const refused = counts(facts.refusedByReason);
  const out = [
    `- source: ${facts.source}`,
    `- records read: ${facts.records}; invalid and skipped: ${facts.invalid}${reasons ? ` (${reasons})` : ''}`,
    `- events replayed through the engine's CustomerStore: ${facts.events}; customers: ${facts.customers}` +
      (refused ? `; refused by the store: ${refused}` : ''),
    win === undefined
      ? '- window: unknown'
      : `- window: ${win.from} .. ${win.to}; cut-offs: ${win.cutoffs.join(', ')}`,
    `- rows (customer × cut-off): train ${facts.rows.train}, validation ${facts.rows.validation}, test ${facts.rows.test} (split by customer)`,
    `- model inputs: ${manifest.features.length} features`,
  ];
  const bg = manifest.bgnbd;
  if (bg !== undefined) {
    const se = bg.standardErrors ?? {};
    const v = (k: 'r' | 'alpha' | 'a' | 'b'): string => `${k} ${fmt(bg[k])} (SE ${fmtSe(se[k])})`;
    out.push(
      `- BG/NBD (purchase days, weeks; ${bg.customers ?? '?'} customers): ${v('r')}, ${v('alpha')}, ${v('a')}, ${v('b')}`,
    );
  }
  const gg = manifest.gammaGamma;
  if (gg !== undefined) {
    const se = gg.standardErrors ?? {};
    const v = (k: 'p' | 'q' | 'gamma'): string => `${k} ${fmt(gg[k])} (SE ${fmtSe(se[k])})`;
    const corr = gg.frequencySpendCorrelation;
    out.push(
      `- Gamma-Gamma (${gg.customers ?? '?'} repeat buyers): ${v('p')}, ${v('q')}, ${v('gamma')}` +
        (corr === undefined
          ? ''
          : `; corr(repeat days, mean repeat spend) ${fmt(corr)} (the model assumes 0)`),
    );
  }
  return out;
}

function ci(i: { estimate: Bound; low: Bound; high: Bound }): string {
  const s = (v: Bound): string => (v === null ? 'n/a' : (v >= 0 ? '+' : '') + v.toFixed(4));
  return `${s(i.estimate)} [${s(i.low)}, ${s(i.high)}]`;
}

function fmtSe(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : fmt(v);
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}
