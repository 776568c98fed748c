import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { instanceParts, type PartitionHost } from '../host/index.js';
import {
  createRequestMetrics,
  engineEndpoints,
  eraseEndpoint,
  modelEndpoints,
  serveRequests,
} from '../requests/index.js';
import type { ModelRegistry } from '../score/index.js';

/** How long a question about every customer waits for the parts of every partition from the instances. */
const GATHER_WAIT_MS = 3_000;

export /**
 * The request endpoints. With leases (several instances may share the partitions), a customer's requests reach
 * every instance and its partition's owner answers; questions about every customer reach one instance of the queue
 * group, which gathers every instance's part (src/host/instance-parts.ts). Model requests reach every instance.
 */
function serveEngineRequests(
  config: Readonly<Config>,
  nc: NatsConnection,
  host: PartitionHost,
  models: { readonly champion: ModelRegistry },
  registry: Registry,
  log: Logger,
): () => void {
  const shared = config.partitions.leaseBucket !== '';
  const parts = shared
    ? instanceParts({
        nc,
        prefix: config.publish.prefix,
        group: host,
        log,
        waitMs: GATHER_WAIT_MS,
        limits: config.requests,
        dryRunTimeoutMs: config.segments.dryRunTimeoutMs,
      })
    : undefined;
  const engine = {
    profile: (customerId: string) => host.profile(customerId),
    holds: (customerId: string) => host.holds(customerId),
    segments: () => parts?.segments() ?? host.segments(),
    aggregates: () => parts?.aggregates() ?? host.aggregates(),
    dryRun: (rule: string, sample: number) => parts?.dryRun(rule, sample) ?? host.dryRun(rule, sample),
  };
  const endpoints = engineEndpoints(engine);
  const common = {
    nc,
    prefix: config.publish.prefix,
    log,
    limits: config.requests,
    metrics: createRequestMetrics(registry),
  };
  const stops = [
    serveRequests({
      ...common,
      endpoints: [
        ...endpoints.filter((e) => e.name.startsWith('customers.')),
        ...modelEndpoints(models.champion),
        eraseEndpoint(
          (customerId) => host.erase(customerId),
          (customerId) => host.holds(customerId),
        ),
      ],
    }),
    serveRequests({
      ...common,
      endpoints: endpoints.filter((e) => !e.name.startsWith('customers.')),
      ...(shared ? { queue: `${config.publish.prefix}.requests` } : {}),
    }),
  ];
  return () => {
    parts?.stop();
    stops.forEach((stop) => stop());
  };
}
