/**
 * How a training set's rows are split for fitting and testing: by customer (the shipped model: customers held
 * out), or by customer and time (the out-of-time check: the last cut-offs of held-out customers, with training
 * on cut-offs whose look-ahead window closed before them, so no label overlaps the test period).
 */
import { DAY_MS } from '../state/windows.js';
import { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VALIDATION } from './customer-split.js';
import type { SummaryTable } from './customer-summaries.js';
import type { RowSplit } from './fit-run.js';
import type { TrainingSet } from './training-set.js';

/** A split with where its baselines are fitted: every customer's summaries at the end of the fitting window. */
export interface PlannedSplit {
  readonly split: RowSplit;
  readonly fitTable: SummaryTable;
  /** Training customers (indexes into customerIds) known at the end of the fitting window. */
  readonly fitCustomers: Int32Array;
  /** Set for an out-of-time split: its first test cut-off, epoch ms. */
  readonly boundaryMs?: number;
}

/** Rows split by customer; baselines fitted at the end of the history. */
export function customerSplitRows(set: TrainingSet): PlannedSplit {
  return {
    split: {
      train: rowsWhere(set, (r) => set.split[r] === SPLIT_TRAIN),
      validation: rowsWhere(set, (r) => set.split[r] === SPLIT_VALIDATION),
      test: rowsWhere(set, (r) => set.split[r] === SPLIT_TEST),
    },
    fitTable: set.summaries.end,
    fitCustomers: trainingCustomers(set, set.summaries.end.count),
  };
}

/**
 * Rows split by customer and time: test = held-out customers at the last `testCutoffs` cut-offs; train and
 * validation = the others' rows whose label window ends by the first test cut-off, where the baselines are
 * fitted too. Undefined when there are not enough cut-offs for both sides.
 */
export function outOfTimeSplitRows(set: TrainingSet, testCutoffs: number): PlannedSplit | undefined {
  const cutoffs = set.window.cutoffsMs;
  if (!(testCutoffs >= 1 && testCutoffs < cutoffs.length)) return undefined;
  const k = cutoffs.length - testCutoffs;
  const boundaryMs = cutoffs[k]!;
  const horizonMs = set.definition.days * DAY_MS;
  const before = (r: number): boolean => set.cutoffMs[r]! + horizonMs <= boundaryMs;
  const split = {
    train: rowsWhere(set, (r) => set.split[r] === SPLIT_TRAIN && before(r)),
    validation: rowsWhere(set, (r) => set.split[r] === SPLIT_VALIDATION && before(r)),
    test: rowsWhere(set, (r) => set.split[r] === SPLIT_TEST && set.cutoffMs[r]! >= boundaryMs),
  };
  if (split.train.length === 0 || split.validation.length === 0 || split.test.length === 0) return undefined;
  const fitTable = set.summaries.cutoffs[k]!;
  return { split, fitTable, fitCustomers: trainingCustomers(set, fitTable.count), boundaryMs };
}

function rowsWhere(set: TrainingSet, keep: (r: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let r = 0; r < set.rows; r++) if (keep(r)) out.push(r);
  return Int32Array.from(out);
}

function trainingCustomers(set: TrainingSet, count: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (set.customerSplit[i] === SPLIT_TRAIN) out.push(i);
  return Int32Array.from(out);
}
