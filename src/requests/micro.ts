/**
 * The NATS micro service protocol (v1), the part a service answers: discovery and monitoring requests on
 * `$SRV.<VERB>`, `$SRV.<VERB>.<name>` and `$SRV.<VERB>.<name>.<id>`, answered in JSON with these shapes. It is what
 * `nats micro ls|info|stats` and the nats.js / Go service clients read.
 */

/** The subject prefix of the protocol's control requests. */
export const SERVICE_API_PREFIX = '$SRV';

/** The control requests: liveness, description, counters. */
export type ServiceVerb = 'PING' | 'INFO' | 'STATS';

/** The `type` each control reply carries. */
export const SERVICE_RESPONSE_TYPE = {
  PING: 'io.nats.micro.v1.ping_response',
  INFO: 'io.nats.micro.v1.info_response',
  STATS: 'io.nats.micro.v1.stats_response',
} as const satisfies Record<ServiceVerb, string>;

/** Service and endpoint names: letters, digits, `-` and `_` (they are subject tokens of the control subjects). */
export const SERVICE_NAME = /^[A-Za-z0-9_-]+$/;

// Semantic versioning 2.0.0, as the protocol requires of a service's version.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Whether `version` is a semantic version (`0.1.0`, `1.2.3-rc.1`), as the protocol requires. */
export function isSemVer(version: string): boolean {
  return SEMVER.test(version);
}

/** What names one running service: every control reply starts with it. */
export interface ServiceIdentity {
  readonly name: string;
  /** Unique per running instance of the service. */
  readonly id: string;
  readonly version: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** One endpoint as INFO describes it. */
export interface EndpointInfo {
  readonly name: string;
  readonly subject: string;
  /** The queue group its subscription joins; empty: every instance receives each request. */
  readonly queue_group: string;
  readonly metadata: Readonly<Record<string, string>> | null;
}

/** One endpoint's counters as STATS reports them; times in nanoseconds. */
export interface EndpointStats {
  readonly name: string;
  readonly subject: string;
  readonly queue_group: string;
  readonly num_requests: number;
  readonly num_errors: number;
  readonly last_error: string;
  readonly processing_time: number;
  readonly average_processing_time: number;
}

/** The reply to PING. */
export type PingResponse = ServiceIdentity & { readonly type: typeof SERVICE_RESPONSE_TYPE.PING };

/** The reply to INFO. */
export type InfoResponse = ServiceIdentity & {
  readonly type: typeof SERVICE_RESPONSE_TYPE.INFO;
  readonly description: string;
  readonly endpoints: readonly EndpointInfo[];
};

/** The reply to STATS; `started` is when the service started, ISO 8601 (RFC 3339) in UTC. */
export type StatsResponse = ServiceIdentity & {
  readonly type: typeof SERVICE_RESPONSE_TYPE.STATS;
  readonly started: string;
  readonly endpoints: readonly EndpointStats[];
};

/**
 * The control subjects one service instance answers on: for each verb, the call to every service, to every
 * instance of this name, and to this instance alone (`$SRV.PING`, `$SRV.PING.churnflow`, `$SRV.PING.churnflow.<id>`).
 */
export function controlSubjects(name: string, id: string): { verb: ServiceVerb; subject: string }[] {
  const verbs: ServiceVerb[] = ['PING', 'INFO', 'STATS'];
  return verbs.flatMap((verb) =>
    [
      `${SERVICE_API_PREFIX}.${verb}`,
      `${SERVICE_API_PREFIX}.${verb}.${name}`,
      `${SERVICE_API_PREFIX}.${verb}.${name}.${id}`,
    ].map((subject) => ({ verb, subject })),
  );
}
