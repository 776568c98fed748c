import type { JetStreamManager } from '@nats-io/jetstream';
import { ensureStream } from '../ingest/jetstream-setup.js';

const DAY_MS = 86_400_000;

/** How long the dead-letter stream keeps a dead letter: a week to inspect and replay it. */
export const DEAD_LETTER_MAX_AGE_MS = 7 * DAY_MS;
/**
 * How long the dead-letter stream remembers a `Nats-Msg-Id`: a day, so a restart (which replays the event stream)
 * does not store the same dead letters again.
 */
export const DEAD_LETTER_DUPLICATE_WINDOW_MS = DAY_MS;

/**
 * Creates the stream that keeps dead letters (`name`, capturing `subject`, file storage) unless it exists. Called
 * at start, and again by the NATS sink when a dead letter finds no stream (someone deleted it while running), so
 * both create it with the same settings.
 */
export function ensureDeadLetterStream(jsm: JetStreamManager, name: string, subject: string): Promise<void> {
  return ensureStream(jsm, name, [subject], DEAD_LETTER_MAX_AGE_MS, DEAD_LETTER_DUPLICATE_WINDOW_MS);
}
