import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import type { Static, TSchema } from '@sinclair/typebox';
import { contentTypeOf, decodePayload, encodePayload, type Encoding } from './codec.js';
import { ChurnflowRequestError, type ClientErrorCode } from './errors.js';
import {
  AggregatesSchema,
  CustomerProfileSchema,
  DryRunResultSchema,
  EraseResultSchema,
  ModelStatusSchema,
  RollbackResultSchema,
  SegmentListSchema,
  UnpinResultSchema,
  type Aggregates,
  type CustomerProfile,
  type DryRunResult,
  type EraseResult,
  type ModelStatus,
  type RollbackResult,
  type SegmentSummary,
  type UnpinResult,
} from './responses.js';
import { DEFAULT_PREFIX, requestSubject, type RequestEndpoint } from './subjects.js';
import { lazyChecker, type Checker } from './validate.js';

/** Options of every request helper. */
export interface RequestOptions {
  /** The engine's `publish.prefix`. @default 'churnflow' */
  readonly prefix?: string;
  /** How the request is encoded; the engine answers in the same encoding. @default 'msgpack' */
  readonly encoding?: Encoding;
  /** How long to wait for the reply, ms. @default 10_000 */
  readonly timeoutMs?: number;
}

function errorOf(value: unknown): { code: string; message: string } | undefined {
  if (typeof value !== 'object' || value === null || !('error' in value)) return undefined;
  const error = value.error;
  if (typeof error !== 'object' || error === null) return undefined;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const message = 'message' in error && typeof error.message === 'string' ? error.message : '';
  return code === undefined ? undefined : { code, message };
}

/**
 * Throws the reply's error, if it is one: a coded body `{ error: { code, message } }` first (its code is the
 * stable one), else the NATS service error headers (`Nats-Service-Error-Code` / `Nats-Service-Error`).
 */
function throwIfError(msg: Msg, value: unknown, subject: string): void {
  const header = msg.headers?.get('Nats-Service-Error-Code') ?? '';
  const serviceCode = header === '' ? undefined : Number(header);
  const body = errorOf(value);
  if (body !== undefined) {
    // A code from a newer engine than this client knows is passed on as it is, not hidden behind another.
    throw new ChurnflowRequestError(body.code as ClientErrorCode, body.message, subject, serviceCode);
  }
  if (serviceCode !== undefined) {
    const message = msg.headers?.get('Nats-Service-Error') ?? '';
    throw new ChurnflowRequestError('service_error', message, subject, serviceCode);
  }
}

/**
 * The reply as JSON would carry it: NaN and ±Infinity become null (JSON.stringify's rule), so a MessagePack reply
 * reads the same as a JSON one (aggregates' retentionRate is NaN when nobody was a customer at the period start).
 */
function asJsonWould(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(asJsonWould);
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = asJsonWould(v);
  }
  return value;
}

/** Sends one request and returns its reply, checked against `checker`; throws a ChurnflowRequestError. */
async function call<T extends TSchema>(
  nc: NatsConnection,
  endpoint: RequestEndpoint,
  body: unknown,
  checker: Checker<T>,
  opts: RequestOptions,
): Promise<Static<T>> {
  const encoding = opts.encoding ?? 'msgpack';
  const subject = requestSubject(opts.prefix ?? DEFAULT_PREFIX, endpoint);
  const h = natsHeaders();
  h.set('Content-Type', contentTypeOf(encoding));
  const data = body === undefined ? new Uint8Array(0) : encodePayload(body, encoding);
  const msg = await nc.request(subject, data, { timeout: opts.timeoutMs ?? 10_000, headers: h });
  const decoded = decodePayload(msg.data, msg.headers?.get('Content-Type') || undefined);
  if (!decoded.ok) throw new ChurnflowRequestError('invalid_reply', decoded.detail, subject);
  throwIfError(msg, decoded.value, subject);
  const value = decoded.encoding === 'json' ? decoded.value : asJsonWould(decoded.value);
  if (!checker.check(value))
    throw new ChurnflowRequestError('invalid_reply', checker.explain(value), subject);
  return value;
}

const profile = lazyChecker(CustomerProfileSchema);
const segmentList = lazyChecker(SegmentListSchema);
const dryRun = lazyChecker(DryRunResultSchema);
const aggregates = lazyChecker(AggregatesSchema);
const modelStatusCheck = lazyChecker(ModelStatusSchema);
const erase = lazyChecker(EraseResultSchema);
const rollback = lazyChecker(RollbackResultSchema);
const unpin = lazyChecker(UnpinResultSchema);

/** `customers.get`: the customer's profile; throws `not_found` for an unknown customer. */
export function getCustomer(
  nc: NatsConnection,
  customerId: string,
  opts: RequestOptions = {},
): Promise<CustomerProfile> {
  return call(nc, 'customers.get', { customerId }, profile, opts);
}

/** `segments.list`: every segment with its rules and current size. */
export async function listSegments(nc: NatsConnection, opts: RequestOptions = {}): Promise<SegmentSummary[]> {
  return (await call(nc, 'segments.list', undefined, segmentList, opts)).segments;
}

/**
 * `segments.dryrun`: how many customers a rule (the segment rule language) matches now, with up to `sample`
 * (0..100, engine default 10) of their ids; throws `rule_refused` for a rule that does not compile.
 */
export function dryRunSegment(
  nc: NatsConnection,
  rule: string,
  opts: RequestOptions & { readonly sample?: number } = {},
): Promise<DryRunResult> {
  const body = opts.sample === undefined ? { rule } : { rule, sample: opts.sample };
  return call(nc, 'segments.dryrun', body, dryRun, opts);
}

/** `aggregates.get`: population figures; throws `not_ready` before the engine's first full pass. */
export function getAggregates(nc: NatsConnection, opts: RequestOptions = {}): Promise<Aggregates> {
  return call(nc, 'aggregates.get', undefined, aggregates, opts);
}

/** `models.status`: the champion model's current, previous, pinned and refused versions. */
export function modelStatus(nc: NatsConnection, opts: RequestOptions = {}): Promise<ModelStatus> {
  return call(nc, 'models.status', undefined, modelStatusCheck, opts);
}

/**
 * `customers.erase` (GDPR; needs the admin permission set): forgets the customer and purges its events; throws
 * `not_found` for an unknown customer and `erase_failed` when a purge failed (repeat it).
 */
export function eraseCustomer(
  nc: NatsConnection,
  customerId: string,
  opts: RequestOptions = {},
): Promise<EraseResult> {
  return call(nc, 'customers.erase', { customerId }, erase, opts);
}

/**
 * `models.rollback` (admin): returns to the previous admitted model version and pins it; throws
 * `rollback_refused` when there is none.
 */
export function rollbackModel(nc: NatsConnection, opts: RequestOptions = {}): Promise<RollbackResult> {
  return call(nc, 'models.rollback', undefined, rollback, opts);
}

/** `models.unpin` (admin): leaves a rollback's pin and follows the newest admitted version again. */
export function unpinModel(nc: NatsConnection, opts: RequestOptions = {}): Promise<UnpinResult> {
  return call(nc, 'models.unpin', undefined, unpin, opts);
}
