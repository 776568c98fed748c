import { ChurnflowError } from '../contract/codes.js';
import type { ScoreChanges } from '../publish/index.js';
import { bgnbdColumns, engagementScore, type BaselineHorizon, type ChurnModel } from '../score/index.js';
import {
  compileDryRunRule,
  createActivation,
  dryRunSampleSize,
  planActivation,
  writeActivation,
  type DryRunPredicate,
  type DryRunResult,
} from '../segment/index.js';
import { FEATURE_COUNT } from '../state/feature-catalog.js';
import type { CustomerStore } from '../state/types.js';

/** How a dry run over the engine's customers is bounded. */
export interface DryRunOptions {
  /** Stops the dry run (engine shutdown, or a caller that gave up): it rejects with `DRY_RUN_CANCELLED`. */
  readonly signal?: AbortSignal;
  /** Longest a dry run may take, from the call (waiting behind an earlier one included), ms. @default 30000 */
  readonly timeoutMs?: number;
  /** Wall time a slice may evaluate before it yields to the event loop, ms. @default 5 */
  readonly sliceMs?: number;
  /** Monotonic clock, ms. @default performance.now */
  readonly clock?: () => number;
}

/** A dry run that timed out or was cancelled; `evaluated` of `total` customers had been read. */
export class DryRunError extends ChurnflowError {
  override readonly name: string = 'DryRunError';
  constructor(
    code: 'DRY_RUN_TIMEOUT' | 'DRY_RUN_CANCELLED',
    message: string,
    /** Customers evaluated before it stopped. */
    readonly evaluated: number,
    /** Customers it would have evaluated (slots held when it started). */
    readonly total: number,
  ) {
    super(code, message, { key: 'rule' });
  }
}

/** Runs a dry run over the engine's customers; see {@link createDryRunScan}. */
export type DryRunScan = (
  rule: string,
  sampleSize: number,
  model: ChurnModel,
  horizon: BaselineHorizon,
  options?: DryRunOptions,
) => Promise<DryRunResult>;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_SLICE_MS = 5;

/**
 * Dry runs over every customer the store holds, as a rule sees them now (features at the watermark, last published
 * risk and stage, engagement and BG/NBD from the features), without touching any membership.
 *
 * The rule is compiled (and refused) and the sample size checked (capped at 100) before anything else. Customers
 * are then evaluated in slices: a slice runs until it has used `sliceMs` of wall time, then yields to the event
 * loop with `setImmediate`, so ingestion, timers and `/healthz` keep their turn however slow the rule (one
 * evaluation is bounded by the rule limits, well under a millisecond). A dry run past `timeoutMs` rejects with
 * `DRY_RUN_TIMEOUT` (a partial count would read as an answer); an aborted `signal` rejects with
 * `DRY_RUN_CANCELLED` within one slice. Dry runs run one at a time, in call order, so many requests at once
 * cost the pipeline no more than one.
 */
export function createDryRunScan(store: CustomerStore, published: ScoreChanges): DryRunScan {
  let queue: Promise<unknown> = Promise.resolve();
  return async (rule, sampleSize, model, horizon, options = {}) => {
    const clock = options.clock ?? (() => performance.now());
    const deadline = clock() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const wanted = dryRunSampleSize(sampleSize);
    const predicate = compileDryRunRule(rule);
    const turn = queue;
    const run = (async () => {
      await untilAborted(turn, options.signal);
      return scan(store, published, predicate, wanted, model, horizon, {
        clock,
        deadline,
        sliceMs: options.sliceMs ?? DEFAULT_SLICE_MS,
        signal: options.signal,
      });
    })();
    queue = run.catch(() => undefined);
    return run;
  };
}

/** Waits for `turn`; rejects with `DRY_RUN_CANCELLED` at once if `signal` aborts meanwhile. */
async function untilAborted(turn: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return void (await turn);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled(0, 0));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([turn, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

const cancelled = (evaluated: number, total: number): DryRunError =>
  new DryRunError(
    'DRY_RUN_CANCELLED',
    `dry run cancelled (engine stopping or caller gone) after ${evaluated} of ${total} customers`,
    evaluated,
    total,
  );

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function scan(
  store: CustomerStore,
  published: ScoreChanges,
  predicate: DryRunPredicate,
  wanted: number,
  model: ChurnModel,
  horizon: BaselineHorizon,
  limits: { clock: () => number; deadline: number; sliceMs: number; signal: AbortSignal | undefined },
): Promise<DryRunResult> {
  const { clock, deadline, sliceMs, signal } = limits;
  // Customers held at the start: ones that arrive meanwhile are not chased (the scan always ends).
  const total = store.slotEnd;
  const plan = planActivation(predicate.variables);
  const activation = createActivation();
  // One row's buffers, reused: a dry run allocates nothing per customer beyond the BG/NBD columns.
  const features = new Float32Array(FEATURE_COUNT);
  const churnRisk = new Float32Array(1);
  const engagement = new Uint8Array(1);
  const stage = new Uint8Array(1);
  const sample: string[] = [];
  let matches = 0;
  let evaluated = 0;
  let slot = 0;
  for (;;) {
    // Every slice starts on a fresh turn of the event loop, the first one too: dry runs asked back to back, or
    // over a store smaller than a slice, never chain into one long run of microtasks that starves ingestion.
    await nextTurn();
    if (signal?.aborted === true) throw cancelled(evaluated, total);
    const now = clock();
    if (now > deadline) {
      throw new DryRunError(
        'DRY_RUN_TIMEOUT',
        `dry run timed out after evaluating ${evaluated} of ${total} customers (segments.dryRunTimeoutMs)`,
        evaluated,
        total,
      );
    }
    const sliceEnd = now + sliceMs;
    // The store may shrink (an erase) while we yield: re-read its end every slice.
    const end = Math.min(total, store.slotEnd);
    while (slot < end) {
      const s = slot++;
      if (store.isLive(s)) {
        store.features(s, store.watermarkMs, features, 0);
        const risk = published.risk(s);
        churnRisk[0] = Number.isNaN(risk) ? 0 : risk;
        engagement[0] = engagementScore(features, 0);
        stage[0] = Math.max(0, published.stage(s));
        const scores = { churnRisk, engagement, stage, ...bgnbdColumns(model, features, 1, horizon) };
        writeActivation(activation, plan, features, scores, 0);
        evaluated++;
        if (predicate.test(activation)) {
          matches++;
          if (sample.length < wanted) sample.push(store.customerId(s));
        }
      }
      // By time, not by count: a slow rule and a fast one both hand the loop back every `sliceMs`.
      if (clock() >= sliceEnd) break;
    }
    if (slot >= end) return { matches, evaluated, sample };
  }
}
