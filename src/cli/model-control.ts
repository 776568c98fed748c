import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { ModelRegistry } from '../score/model-registry.js';

/**
 * Operator commands over NATS request/reply (JSON): `<prefix>.models.status` answers the champion's registry
 * status; `<prefix>.models.rollback` returns to the previous admitted version and pins it. `churnflow model
 * status|rollback` sends these. Returns the unsubscribe.
 */
export function serveModelControl(
  nc: NatsConnection,
  prefix: string,
  champion: ModelRegistry,
  log: Logger,
): () => void {
  const reply = (payload: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(payload));
  const subs: Subscription[] = [
    nc.subscribe(`${prefix}.models.status`, {
      callback: (_err, m) => {
        m.respond(reply(champion.status()));
      },
    }),
    nc.subscribe(`${prefix}.models.rollback`, {
      callback: (_err, m) => {
        champion.rollback().then(
          (result) => {
            log.warn(
              { result: result.ok ? result.change.model.version : result.reason },
              'model rollback requested',
            );
            m.respond(
              reply(
                result.ok
                  ? {
                      ok: true,
                      version: result.change.model.version,
                      replaced: result.change.replaced.version,
                    }
                  : result,
              ),
            );
          },
          (err: unknown) => m.respond(reply({ ok: false, reason: String(err) })),
        );
      },
    }),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
}
