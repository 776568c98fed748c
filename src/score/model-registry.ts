import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Subject, asyncScheduler, debounceTime, groupBy, mergeMap, type SchedulerLike } from 'rxjs';
import { ChurnflowError } from '../contract/codes.js';
import { setModelInfo, type ModelMetrics, type ModelRole } from '../metrics/model-metrics.js';
import { compareVersions } from './model-version.js';
import type { LoadedChurnModel } from './churn-model.js';
import { admitModelTimed, ModelRefusedError, type ModelGateOptions } from './model-gate.js';

/** The logger the registry reports to (a pino logger fits). */
export interface RegistryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Registry options. */
export interface ModelRegistryOptions {
  /** The models root; versions live in `<modelsDir>/<name>/<version>/`. */
  readonly modelsDir: string;
  /** The model name (a directory under `modelsDir`). */
  readonly name: string;
  readonly log: RegistryLog;
  readonly metrics: ModelMetrics;
  /** Role for metrics and logs. @default 'champion' */
  readonly role?: ModelRole;
  /** Admission gate options (latency budget, smoke rows). @default {} */
  readonly gate?: ModelGateOptions;
  /** Watch the name directory for new and removed versions. @default true */
  readonly watch?: boolean;
  /** Quiet time after the last file event of a version before it is examined, ms. @default 500 */
  readonly debounceMs?: number;
  /** Scheduler of the debounce. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** Why the current model changed. */
export type ModelChangeCause = 'newer' | 'removed' | 'rollback' | 'unpin';

/** A change of the current model; listeners swap it in (e.g. `scorer.swapModel(change.model)`). */
export interface ModelChange {
  readonly model: LoadedChurnModel;
  readonly replaced: LoadedChurnModel;
  readonly cause: ModelChangeCause;
}

/**
 * Called on every change of the current model, in order. Return the promise of the swap (e.g. what
 * `scorer.swapModel` returns): the registry disposes a replaced model only once every listener's promise
 * of that change and of all earlier changes has settled.
 */
export type ModelChangeListener = (change: ModelChange) => void | Promise<unknown>;

/** What the registry holds, for logs, `/readyz` and operators. */
export interface RegistryStatus {
  readonly name: string;
  readonly current: string;
  /** The version rollback() would return to when it is still loaded, else undefined (found on disk then). */
  readonly previous: string | undefined;
  /** Set after rollback(): newer versions up to `ceiling` are ignored until one above it appears. */
  readonly pinned: { readonly version: string; readonly ceiling: string } | undefined;
  readonly refused: readonly {
    readonly version: string;
    readonly reason: string;
    readonly message: string;
  }[];
}

/** The outcome of rollback(): a value, never a throw (nothing to roll back to is an answer). */
export type RollbackResult =
  { readonly ok: true; readonly change: ModelChange } | { readonly ok: false; readonly reason: string };

/** The outcome of unpin(): whether a pin was lifted, and the change when a newer version became current. */
export interface UnpinResult {
  /** False when nothing was pinned (unpin is idempotent). */
  readonly unpinned: boolean;
  /** Set when a version above the pinned one was admitted and is current now. */
  readonly change: ModelChange | undefined;
}

/** The versions of one model on disk, the current one, hot swaps, rollback. */
export interface ModelRegistry {
  /** The model to score with now. */
  current(): LoadedChurnModel;
  /** Registers a listener of model changes; returns its removal. */
  onChange(listener: ModelChangeListener): () => void;
  /** Returns to the previous admitted version and pins it until a version newer than all seen appears. */
  rollback(): Promise<RollbackResult>;
  /**
   * Leaves a rollback pin: the highest admissible version on disk becomes current again (the one rolled back from,
   * or newer) and new versions are followed as before. Without a pin it changes nothing.
   */
  unpin(): Promise<UnpinResult>;
  /** Looks at the name directory again now (what the watcher does on file events). */
  rescan(): Promise<void>;
  status(): RegistryStatus;
  /** Stops watching, waits for pending work and disposes every model it holds; call after scoring stopped. */
  close(): Promise<void>;
}

/**
 * Loads the highest admissible version of `<modelsDir>/<name>/` (refused versions are logged, counted and
 * skipped) and, unless `watch: false`, follows the directory: a new version is admitted through the gate
 * and becomes current; removing the current version's directory falls back to the previous admitted one.
 * Versions order numerically / semver-like (see {@link compareVersions}); names starting with '.' are
 * ignored, so stage a copy as `.5.tmp` and rename it to `5` for an atomic drop.
 * @throws ChurnflowError MODEL_INVALID naming the directory and every refusal when no version is admissible.
 */
export async function createModelRegistry(opts: ModelRegistryOptions): Promise<ModelRegistry> {
  const base = path.join(opts.modelsDir, opts.name);
  const registry = new DirModelRegistry(opts, base);
  await registry.start();
  return registry;
}

class DirModelRegistry implements ModelRegistry {
  private cur!: LoadedChurnModel;
  private prev: LoadedChurnModel | undefined;
  private pin: { version: string; ceiling: string } | undefined;
  private readonly refusedVersions = new Map<string, ModelRefusedError>();
  private readonly listeners = new Set<ModelChangeListener>();
  private dirWatcher: FSWatcher | undefined;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly events$ = new Subject<string>();
  private readonly role: ModelRole;
  // Every transition runs on this chain, one at a time: watcher events, rollback() and rescan() never race.
  private queue: Promise<unknown> = Promise.resolve();
  // Settles once every listener promise so far has: the point from which a replaced model is unused.
  private swapsSettled: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly opts: ModelRegistryOptions,
    private readonly base: string,
  ) {
    this.role = opts.role ?? 'champion';
  }

  async start(): Promise<void> {
    // Watch first and load on the queue: a version dropped while the first one loads is queued, not missed.
    if (this.opts.watch ?? true) this.startWatching();
    try {
      await this.enqueue(() => this.loadFirst());
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private async loadFirst(): Promise<void> {
    const versions = (await this.listVersions()).sort((a, b) => compareVersions(b, a));
    for (const v of versions) this.watchVersion(v);
    const model = await this.firstAdmissible(versions);
    if (model === undefined) {
      const why = [...this.refusedVersions].map(([v, e]) => `${v}: ${e.message}`).join('; ');
      throw new ChurnflowError(
        'MODEL_INVALID',
        `${this.base}: no admissible model version (${why || 'no version directories'})`,
        { file: this.base },
      );
    }
    this.cur = model;
    setModelInfo(this.opts.metrics, this.role, model);
    this.opts.log.info(this.logCtx({ version: model.version }), 'model loaded');
  }

  current(): LoadedChurnModel {
    return this.cur;
  }

  onChange(listener: ModelChangeListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  rollback(): Promise<RollbackResult> {
    return this.enqueue(async () => {
      const from = this.cur;
      const target = await this.fallbackBelow(from.version);
      if (target === undefined) {
        return { ok: false, reason: `no admitted version below ${from.version} to roll back to` } as const;
      }
      const known = [...(await this.listVersions()), from.version];
      const ceiling = known.reduce((hi, v) => (compareVersions(v, hi) > 0 ? v : hi), from.version);
      this.pin = { version: target.version, ceiling };
      const change = this.promote(target, 'rollback');
      this.opts.log.warn(
        this.logCtx({ from: from.version, to: target.version, pinnedUntilAbove: ceiling }),
        'model rolled back',
      );
      return { ok: true, change } as const;
    });
  }

  unpin(): Promise<UnpinResult> {
    return this.enqueue(async () => {
      const pin = this.pin;
      if (pin === undefined) return { unpinned: false, change: undefined };
      this.pin = undefined;
      const above = (await this.listVersions())
        .filter((v) => compareVersions(v, this.cur.version) > 0)
        .sort((a, b) => compareVersions(b, a));
      const model = await this.firstAdmissible(above);
      const change = model === undefined ? undefined : this.promote(model, 'unpin');
      this.opts.log.warn(
        this.logCtx({ pinned: pin.version, version: this.cur.version, replaced: change?.replaced.version }),
        'rollback pin lifted on request',
      );
      return { unpinned: true, change };
    });
  }

  rescan(): Promise<void> {
    return this.enqueue(async () => {
      const onDisk = new Set(await this.listVersions());
      const known = [
        this.cur.version,
        ...(this.prev ? [this.prev.version] : []),
        ...this.refusedVersions.keys(),
      ];
      for (const v of new Set([...onDisk, ...known])) await this.reconcile(v);
    });
  }

  status(): RegistryStatus {
    return {
      name: this.opts.name,
      current: this.cur.version,
      previous: this.prev?.version,
      pinned: this.pin === undefined ? undefined : { ...this.pin },
      refused: [...this.refusedVersions].map(([version, e]) => ({
        version,
        reason: e.reason,
        message: e.message,
      })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events$.complete();
    this.dirWatcher?.close();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.queue;
    await this.swapsSettled;
    this.prev?.dispose();
    // Undefined only when start() failed before any model was admitted.
    (this.cur as LoadedChurnModel | undefined)?.dispose();
  }

  /** Examines one version after its files went quiet: admits a newer one, or handles its removal. */
  private async reconcile(version: string): Promise<void> {
    if (this.closed) return;
    const dir = path.join(this.base, version);
    if (!(await isDir(dir))) {
      this.watchers.get(version)?.close();
      this.watchers.delete(version);
      this.refusedVersions.delete(version);
      if (version === this.cur.version) await this.fallBackFromRemoved();
      else if (this.prev !== undefined && version === this.prev.version) {
        this.retireLater(this.prev);
        this.prev = undefined;
      }
      return;
    }
    this.watchVersion(version);
    if (version === this.cur.version) {
      // The live model was read into memory at admission; rewriting its files changes nothing until restart.
      this.opts.log.warn(
        this.logCtx({ version, dir }),
        'files of the live model version changed: ignored (versions are immutable; drop a new version)',
      );
      return;
    }
    if (compareVersions(version, this.cur.version) < 0) return;
    if (this.pin !== undefined && compareVersions(version, this.pin.ceiling) <= 0) {
      const { pin } = this;
      this.opts.log.info(this.logCtx({ version, pinned: pin.version }), 'version ignored: rolled back from');
      return;
    }
    const model = await this.admit(version);
    if (model === undefined) return;
    if (this.pin !== undefined) this.opts.log.info(this.logCtx({ version }), 'rollback pin lifted');
    this.pin = undefined;
    this.promote(model, 'newer');
    this.opts.log.info(this.logCtx({ version, replaced: this.prev?.version }), 'model swapped in');
  }

  private async fallBackFromRemoved(): Promise<void> {
    const gone = this.cur;
    const target = await this.fallbackBelow(gone.version);
    if (target === undefined) {
      // Never leave the engine without a model: the removed one stays in memory and keeps scoring.
      this.opts.log.error(
        this.logCtx({ version: gone.version }),
        'current model directory removed and no admitted version below it: it keeps scoring from memory',
      );
      return;
    }
    if (this.pin !== undefined) this.pin = { ...this.pin, version: target.version };
    this.promote(target, 'removed');
    this.opts.log.warn(
      this.logCtx({ removed: gone.version, version: target.version }),
      'current model directory removed: fell back to the previous version',
    );
  }

  /** The previous model when it is loaded and still on disk, else the highest admissible version below `v`. */
  private async fallbackBelow(v: string): Promise<LoadedChurnModel | undefined> {
    const prev = this.prev;
    if (prev !== undefined && compareVersions(prev.version, v) < 0 && (await isDir(prev.dir))) return prev;
    const below = (await this.listVersions())
      .filter((x) => compareVersions(x, v) < 0 && x !== prev?.version)
      .sort((a, b) => compareVersions(b, a));
    return this.firstAdmissible(below);
  }

  private async firstAdmissible(versions: readonly string[]): Promise<LoadedChurnModel | undefined> {
    for (const v of versions) {
      const model = await this.admit(v);
      if (model !== undefined) return model;
    }
    return undefined;
  }

  private async admit(version: string): Promise<LoadedChurnModel | undefined> {
    const dir = path.join(this.base, version);
    try {
      const { model, smokeMs } = await admitModelTimed(dir, this.opts.gate);
      this.refusedVersions.delete(version);
      this.opts.metrics.smokeSeconds.observe({ role: this.role }, smokeMs / 1000);
      return model;
    } catch (err) {
      const e =
        err instanceof ModelRefusedError ? err : new ModelRefusedError('unreadable', String(err), dir, err);
      this.refusedVersions.set(version, e);
      this.opts.metrics.refused.inc({ role: this.role, reason: e.reason });
      this.opts.log.error(
        this.logCtx({ version, dir, reason: e.reason, err: e }),
        `model version refused: ${e.message}`,
      );
      return undefined;
    }
  }

  /** Makes `model` current, tells the listeners, and disposes what nobody holds once their swaps settled. */
  private promote(model: LoadedChurnModel, cause: ModelChangeCause): ModelChange {
    const replaced = this.cur;
    const oldPrev = this.prev;
    this.cur = model;
    // After a newer version (or leaving a pin for one) the replaced one stays loaded for an instant rollback;
    // after a rollback or a removal it is not worth keeping, and the version before it is found on disk when needed.
    this.prev = cause === 'newer' || cause === 'unpin' ? replaced : undefined;
    const change: ModelChange = { model, replaced, cause };
    setModelInfo(this.opts.metrics, this.role, model, replaced);
    this.opts.metrics.swaps.inc({ role: this.role, cause });
    const pending: Promise<unknown>[] = [this.swapsSettled];
    for (const listener of this.listeners) {
      try {
        const p = listener(change);
        if (p !== undefined) pending.push(p.catch((err: unknown) => this.listenerFailed(err)));
      } catch (err) {
        this.listenerFailed(err);
      }
    }
    this.swapsSettled = Promise.all(pending);
    for (const m of new Set([replaced, oldPrev])) {
      if (m !== undefined && m !== this.cur && m !== this.prev) this.retireLater(m);
    }
    return change;
  }

  private retireLater(model: LoadedChurnModel): void {
    void this.swapsSettled.then(() => model.dispose());
  }

  private listenerFailed(err: unknown): void {
    this.opts.log.error(this.logCtx({ err }), 'model change listener failed');
  }

  private startWatching(): void {
    const debounceMs = this.opts.debounceMs ?? 500;
    const scheduler = this.opts.scheduler ?? asyncScheduler;
    // One debounce per version: a copy in progress in one version does not delay another's removal.
    this.events$
      .pipe(
        groupBy((v) => v),
        mergeMap((g) => g.pipe(debounceTime(debounceMs, scheduler))),
      )
      .subscribe((v) => void this.enqueue(() => this.reconcile(v)).catch((e: unknown) => this.stepFailed(e)));
    try {
      const w = watch(this.base, { persistent: false }, (_event, file) => {
        if (file === null) return void this.rescan().catch((e: unknown) => this.stepFailed(e));
        const v = String(file);
        if (v.startsWith('.')) return;
        // Watch the new directory at once, not after the debounce, so no file written into it is missed.
        this.watchVersion(v);
        this.events$.next(v);
      });
      w.on('error', (err) =>
        this.opts.log.error(this.logCtx({ err, dir: this.base }), 'model watcher failed'),
      );
      this.dirWatcher = w;
    } catch (err) {
      this.opts.log.error(this.logCtx({ err, dir: this.base }), 'cannot watch the model directory');
    }
  }

  private watchVersion(version: string): void {
    if (this.closed || this.watchers.has(version) || !(this.opts.watch ?? true)) return;
    try {
      const w = watch(path.join(this.base, version), { persistent: false }, () => this.events$.next(version));
      // The directory vanishing surfaces as an error on some platforms: the name-dir event handles it.
      w.on('error', () => undefined);
      this.watchers.set(version, w);
    } catch {
      // Not a directory (a stray file) or already gone: the name-dir watcher reports its fate.
    }
  }

  private async listVersions(): Promise<string[]> {
    try {
      const entries = await readdir(this.base, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
    } catch {
      return [];
    }
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    // A failed step (a disk error) must not block the steps queued behind it; its caller sees the failure.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private stepFailed(err: unknown): void {
    this.opts.log.error(this.logCtx({ err, dir: this.base }), 'model registry step failed');
  }

  private logCtx(extra: object): object {
    return { model: this.opts.name, role: this.role, ...extra };
  }
}

async function isDir(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
