import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Engine } from '../engine/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A request body: JSON `{ "customerId": "…" }` / `{ "rule": "…", "sample": 10 }`, or the bare value as text. */
function body(m: Msg, key: string): { value: string; sample?: number } {
  const text = decoder.decode(m.data).trim();
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed === 'object' && parsed !== null && typeof parsed[key] === 'string') {
      const sample = typeof parsed['sample'] === 'number' ? parsed['sample'] : undefined;
      return { value: parsed[key], ...(sample === undefined ? {} : { sample }) };
    }
  } catch {
    // not JSON: the body is the value itself
  }
  return { value: text };
}

/**
 * Queries over NATS request/reply, JSON both ways: `<prefix>.customers.get` (one customer's features, scores,
 * segments, stage, reasons, model), `<prefix>.segments.list` (segments with sizes and rules),
 * `<prefix>.segments.dryrun` (how many customers a proposed rule matches, and a sample, without activating it),
 * `<prefix>.aggregates.get` (retention, CLV, points, sizes, risk). Returns the unsubscribe.
 */
export function serveQueries(nc: NatsConnection, prefix: string, engine: Engine, log: Logger): () => void {
  const answer = (m: Msg, what: string, work: () => unknown): void => {
    Promise.resolve()
      .then(work)
      .then(
        (payload) => m.respond(encoder.encode(JSON.stringify(payload))),
        (err: unknown) => {
          log.warn({ err, query: what }, 'query failed');
          m.respond(encoder.encode(JSON.stringify({ error: 'failed', message: String(err) })));
        },
      );
  };
  const on = (subject: string, handler: (m: Msg) => void): Subscription =>
    nc.subscribe(`${prefix}.${subject}`, { callback: (_err, m) => handler(m) });
  const subs = [
    on('customers.get', (m) =>
      answer(m, 'customers.get', async () => {
        const { value: customerId } = body(m, 'customerId');
        return (await engine.profile(customerId)) ?? { found: false, customerId, error: 'not_found' };
      }),
    ),
    on('segments.list', (m) => answer(m, 'segments.list', () => ({ segments: engine.segments() }))),
    on('segments.dryrun', (m) =>
      answer(m, 'segments.dryrun', () => {
        const { value: rule, sample } = body(m, 'rule');
        return engine.dryRun(rule, sample ?? 10);
      }),
    ),
    on('aggregates.get', (m) => answer(m, 'aggregates.get', () => engine.aggregates())),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
}
