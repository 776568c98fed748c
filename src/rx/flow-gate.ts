/**
 * Back-pressure between a source and a slower consumer in the same process: the consumer reports its backlog,
 * and the source awaits {@link FlowGate.wait} before it pulls more. Above `highWater` the gate closes; it opens
 * again at or below `lowWater` (hysteresis, so it does not flap on every batch).
 */
export interface FlowGate {
  /** The consumer's backlog changed. */
  update(backlog: number): void;
  /** Undefined while open; else a promise that resolves when it opens (or the gate is released). */
  wait(): Promise<void> | undefined;
  /** Opens for good (shutdown): no source may stay parked. */
  release(): void;
  /** Keeps the gate closed, whatever the backlog, until the returned function is called (a snapshot's pause). */
  hold(): () => void;
  readonly closed: boolean;
}

/** Creates a {@link FlowGate}. */
export function createFlowGate(opts: { readonly highWater: number; readonly lowWater: number }): FlowGate {
  let closed = false;
  let released = false;
  let holds = 0;
  let backlogHigh = false;
  let waiters: (() => void)[] = [];
  const open = (): void => {
    if (holds > 0 && !released) return;
    closed = false;
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  };
  return {
    update(backlog) {
      if (released) return;
      if (!backlogHigh && backlog > opts.highWater) backlogHigh = closed = true;
      else if (backlogHigh && backlog <= opts.lowWater) {
        backlogHigh = false;
        open();
      }
    },
    hold() {
      holds++;
      closed = true;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        holds--;
        if (holds === 0 && !backlogHigh) open();
      };
    },
    wait: () => (closed ? new Promise<void>((resolve) => waiters.push(resolve)) : undefined),
    release() {
      released = true;
      open();
    },
    get closed() {
      return closed;
    },
  };
}
