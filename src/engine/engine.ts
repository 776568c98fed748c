import { BehaviorSubject, Subject, concatMap, finalize, map, mergeWith, takeUntil, tap } from 'rxjs';
import { decode, type DecodeOptions } from '../decode/index.js';
import { createScoreChanges } from '../publish/index.js';
import { createFlowGate, drainInBatches } from '../rx/index.js';
import { createScorer, STAGE_THRESHOLDS } from '../score/index.js';
import { compileSegmentRules } from '../segment/index.js';
import { createCustomerStore } from '../state/index.js';
import { createAggregator, exportAggregates } from './aggregates.js';
import { createApplyStage } from './apply-stage.js';
import { createCustomerLifecycle } from './customer-lifecycle.js';
import { loadEngineState } from './engine-state.js';
import { createEvaluationPlanner } from './evaluation-planner.js';
import { EVICT, RowBuffer } from './evaluation-rows.js';
import { createHeldRelease, rowsOrReleases, withReleased } from './held-release.js';
import { HeldUpdates } from './held-updates.js';
import { idleTicker } from './idle-ticker.js';
import { profileOf } from './profile.js';
import { captureInSlices, createQuietWork, eraseCustomer } from './quiet-work.js';
import { DAY_MS } from '../state/windows.js';
import { createScoreStage } from './score-stage.js';
import type { Engine, EngineDeps, EngineState } from './types.js';

const NO_SEGMENTS = compileSegmentRules({ segments: [] }, '(none)');

/** The subjects an engine reads: all of `ingest.subjectPrefix`, or one partition's. */
function decodeOptions(deps: EngineDeps): DecodeOptions {
  const p = deps.partition;
  if (p === undefined) return deps.config.ingest;
  const partition = p.count > 1 ? { partition: { index: p.index, count: p.count } } : {};
  return { ...deps.config.ingest, subjectPrefix: p.eventPrefix, ...partition };
}

/**
 * Builds and starts the pipeline: source → decode → customer state (ack) → coalescing micro-batches → model,
 * engagement, stage → changed score updates → sink. Idle ticks advance event time and re-score silent customers.
 */
export function startEngine(given: EngineDeps): Engine {
  // The snapshot is read once here: closures keep `deps`, and must not keep a snapshot-sized buffer alive with it.
  const { restore, ...deps } = given;
  const { config, log, metrics } = deps;
  const clock = deps.clock ?? Date.now;
  const state$ = new BehaviorSubject<EngineState>('starting');
  const stop$ = new Subject<void>();
  const dryRunStop = new AbortController();
  const store = createCustomerStore({ horizonDays: config.state.horizonDays });
  const baselineHorizon = {
    horizonDays: config.score.bgnbdHorizonDays,
    annualDiscountRate: config.score.clvAnnualDiscountRate,
  };
  const published = createScoreChanges(config.publish, clock() * 1000);
  const rules = deps.segments ?? NO_SEGMENTS;
  const lifecycle = createCustomerLifecycle(rules, store, published);
  const aggregator = createAggregator(store, published, {
    retentionPeriodDays: config.aggregates.retentionPeriodDays,
    churnAfterDays: STAGE_THRESHOLDS.churnedInactiveDays,
  });
  const rows = new RowBuffer();
  const held = new HeldUpdates();
  const evicting = new Map<number, string>();
  // Rows made outside the stream's own notifications (rule swaps, local ticks, a waiting apply) announce themselves.
  const queued$ = new Subject<void>();
  const planner = createEvaluationPlanner({
    store,
    rows,
    rules,
    rescoreIntervalMs: config.state.rescoreIntervalMs,
    retentionMs: config.state.retentionDays * DAY_MS,
    // Out of the store at once (a later event of the same id starts afresh); its slot is held until its rows are
    // scored, and its id kept for the eviction's update.
    onEvict: (slot) => {
      const id = store.customerId(slot);
      evicting.set(slot, id);
      store.remove(id, true);
    },
  });
  const totals = {
    events: 0,
    deadLetters: 0,
    duplicates: 0,
    // A fresh engine is not idle before it had a chance to receive what waits for it.
    lastMessageWallMs: clock(),
    lastStreamSeq: 0,
    pendingBehind: 0,
    scoreUpdates: 0,
  };
  const scorer = createScorer({
    model: deps.model,
    reasons: config.score.reasons,
    baselineHorizon,
    featuresOf: (slot, out, offset) => store.features(slot, planner.clockMs, out, offset),
  });
  // Rows waiting for the model: the apply stage waits for room when the clock's jump fires many timers at once.
  const room = createFlowGate({ highWater: 8 * config.score.maxBatch, lowWater: config.score.maxBatch });
  const apply = createApplyStage({
    store,
    planner,
    sink: deps.sink,
    metrics,
    totals,
    clock,
    log,
    stopping: () => state$.value !== 'running',
    maxRowsPerStep: 8 * config.score.maxBatch,
    roomForRows: () => {
      room.update(rows.length);
      const wait = room.wait();
      if (wait === undefined) return Promise.resolve();
      queued$.next(); // the rows are queued: make sure scoring takes them while the stage waits
      return wait;
    },
  });
  // The updates of rows made while a backlog is worked off wait (see HeldUpdates); they go out once the engine is
  // no longer behind (publish.catchUpBehindMs) and the backlog's rows are scored — not while draining: what is still
  // held then goes into the shutdown snapshot, and out after the restart.
  const catchUpBehindMs = config.publish.catchUpBehindMs;
  const releasable = (): boolean =>
    held.size > 0 && !rows.backlog && !rows.backlogQueued && state$.value === 'running';
  const stage = createScoreStage({
    config,
    log,
    metrics,
    clock,
    store,
    scorer,
    published,
    lifecycle,
    totals,
    sink: deps.sink,
    ...(deps.shadow === undefined ? {} : { shadow: deps.shadow }),
    idOf: (slot) => evicting.get(slot) ?? store.customerId(slot),
    held,
  });
  const releaseHeld = createHeldRelease({
    held,
    store,
    scorer,
    published,
    lifecycle,
    idOf: (slot) => store.customerId(slot),
    modelRef: stage.modelRef,
  });
  const flow = deps.flow;
  // A rule swap re-evaluates every customer: fed into the queue a slice at a time as scoring drains it.
  let recheck: number[] = [];
  const feedRecheck = (): void => {
    if (recheck.length === 0 || rows.length >= config.score.maxBatch) return;
    planner.recheck(recheck.splice(0, config.score.maxBatch));
    queued$.next();
  };
  let scoring = 0;
  const score = async (batch: Parameters<typeof stage.score>[0]) => {
    flow?.update(rows.length);
    room.update(rows.length);
    scoring++;
    try {
      const out = await stage.score(batch);
      batch.kind.forEach((kind, i) => {
        if (kind !== EVICT) return;
        // Its eviction row was its last: nothing queued refers to the slot any more, it may be reused.
        const slot = batch.slots[i] as number;
        evicting.delete(slot);
        store.releaseHeld(slot);
        planner.forget(slot);
      });
      const released = releasable() ? await releaseHeld(config.score.maxBatch) : [];
      metrics.heldUpdates.set(held.size);
      return withReleased(out, released);
    } finally {
      scoring--;
      feedRecheck();
    }
  };
  const tick = (atMs: number): Promise<boolean> => deps.publishTick?.(atMs) ?? Promise.resolve(false);
  // Pull batches decoded and not yet through the apply stage: the stream is not idle while one is (it may wait on
  // scoring or dead letters), and no snapshot is taken.
  let applying = 0;
  const parts = { store, published, lifecycle, planner, held };
  const quietly = createQuietWork(
    flow,
    () => applying > 0 || scoring > 0 || rows.pending,
    () => queued$.next(),
  );
  if (restore !== undefined) {
    const { content, name } = restore;
    const sameRules = loadEngineState(parts, content, name);
    totals.lastStreamSeq = content.streamSeq;
    // Taken under other rules: every customer is evaluated again under the rules in force.
    if (!sameRules) recheck = Array.from({ length: store.slotEnd }, (_, slot) => slot);
    log.info(
      { snapshot: name, streamSeq: content.streamSeq, customers: store.size },
      'state restored from snapshot',
    );
  }

  // Completes when the input ends (a finite source such as an event file, or stop()), so the idle ticks end too
  // and the pipeline can drain and complete.
  const inputDone$ = new Subject<void>();
  const pipeline$ = deps.source.pipe(
    takeUntil(stop$),
    decode({ options: decodeOptions(deps) }),
    tap(() => applying++),
    concatMap(async (b) => {
      const last = b.source.messages.at(-1);
      if (last !== undefined) {
        totals.pendingBehind = b.source.pending ?? 0;
        // By time, not by count: a hiccup of a second at 20k events/s is 20k messages, and must not hold updates.
        rows.backlog =
          catchUpBehindMs > 0 && totals.pendingBehind > 0 && clock() - last.publishedAtMs > catchUpBehindMs;
      }
      try {
        await apply(b);
        flow?.update(rows.length);
        // Queued batches would otherwise follow each other in microtasks, starving I/O and timers: yield a turn.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        applying--;
      }
    }),
    finalize(() => inputDone$.next()),
    mergeWith(
      queued$.pipe(takeUntil(inputDone$)),
      idleTicker(
        {
          totals,
          clockMs: () => planner.clockMs,
          // Without a stream to write ticks into (file and in-process sources), time moves by events only: a
          // wall-clock jump would make a replay depend on when it ran.
          nextDueMs: () =>
            deps.publishTick === undefined
              ? Number.POSITIVE_INFINITY
              : Math.min(planner.earliestDeadline(), lifecycle.earliestDwellEnd()),
          busy: () => applying > 0 || rows.length > 0,
          tick: (atMs) =>
            tick(atMs).catch((err: unknown) => {
              log.warn({ err, atMs }, 'clock tick not written; retrying at the next idle check');
              throw err;
            }),
        },
        { ...config.state, clock, scheduler: deps.scheduler },
      ).pipe(
        map(() => {
          // Each check also advances the aggregates pass (wall-clock paced; they publish no events).
          const before = aggregator.current();
          aggregator.step(store.watermarkMs, Math.ceil((store.slotEnd * 250) / config.aggregates.passMs));
          if (aggregator.current() !== before) exportAggregates(aggregator.current(), lifecycle, metrics);
          metrics.timersPending.set(planner.pendingTimers);
          held.trim();
          rows.trim();
        }),
        takeUntil(inputDone$),
      ),
    ),
    drainInBatches(rowsOrReleases(rows, releasable), score, {
      maxBatch: config.score.maxBatch,
      maxDelayMs: config.score.maxDelayMs,
      scheduler: deps.scheduler,
    }),
    map(stage.publish),
  );

  const done = new Promise<void>((resolve, reject) => {
    pipeline$.subscribe({
      error: (err: unknown) => {
        state$.next('failed');
        log.fatal({ err }, 'pipeline failed');
        reject(err instanceof Error ? err : new Error(String(err)));
      },
      complete: () => {
        // A finite source (an event file) ends the pipeline by itself.
        if (state$.value === 'running') state$.next('stopped');
        resolve();
      },
    });
  });
  // Failures are logged above; a caller that never awaits `done` must not see an unhandled rejection.
  done.catch(() => undefined);
  state$.next('running');
  log.info({ model: { name: deps.model.name, version: deps.model.version } }, 'engine running');

  return {
    get state() {
      return state$.value;
    },
    store,
    published,
    totals,
    get clockMs() {
      return planner.clockMs;
    },
    get backlog() {
      return rows.length;
    },
    erase: (customerId) => quietly.run(() => eraseCustomer(parts, customerId, metrics, log)),
    capture: (partition = deps.partition?.index ?? 0) =>
      captureInSlices(quietly, parts, config.snapshot.sliceCustomers, () => totals.lastStreamSeq, partition),
    done,
    swapModel: (model) => scorer.swapModel(model),
    swapSegmentRules(rules) {
      const slots = lifecycle.swapRules(rules);
      // Removed segments must not linger as gauges; the next aggregates pass sets the current ones.
      metrics.segmentCustomers.reset();
      log.info(
        { file: rules.file, segments: rules.rules.length, recheck: slots.length },
        'segment rules in force',
      );
      planner.setRules(rules);
      recheck = slots;
      feedRecheck();
    },
    profile: (customerId) =>
      profileOf(customerId, {
        store,
        scorer,
        lifecycle,
        published,
        modelRef: stage.modelRef,
        nowMs: () => planner.clockMs,
      }),
    segments: () => lifecycle.segments(),
    dryRun: (rule, sampleSize, options) =>
      lifecycle.dryRun(rule, sampleSize, scorer.model, baselineHorizon, {
        timeoutMs: config.segments.dryRunTimeoutMs,
        sliceMs: config.segments.dryRunSliceMs,
        signal:
          options?.signal === undefined
            ? dryRunStop.signal
            : AbortSignal.any([options.signal, dryRunStop.signal]),
      }),
    aggregates: () => aggregator.current(),
    async stop() {
      // A running dry run must not hold shutdown up: it ends within one slice.
      dryRunStop.abort();
      flow?.release();
      room.release();
      if (state$.value === 'running') {
        state$.next('draining');
        stop$.next();
      }
      await done;
      await deps.sink.flush();
      state$.next('stopped');
    },
  };
}
