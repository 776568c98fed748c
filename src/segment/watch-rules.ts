import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { EngineMetrics } from '../metrics/index.js';
import { loadSegmentRules } from './load-rules.js';
import type { SegmentRuleSet } from './types.js';

/** Options of {@link watchSegmentRules}. */
export interface WatchSegmentRulesOptions {
  /** Quiet time after the last change before the file is read, ms (editors write in several steps). @default 200 */
  readonly debounceMs?: number;
  /** Timer functions (tests may pass fakes). @default the global setTimeout / clearTimeout */
  readonly setTimeout?: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
  /** Where reloads are counted: `churnflow_rules_reloads_total{outcome="applied"|"refused"}`. */
  readonly metrics?: Pick<EngineMetrics, 'rulesReloads'>;
}

/** A running watch; `close()` stops it (idempotent). */
export interface SegmentRulesWatch {
  close(): void;
}

/**
 * Watches a rules file and hands every good new version to `onRules`. A bad version (unreadable, bad JSON, a
 * refused rule) goes to `onError` with the SegmentRulesError that says why, and the caller keeps its previous
 * rules. Watches the directory rather than the file, so editors and deploy tools that replace the file by a
 * rename (a new inode) are followed; changes are debounced.
 */
export function watchSegmentRules(
  file: string,
  onRules: (rules: SegmentRuleSet) => void,
  onError: (error: unknown) => void,
  options: WatchSegmentRulesOptions = {},
): SegmentRulesWatch {
  const debounceMs = options.debounceMs ?? 200;
  const set = options.setTimeout ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clear = options.clearTimeout ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout));
  const path = resolve(file);
  const name = basename(path);
  let timer: unknown;
  let closed = false;
  // Reloads are serialised: a change during a load triggers one more load after it, never two at once.
  let loading = false;
  let again = false;

  const reload = (): void => {
    if (closed) return;
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    const count = (outcome: 'applied' | 'refused') => options.metrics?.rulesReloads.inc({ outcome });
    loadSegmentRules(file).then(
      (rules) => finish(() => (count('applied'), onRules(rules))),
      (error: unknown) => finish(() => (count('refused'), onError(error))),
    );
  };
  const finish = (report: () => void): void => {
    loading = false;
    if (!closed) report();
    if (again && !closed) {
      again = false;
      reload();
    }
  };
  const onChange = (_event: string, changed: string | Buffer | null): void => {
    if (changed !== null && changed.toString() !== name) return;
    if (timer !== undefined) clear(timer);
    timer = set(() => {
      timer = undefined;
      reload();
    }, debounceMs);
  };

  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, onChange);
  watcher.on('error', (error) => onError(error));
  return {
    close(): void {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clear(timer);
      watcher.close();
    },
  };
}
