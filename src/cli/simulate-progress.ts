import { Presets, SingleBar } from 'cli-progress';
import type { CustomerEvent } from '../contract/event.js';
import { DAY_MS } from '../simulate/index.js';

/** Progress of `simulate --out`: simulated days written, on a terminal only. */
export interface FileProgress {
  /** Passes the batches through, moving the bar to the day of each batch's last event. */
  track(batches: Iterable<CustomerEvent[]>): Iterable<CustomerEvent[]>;
  /** Ends the bar (idempotent). */
  stop(): void;
}

/**
 * A bar of simulated days (`fromMs` to `toMs`) with the events so far, drawn on `out` when it is a terminal. Off
 * a terminal nothing is drawn: a pipe or a CI log should get the one "event file written" line, not redraws.
 */
export function fileProgress(
  out: NodeJS.WriteStream | { readonly isTTY?: boolean },
  fromMs: number,
  toMs: number,
): FileProgress {
  const days = Math.max(1, Math.ceil((toMs - fromMs) / DAY_MS));
  const bar =
    out.isTTY === true
      ? new SingleBar(
          {
            format: 'simulating {bar} {value}/{total} days | {events} events | {eta_formatted}',
            stream: out as NodeJS.WriteStream,
            hideCursor: true,
          },
          Presets.shades_classic,
        )
      : undefined;
  let running = false;
  return {
    *track(batches) {
      bar?.start(days, 0, { events: 0 });
      running = bar !== undefined;
      let events = 0;
      for (const batch of batches) {
        events += batch.length;
        const last = batch[batch.length - 1];
        if (last !== undefined) {
          bar?.update(Math.min(days, Math.floor((last.ts - fromMs) / DAY_MS) + 1), { events });
        }
        yield batch;
      }
      bar?.update(days, { events });
    },
    stop() {
      if (running) bar?.stop();
      running = false;
    },
  };
}
