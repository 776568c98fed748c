import type { JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { ChurnflowError } from '../contract/codes.js';
import type { SnapshotContent } from './format.js';
import type { SnapshotMetrics } from './snapshotter.js';
import type { SnapshotStore } from './snapshot-store.js';

/** Where the engine starts: from a snapshot (resume right after its sequence) or from the stream's first message. */
export type StartPoint =
  | {
      readonly kind: 'snapshot';
      readonly name: string;
      readonly content: SnapshotContent;
      readonly startSeq: number;
    }
  | { readonly kind: 'replay'; readonly why: string };

/**
 * Picks the start point: the newest snapshot that decodes and checks (newer broken ones are skipped, logged and
 * counted), if the stream still holds every message after it. A gap — the stream's first message is after the one
 * the snapshot needs, or the stream is shorter than the snapshot (a different stream) — means a full replay, or,
 * with `onGap: 'refuse'`, a refusal (SNAPSHOT_GAP). Either is logged loudly.
 */
export async function chooseStartPoint(opts: {
  readonly store: SnapshotStore;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly onGap: 'replay' | 'refuse';
  readonly log: Logger;
  readonly metrics: SnapshotMetrics;
  /** keep × intervalMs: how far back the oldest kept snapshot may lie. */
  readonly coverMs?: number;
}): Promise<StartPoint> {
  const info = await opts.jsm.streams.info(opts.stream);
  warnOnShortRetention(opts, info.config.max_age / 1e6);
  const loaded = await opts.store.loadNewest();
  opts.metrics.refused.inc(loaded.skipped.length);
  if (loaded.name === undefined) {
    const why = loaded.skipped.length === 0 ? 'no snapshot yet' : 'no usable snapshot';
    if (loaded.skipped.length > 0)
      opts.log.error({ skipped: loaded.skipped }, 'no usable snapshot: replaying the whole stream');
    return { kind: 'replay', why };
  }
  const { content, name } = loaded;
  const state = info.state;
  const next = content.streamSeq + 1;
  const gap = state.first_seq > next || state.last_seq < content.streamSeq;
  if (!gap) {
    opts.metrics.restoreTail.set(Math.max(0, state.last_seq - content.streamSeq));
    return { kind: 'snapshot', name, content, startSeq: next };
  }
  opts.metrics.refused.inc();
  const detail = {
    snapshot: name,
    needs: next,
    streamFirst: state.first_seq,
    streamLast: state.last_seq,
  };
  if (opts.onGap === 'refuse') {
    throw new ChurnflowError(
      'SNAPSHOT_GAP',
      `snapshot ${name} needs stream sequence ${next}, the stream holds ${state.first_seq}..${state.last_seq}`,
      { key: name },
    );
  }
  opts.log.error(
    detail,
    'the stream no longer holds the tail of the newest snapshot: replaying the whole stream',
  );
  return { kind: 'replay', why: 'gap after the snapshot' };
}

/** Warns when the stream forgets messages sooner than twice the span the kept snapshots cover. */
function warnOnShortRetention(
  opts: { readonly stream: string; readonly log: Logger; readonly coverMs?: number },
  maxAgeMs: number,
): void {
  if (opts.coverMs === undefined) return;
  if (maxAgeMs > 0 && maxAgeMs < 2 * opts.coverMs) {
    opts.log.warn(
      { stream: opts.stream, maxAgeMs, needAtLeastMs: 2 * opts.coverMs },
      'the event stream keeps messages for less than twice what the kept snapshots span: a fallback to an older snapshot may find a gap',
    );
  }
}
