/**
 * What `churnflow train` shows: progress bars on a terminal, the summary, refusals by reason, and a failure as
 * one line.
 */
import { Presets, SingleBar } from 'cli-progress';
import { metricsTable, type TrainReport } from '../train/index.js';
import { refusals } from '../train/refusals.js';

export { refusals };

/** Progress callbacks of the replay and of the epochs; no-ops off a terminal. */
export interface ProgressBars {
  readonly start: (total: number) => void;
  readonly replay: (done: number, total: number, events: number) => void;
  readonly epoch: (n: number, loss: number, valLoss: number) => void;
  readonly stop: () => void;
}

/** The replay and epoch progress bars on a terminal; nothing otherwise. */
export function progressBars(tty: boolean, epochs: number): ProgressBars {
  const replay = tty
    ? new SingleBar(
        { format: 'replay {bar} {percentage}% | {events} events | {eta_formatted}' },
        Presets.shades_classic,
      )
    : undefined;
  const epoch = tty
    ? new SingleBar({ format: 'epochs {bar} {value}/{total} | val log loss {loss}' }, Presets.shades_classic)
    : undefined;
  let epochsStarted = false;
  return {
    start: (total: number): void => replay?.start(total, 0, { events: 0 }),
    replay: (done: number, _total: number, events: number): void => replay?.update(done, { events }),
    epoch: (n: number, _loss: number, valLoss: number): void => {
      if (!epochsStarted) {
        replay?.stop();
        epoch?.start(epochs, 0, { loss: '-' });
        epochsStarted = true;
      }
      epoch?.update(n, { loss: valLoss.toFixed(4) });
    },
    stop: (): void => {
      replay?.stop();
      epoch?.stop();
    },
  };
}

/** What `churnflow train` prints on success: where, how much, what was refused, and the metrics. */
export function summary(r: TrainReport): string {
  const ev = r.manifest.evaluation;
  return [
    `wrote ${r.dir} (${r.events} events, ${r.invalid} invalid records skipped; rows train ${r.rows.train} / validation ${r.rows.validation} / test ${r.rows.test})`,
    `refused: ${refusals(r.byReason, r.refusedByReason)}`,
    `holdout: ${ev.holdoutRows} rows, positive rate ${ev.positiveRate}`,
    metricsTable(ev),
  ].join('\n');
}

/** An error as one line: a RangeError (the user's to fix) by its message, anything else with its name. */
export function oneLine(e: unknown): string {
  const text =
    e instanceof RangeError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.replace(/\s*\n\s*/g, ' ');
}
