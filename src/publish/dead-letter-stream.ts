import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { ChurnflowError } from '../contract/codes.js';
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
  const wanted = deadLetterStreamSubjects(subjectBase);
  let existing: readonly string[] | undefined;
  try {
    existing = (await jsm.streams.info(name)).config.subjects ?? [];
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) {
      throw new ChurnflowError(
        'NATS_SETUP_FAILED',
        `cannot look up stream ${name}: ${String(err)}`,
        {},
        { cause: err },
      );
    }
  }
  if (existing === undefined) {
    await ensureStream(jsm, name, wanted, DEAD_LETTER_MAX_AGE_MS, DEAD_LETTER_DUPLICATE_WINDOW_MS);
    return;
  }
  const have = existing;
  const missing = wanted.filter((s) => !have.some((pattern) => subjectCovers(pattern, s)));
  if (missing.length === 0) return;
  await jsm.streams.update(name, { subjects: [...have, ...missing] }).catch((err: unknown) => {
    throw new ChurnflowError(
      'NATS_SETUP_FAILED',
      `dead-letter stream ${name} does not capture ${missing.join(', ')} and cannot be updated to ` +
        `(the engine needs $JS.API.STREAM.UPDATE.${name} once, or add the subjects yourself): ${String(err)}`,
      {},
      { cause: err },
    );
  });
}

/**
 * Whether every subject `subject` matches is also matched by `pattern` (NATS wildcards: `*` one token, `>` one or
 * more at the end), e.g. `churnflow.>` covers `churnflow.dlq.>`; `churnflow.dlq` does not.
 */
export function subjectCovers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i];
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t === '*') {
      if (s[i] === '>') return false;
    } else if (t !== s[i]) {
      return false;
    }
  }
  return p.length === s.length;
}
