import { nuid, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { requestHandler, type HandlerDeps } from './handler.js';
import { initRequestMetrics } from './metrics.js';
import {
  SERVICE_NAME,
  SERVICE_RESPONSE_TYPE,
  controlSubjects,
  isSemVer,
  type EndpointInfo,
  type InfoResponse,
  type PingResponse,
  type ServiceIdentity,
  type ServiceVerb,
  type StatsResponse,
} from './micro.js';
import { EndpointCounters } from './service-stats.js';
import type { Endpoint } from './types.js';

/** An endpoint and how instances share its requests. */
export interface ServedEndpoint {
  readonly endpoint: Endpoint;
  /** Queue group: one member of the group gets each request. @default none: every instance gets each request */
  readonly queue?: string;
}

/** Options of {@link serveService}. */
export interface RequestServiceOptions extends Omit<HandlerDeps, 'maxPayload'> {
  readonly nc: NatsConnection;
  /** Subject prefix: endpoint `customers.get` is served on `<prefix>.customers.get`. */
  readonly prefix: string;
  /** The service's name (`churnflow`): letters, digits, `-`, `_`. */
  readonly name: string;
  /** The service's version, a semantic version (the package's). */
  readonly version: string;
  /** @default '' */
  readonly description?: string;
  /** @default {} */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly endpoints: readonly ServedEndpoint[];
  /** The wall clock, for the start time STATS reports, ms since the epoch. @default Date.now */
  readonly clock?: () => number;
}

/** A running service: its identity, what PING, INFO and STATS answer, and its end. */
export interface RequestService {
  readonly id: string;
  ping(): PingResponse;
  info(): InfoResponse;
  stats(): StatsResponse;
  /** Stops receiving requests; replies already in progress are still sent while the connection is open. */
  stop(): void;
}

/**
 * The micro protocol's endpoint name of a request: `customers.get` → `customers-get` (a name is one subject token;
 * the subject keeps its dots).
 */
export function endpointName(request: string): string {
  return request.replaceAll('.', '-');
}

/**
 * Serves endpoints as one NATS micro service: each endpoint on `<prefix>.<endpoint>` (bounded, coded replies, see
 * {@link requestHandler}), and the protocol's PING, INFO and STATS on `$SRV.*` so `nats micro ls|info|stats` find
 * and count it. Written here rather than with `@nats-io/services` (3.0.0-25): that library times a handler only
 * until it returns and counts an error only when it throws synchronously, so every asynchronous answer here (a
 * dry run takes seconds) would show 0 ns and no error; and it pins a pre-release nats-core of its own.
 */
export function serveService(opts: RequestServiceOptions): RequestService {
  const { nc, log } = opts;
  const served = opts.endpoints.map(({ endpoint, queue }) => ({
    info: {
      name: endpointName(endpoint.name),
      subject: `${opts.prefix}.${endpoint.name}`,
      queue_group: queue ?? '',
      metadata: null,
    } satisfies EndpointInfo,
    counters: new EndpointCounters(),
    handle: requestHandler(endpoint, { ...opts, maxPayload: () => nc.info?.max_payload }),
  }));
  checkNames(opts, served);
  const identity: ServiceIdentity = {
    name: opts.name,
    id: nuid.next(),
    version: opts.version,
    metadata: { ...opts.metadata },
  };
  const started = new Date((opts.clock ?? Date.now)()).toISOString();
  const service = {
    id: identity.id,
    ping: (): PingResponse => ({ type: SERVICE_RESPONSE_TYPE.PING, ...identity }),
    info: (): InfoResponse => ({
      type: SERVICE_RESPONSE_TYPE.INFO,
      ...identity,
      description: opts.description ?? '',
      endpoints: served.map((s) => s.info),
    }),
    stats: (): StatsResponse => ({
      type: SERVICE_RESPONSE_TYPE.STATS,
      ...identity,
      started,
      endpoints: served.map((s) => s.counters.stats(s.info)),
    }),
  };
  if (opts.metrics !== undefined)
    initRequestMetrics(
      opts.metrics,
      opts.endpoints.map((e) => e.endpoint.name),
    );
  const subscribe = (subject: string, queue: string, onMsg: (msg: Msg) => void): Subscription =>
    nc.subscribe(subject, {
      ...(queue === '' ? {} : { queue }),
      callback: (err, msg) => {
        // A subscription error (permissions) ends the subscription; the operator must hear of it.
        if (err !== null) log.error({ err, subject }, 'request subscription failed');
        else onMsg(msg);
      },
    });
  const answers: Record<ServiceVerb, () => object> = {
    PING: service.ping,
    INFO: service.info,
    STATS: service.stats,
  };
  const subs = [
    ...served.map((s) =>
      subscribe(s.info.subject, s.info.queue_group, (msg) => {
        void s.handle(msg).then((outcome) => {
          if (outcome !== undefined) s.counters.record(outcome);
        });
      }),
    ),
    // Control requests reach every instance (no queue group): `nats micro ls` lists each one.
    ...controlSubjects(identity.name, identity.id).map(({ verb, subject }) =>
      subscribe(subject, '', (msg) => {
        try {
          msg.respond(JSON.stringify(answers[verb]()));
        } catch (err) {
          log.warn({ err, subject }, 'service control reply could not be sent');
        }
      }),
    ),
  ];
  return { ...service, stop: () => subs.forEach((s) => s.unsubscribe()) };
}

/** Names the protocol would refuse are a programming error: refused at start, before anything subscribes. */
function checkNames(opts: RequestServiceOptions, served: readonly { info: EndpointInfo }[]): void {
  const bad = [opts.name, ...served.map((s) => s.info.name)].find((n) => !SERVICE_NAME.test(n));
  if (bad !== undefined)
    throw new TypeError(`service or endpoint name ${JSON.stringify(bad)}: use [A-Za-z0-9_-]`);
  if (!isSemVer(opts.version))
    throw new TypeError(`service version ${JSON.stringify(opts.version)}: not semver`);
}
