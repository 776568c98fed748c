import { Counter, Histogram, type Registry } from 'prom-client';

/** Request metrics, registered on the registry handed in. */
export interface RequestMetrics {
  /** Requests answered, by endpoint and outcome (`ok`, an error code, `reply_failed` or `elsewhere`). */
  readonly requests: Counter<'endpoint' | 'outcome'>;
  /** From a request's arrival to its reply, by endpoint (requests left to another instance are not timed). */
  readonly seconds: Histogram<'endpoint'>;
}

// From a lookup in memory (well under a millisecond) to a dry run over every customer (segments.dryRunTimeoutMs).
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Creates the request metrics on `registry` (never the global one). */
export function createRequestMetrics(registry: Registry): RequestMetrics {
  return {
    requests: new Counter({
      name: 'churnflow_requests_total',
      help: 'Requests, by endpoint and outcome: ok, a request error code, reply_failed (not sent), or elsewhere (left to the instance that owns the customer).',
      labelNames: ['endpoint', 'outcome'],
      registers: [registry],
    }),
    seconds: new Histogram({
      name: 'churnflow_request_seconds',
      help: 'Seconds from the arrival of a request to its reply, by endpoint.',
      labelNames: ['endpoint'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
  };
}

/**
 * Exports every endpoint's series at 0 before its first request (`outcome="ok"` and the histogram), so a rate or
 * an alert over them has a series to read from the start rather than none.
 */
export function initRequestMetrics(metrics: RequestMetrics, endpoints: readonly string[]): void {
  for (const endpoint of endpoints) {
    metrics.requests.inc({ endpoint, outcome: 'ok' }, 0);
    metrics.seconds.zero({ endpoint });
  }
}
