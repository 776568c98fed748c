import type { JetStreamManager } from '@nats-io/jetstream';
import { ensureStreamCaptures } from '../ingest/jetstream-setup.js';

const DAY_MS = 86_400_000;

/** How long the dead-letter stream keeps a dead letter: a week to inspect and replay it. */
export const DEAD_LETTER_MAX_AGE_MS = 7 * DAY_MS;
/**
 * How long the dead-letter stream remembers a `Nats-Msg-Id`: a day, so a restart (which replays the event stream)
 * does not store the same dead letters again.
 */
export const DEAD_LETTER_DUPLICATE_WINDOW_MS = DAY_MS;

/**
 * The subjects the dead-letter stream captures for the subject base `<prefix>.dlq`: `<prefix>.dlq.>` (where dead
 * letters go: `<prefix>.dlq.<customer token>`, see deadLetterSubject) and the plain `<prefix>.dlq`, where earlier
 * versions stored every dead letter (kept so a stream that holds them stays valid).
 */
export function deadLetterStreamSubjects(subjectBase: string): string[] {
  return [subjectBase, `${subjectBase}.>`];
}

/**
 * Creates the stream that keeps dead letters (`name`, capturing {@link deadLetterStreamSubjects} of `subjectBase`,
 * file storage) unless it exists; an existing stream that does not capture them all (one created by an earlier
 * version for the plain `<prefix>.dlq`) gets the missing subjects added, its other settings left as they are.
 * Called at start, and again by the NATS sink when a dead letter finds no stream (someone deleted it while running),
 * so both create it with the same settings.
 * @param subjectBase `<prefix>.dlq`
 */
export async function ensureDeadLetterStream(
  jsm: JetStreamManager,
  name: string,
  subjectBase: string,
): Promise<void> {
  await ensureStreamCaptures(jsm, name, deadLetterStreamSubjects(subjectBase), {
    maxAgeMs: DEAD_LETTER_MAX_AGE_MS,
    duplicateWindowMs: DEAD_LETTER_DUPLICATE_WINDOW_MS,
  });
}

export { subjectCovers } from '../ingest/jetstream-setup.js';
