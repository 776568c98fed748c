import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { requestHandler, type HandlerDeps } from './handler.js';
import type { Endpoint } from './types.js';

/** Options of {@link serveRequests}. */
export interface ServeRequestsOptions extends Omit<HandlerDeps, 'maxPayload'> {
  readonly nc: NatsConnection;
  /** Subject prefix: endpoint `customers.get` is served on `<prefix>.customers.get`. */
  readonly prefix: string;
  readonly endpoints: readonly Endpoint[];
  /** Queue group: one subscriber of the group gets each request (default: every subscriber does). */
  readonly queue?: string;
}

/**
 * Serves endpoints over NATS request/reply, one subscription each, every reply bounded by the server's current
 * max_payload. Returns the unsubscribe (replies already in progress are still sent while the connection is open).
 */
export function serveRequests(opts: ServeRequestsOptions): () => void {
  const deps: HandlerDeps = { ...opts, maxPayload: () => opts.nc.info?.max_payload };
  const subs: Subscription[] = opts.endpoints.map((endpoint) => {
    const handle = requestHandler(endpoint, deps);
    const subject = `${opts.prefix}.${endpoint.name}`;
    return opts.nc.subscribe(subject, {
      ...(opts.queue === undefined ? {} : { queue: opts.queue }),
      callback: (err, msg) => {
        if (err !== null) {
          // A subscription error (permissions) ends the subscription; the operator must hear of it.
          opts.log.error({ err, subject }, 'request subscription failed');
          return;
        }
        void handle(msg);
      },
    });
  });
  return () => subs.forEach((s) => s.unsubscribe());
}
