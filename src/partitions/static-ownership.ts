import { Subject } from 'rxjs';
import type { LeaseChange, OwnershipState, PartitionOwnership, ReleaseHook } from './types.js';

/** Options of {@link allPartitions}. */
export interface AllPartitionsOptions {
  /** P (default 1). */
  readonly count?: number;
  /** This instance's id (informative). */
  readonly instanceId?: string;
  /** Awaited for each partition on stop, before `released`. */
  readonly onRelease?: ReleaseHook;
}

/**
 * The default ownership without a lease bucket: this one instance owns every partition from start to stop, and
 * nothing is read or written in NATS. With P = 1 (the default) nothing changes for a single-process user.
 */
export function allPartitions(opts: AllPartitionsOptions = {}): PartitionOwnership {
  const count = opts.count ?? 1;
  const changes = new Subject<LeaseChange>();
  let state: OwnershipState = 'idle';
  const held = new Set<number>();
  let stopping: Promise<void> | undefined;
  return {
    instanceId: opts.instanceId ?? 'local',
    count,
    changes: changes.asObservable(),
    state: () => state,
    owned: () => [...held].sort((a, b) => a - b),
    owns: (p) => held.has(p),
    start() {
      if (state !== 'idle') return Promise.resolve();
      state = 'running';
      for (let p = 0; p < count; p++) {
        held.add(p);
        changes.next({ kind: 'acquired', partition: p, revision: 0 });
      }
      return Promise.resolve();
    },
    reconcile: () => Promise.resolve(),
    stop() {
      stopping ??= (async () => {
        state = 'stopping';
        const hook = opts.onRelease;
        await Promise.all([...held].map((p) => (hook === undefined ? Promise.resolve() : hook(p))));
        for (const p of [...held].sort((a, b) => a - b)) {
          held.delete(p);
          changes.next({ kind: 'released', partition: p });
        }
        state = 'stopped';
        changes.complete();
      })();
      return stopping;
    },
  };
}
