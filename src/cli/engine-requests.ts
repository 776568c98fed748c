import { readFileSync } from 'node:fs';
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
  serveService,
} from '../requests/index.js';
import type { ModelRegistry } from '../score/index.js';

/** How long a question about every customer waits for the parts of every partition from the instances. */
const GATHER_WAIT_MS = 3_000;
/** The NATS micro service name every instance registers under (`nats micro info churnflow`). */
export const SERVICE = 'churnflow';

/**
 * The request endpoints, as the NATS micro service `churnflow` (src/requests/service.ts). With leases (several
 * instances may share the partitions), a customer's requests reach every instance and its partition's owner
 * answers; questions about every customer reach one instance of the queue group, which gathers every instance's
 * part (src/host/instance-parts.ts). Model requests reach every instance.
 */
export function serveEngineRequests(
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
  // Customer and model requests reach every instance (the owner answers, every champion model changes); questions
  // about every customer go to one instance of the queue group, which gathers the others' parts.
  const group = shared ? `${config.publish.prefix}.requests` : undefined;
  const service = serveService({
    nc,
    prefix: config.publish.prefix,
    name: SERVICE,
    version: packageVersion(),
    description: 'churnflow: customer profiles and erasure, segments, aggregates and the churn model',
    metadata: { prefix: config.publish.prefix },
    log,
    limits: config.requests,
    metrics: createRequestMetrics(registry),
    endpoints: [
      ...endpoints.filter((e) => e.name.startsWith('customers.')).map((endpoint) => ({ endpoint })),
      {
        endpoint: eraseEndpoint(
          (id) => host.erase(id),
          (id) => host.holds(id),
        ),
      },
      ...endpoints
        .filter((e) => !e.name.startsWith('customers.'))
        .map((endpoint) => ({ endpoint, ...(group === undefined ? {} : { queue: group }) })),
      ...modelEndpoints(models.champion).map((endpoint) => ({ endpoint })),
    ],
  });
  return () => {
    parts?.stop();
    service.stop();
  };
}

/**
 * The package's version (the service's), from the package.json above this file, in src/cli/ as in dist/src/cli/;
 * `0.0.0` when none is found (the micro protocol requires a semantic version).
 */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as Record<string, unknown>;
      if (pkg['name'] === 'churnflow' && typeof pkg['version'] === 'string') return pkg['version'];
    } catch {
      // Not there from this layout: try the other.
    }
  }
  return '0.0.0';
}
