import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Rejection } from '../decode/types.js';
import type { OutputSink } from './sink.js';

/** A dead letter as one JSON line: the reason, and the original bytes in base64. */
function deadLetterLine(r: Rejection): string {
  return JSON.stringify({
    reason: r.reason,
    detail: r.detail,
    subject: r.subject,
    streamSeq: r.streamSeq,
    data: Buffer.from(r.data).toString('base64'),
  });
}

/** Resolves once the text has been handed to the OS (the write callback), rejects on a write error. */
function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Writes score updates as JSON lines to `path` and dead letters to `<path>.dlq.jsonl` (original bytes base64).
 * Replaying an event file into a file sink is how offline runs keep their output.
 */
export function fileSink(path: string): OutputSink {
  const scores: WriteStream = createWriteStream(path, { flags: 'a' });
  const dlq: WriteStream = createWriteStream(`${path}.dlq.jsonl`, { flags: 'a' });
  const lifecycle: WriteStream = createWriteStream(`${path}.lifecycle.jsonl`, { flags: 'a' });
  // A write error (disk full, bad path) surfaces through flush() and deadLetter(), never as an unhandled event.
  let failure: Error | undefined;
  const fail = (err: Error): void => void (failure ??= err);
  scores.on('error', fail);
  dlq.on('error', fail);
  lifecycle.on('error', fail);
  const check = (): void => {
    if (failure !== undefined) throw failure;
  };
  let backlog: Promise<void> = Promise.resolve();
  const append = (stream: WriteStream, lines: readonly object[]): void => {
    if (lines.length === 0) return;
    const text = lines.map((u) => JSON.stringify(u)).join('\n') + '\n';
    backlog = backlog.then(() => write(stream, text));
    // Marked handled here; the failure is reported by the next flush() (or deadLetter()).
    backlog.catch(() => undefined);
  };
  return {
    publishScores: (updates) => append(scores, updates),
    publishSegmentChanges: (changes) =>
      append(
        lifecycle,
        changes.map((c) => ({ type: 'segment', ...c })),
      ),
    publishStageTransitions: (ts) =>
      append(
        lifecycle,
        ts.map((t) => ({ type: 'stage', ...t })),
      ),
    async deadLetter(rejections) {
      check();
      await write(dlq, rejections.map(deadLetterLine).join('\n') + '\n');
    },
    async flush() {
      await backlog;
      check();
    },
    async close() {
      await backlog.catch(() => undefined);
      // 'close' (not end's 'finish') is when the file descriptor is released.
      const closed = (stream: WriteStream) =>
        new Promise<void>((resolve) => {
          stream.once('close', () => resolve());
          stream.end();
        });
      await Promise.all([closed(scores), closed(dlq), closed(lifecycle)]);
    },
  };
}

/** Options of {@link consoleSink}. */
export interface ConsoleSinkOptions {
  /** Where lines go (default stdout). */
  readonly out?: Writable;
  /** Most score-update lines printed per second; the rest are counted, not printed (default 5). */
  readonly maxLinesPerSec?: number;
  /** Clock for the rate limit (default Date.now). */
  readonly clock?: () => number;
}

/** Prints a rate-limited sample of score updates and every dead letter as compact JSON lines. */
export function consoleSink(opts: ConsoleSinkOptions = {}): OutputSink {
  const out = opts.out ?? process.stdout;
  const clock = opts.clock ?? Date.now;
  const perSec = opts.maxLinesPerSec ?? 5;
  let windowStart = 0;
  let printed = 0;
  /** One shared budget of lines per second of the clock. */
  const allow = (): boolean => {
    const now = clock();
    if (now - windowStart >= 1000) {
      windowStart = now;
      printed = 0;
    }
    return printed++ < perSec;
  };
  return {
    publishScores(updates) {
      for (const u of updates) if (allow()) out.write(`score ${JSON.stringify(u)}\n`);
    },
    publishSegmentChanges(changes) {
      for (const c of changes) if (allow()) out.write(`segment ${JSON.stringify(c)}\n`);
    },
    publishStageTransitions(transitions) {
      for (const t of transitions) if (allow()) out.write(`stage ${JSON.stringify(t)}\n`);
    },
    async deadLetter(rejections) {
      for (const r of rejections) await write(out, `dead-letter ${deadLetterLine(r)}\n`);
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
