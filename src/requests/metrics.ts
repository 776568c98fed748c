import { Counter, type Registry } from 'prom-client';

/** Request metrics, registered on the registry handed in. */
export interface RequestMetrics {
  /** Requests answered, by endpoint and outcome (`ok`, an error code, or `reply_failed`). */
  readonly requests: Counter<'endpoint' | 'outcome'>;
}

/** Creates the request metrics on `registry` (never the global one). */
export function createRequestMetrics(registry: Registry): RequestMetrics {
  return {
    requests: new Counter({
      name: 'churnflow_requests_total',
      help: 'Requests answered, by endpoint and outcome: ok, a request error code, or reply_failed (not sent).',
      labelNames: ['endpoint', 'outcome'],
      registers: [registry],
    }),
  };
}
