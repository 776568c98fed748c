import { isMissingStream } from '../nats/index.js';

/** How long a bucket that was just created or opened may refuse writes before it counts as unavailable (ms). */
export const FIRST_WRITE_WITHIN_MS = 5_000;
/** Pause between tries while a new bucket's stream is not taking writes yet (ms). */
const RETRY_MS = 50;

/**
 * The first write to a lease bucket, retried while its stream answers "no responders" for at most `withinMs`.
 *
 * Instances that start together (a compose stack, a rolling deployment) create the bucket at the same moment.
 * nats-server (2.9) answers the second creator with the stream's info as soon as the stream is registered, before
 * its subjects are bound; a put in that window finds no responders (nats.js: "JetStream not enabled"). The window
 * lasts as long as the server takes to set up the stream's store — milliseconds, longer on a loaded disk. Any other
 * failure, or one that outlasts `withinMs`, is returned as it is.
 */
export async function whenBucketTakesWrites<T>(write: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    try {
      return await write();
    } catch (err) {
      if (!isMissingStream(err) || performance.now() + RETRY_MS > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
