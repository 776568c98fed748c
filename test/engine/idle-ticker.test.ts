import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import { createIdleCheck, idleTicker, type IdleTickerDeps } from '../../src/engine/idle-ticker.js';

const T0 = Date.UTC(2026, 0, 10, 12);

/** A ticker over a fake engine clock that moves only when a tick is "read back". */
function setup(nextDueMs: number) {
  let wall = T0;
  let engineClock = T0 - 10_000;
  const ticks: number[] = [];
  const deps: IdleTickerDeps = {
    totals: {
      events: 0,
      deadLetters: 0,
      duplicates: 0,
      lastMessageWallMs: T0,
      lastStreamSeq: 0,
      pendingBehind: 0,
    },
    clockMs: () => engineClock,
    nextDueMs: () => nextDueMs,
    busy: () => false,
    tick: (atMs) => {
      ticks.push(atMs);
      return Promise.resolve(true);
    },
  };
  const check = createIdleCheck(deps, { idleAfterMs: 2_000, tickLagMs: 1_000, clock: () => wall });
  return {
    check,
    deps,
    ticks,
    advanceWall: (ms: number) => (wall += ms),
    readBack: () => (engineClock = ticks.at(-1) ?? engineClock),
  };
}

describe('idle ticker', () => {
  it('ticks the clock to wall - lag once the stream is quiet and a timer is due', () => {
    const t = setup(T0 + 500);
    t.check();
    expect(t.ticks).toEqual([]); // a message just arrived
    t.advanceWall(1_999);
    t.check();
    expect(t.ticks).toEqual([]);
    t.advanceWall(1);
    t.check();
    expect(t.ticks).toEqual([T0 + 1_000]);
  });

  it('never ticks while messages keep coming, nor when nothing is due', () => {
    const busy = setup(T0);
    for (let i = 0; i < 10; i++) {
      busy.advanceWall(1_000);
      busy.deps.totals.lastMessageWallMs = T0 + (i + 1) * 1_000;
      busy.check();
    }
    expect(busy.ticks).toEqual([]);
    const quiet = setup(Infinity);
    quiet.advanceWall(60_000);
    quiet.check();
    expect(quiet.ticks).toEqual([]);
  });

  it('keeps one tick in flight: the next waits until the engine read the last one back', () => {
    const t = setup(T0);
    t.advanceWall(5_000);
    t.check();
    t.advanceWall(2_500);
    t.check();
    expect(t.ticks).toHaveLength(1);
    t.readBack();
    t.advanceWall(2_000);
    t.check();
    expect(t.ticks).toEqual([T0 + 4_000, T0 + 8_500]);
  });

  it('checks on the given scheduler', () => {
    const scheduler = new VirtualTimeScheduler();
    const t = setup(T0);
    const seen: number[] = [];
    const sub = idleTicker(t.deps, {
      idleAfterMs: 2_000,
      tickLagMs: 1_000,
      checkEveryMs: 250,
      clock: () => T0 + scheduler.now(),
      scheduler,
    }).subscribe((now) => seen.push(now));
    scheduler.maxFrames = 3_000;
    scheduler.flush();
    sub.unsubscribe();
    expect(seen).toHaveLength(12);
    expect(t.ticks).toEqual([T0 + 1_000]);
  });
});
