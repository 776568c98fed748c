import { customerToken } from '../contract/subjects.js';

/** The output subject prefix the engine publishes under when `publish.prefix` is left at its default. */
export const DEFAULT_PREFIX = 'churnflow';

/** The request endpoints the engine serves, each on `<prefix>.<endpoint>`. */
export const REQUEST_ENDPOINTS = [
  'customers.get',
  'customers.erase',
  'segments.list',
  'segments.dryrun',
  'aggregates.get',
  'models.status',
  'models.rollback',
  'models.unpin',
] as const;

/** One of {@link REQUEST_ENDPOINTS}. */
export type RequestEndpoint = (typeof REQUEST_ENDPOINTS)[number];

/**
 * The subject of one customer's score updates (and erase tombstones): `<prefix>.scores.<customer token>`, with the
 * engine's own token rule (ids made of `[A-Za-z0-9_-]` are their own token; anything else is `%XX`-escaped UTF-8),
 * so any id — an e-mail address, one with dots or spaces, even `*` — maps to exactly the subject the engine
 * publishes on. Without an id: `<prefix>.scores.*`, every customer.
 */
export function scoreSubject(prefix: string, customerId?: string): string {
  // The wildcard is asked for by leaving the id out, never by passing '*': '*' is a valid customer id (%2A).
  return `${prefix}.scores.${customerId === undefined ? '*' : customerToken(customerId)}`;
}

/**
 * The subject of segment changes: `<prefix>.segments.<segment>.<kind>`; `'*'` for either part subscribes to every
 * segment or both kinds. Segment names are `[a-z0-9_]{1,64}`, already valid tokens.
 */
export function segmentSubject(
  prefix: string,
  segment: string,
  kind: 'entered' | 'exited' | '*' = '*',
): string {
  return `${prefix}.segments.${segment}.${kind}`;
}

/** The subject of transitions into a lifecycle stage: `<prefix>.stages.<stage>.entered` (`'*'`: every stage). */
export function stageSubject(prefix: string, stage: string): string {
  return `${prefix}.stages.${stage}.entered`;
}

/** The subject a request endpoint is served on: `<prefix>.<endpoint>`, e.g. `churnflow.customers.get`. */
export function requestSubject(prefix: string, endpoint: RequestEndpoint): string {
  return `${prefix}.${endpoint}`;
}
