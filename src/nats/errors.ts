import { NoRespondersError, RequestError } from '@nats-io/transport-node';

/** The error and its causes, outermost first (bounded: a cause chain may loop). */
export function* causes(err: unknown): Generator<unknown> {
  let e: unknown = err;
  for (let i = 0; i < 8 && e !== undefined && e !== null; i++) {
    yield e;
    e = e instanceof Error ? e.cause : undefined;
  }
}

/**
 * True when a JetStream publish found no stream to take it: the request had no responders (nats.js reports it as
 * "JetStream not enabled", with the no-responders error as its cause).
 */
export function isMissingStream(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof NoRespondersError) return true;
    if (e instanceof RequestError && e.isNoResponders()) return true;
  }
  return false;
}
