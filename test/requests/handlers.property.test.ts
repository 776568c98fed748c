import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import type { MsgHdrs } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Subject } from 'rxjs';
import { loadConfig } from '../../src/config/index.js';
import { REQUEST_ERRORS } from '../../src/contract/codes.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { startEngine, type Engine } from '../../src/engine/index.js';
import type { InboundBatch } from '../../src/ingest/types.js';
import { createEngineMetrics, createModelMetrics } from '../../src/metrics/index.js';
import { fileSink } from '../../src/publish/index.js';
import {
  SERVICE_ERROR_CODE_HEADER,
  SERVICE_ERROR_HEADER,
  SERVICE_ERROR_HEADER_LIMIT,
  SERVICE_ERROR_STATUS,
  engineEndpoints,
  headerBytes,
  modelEndpoints,
  requestHandler,
  type Endpoint,
  type RequestMsg,
} from '../../src/requests/index.js';
import {
  createModelRegistry,
  loadChurnModel,
  selectBackend,
  type ModelRegistry,
} from '../../src/score/index.js';
import { loadSegmentRules } from '../../src/segment/index.js';
import { DEFAULT_MODEL_DIR } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const log = pino({ level: 'silent' });
const LIMITS = { maxBodyBytes: 4096, maxRuleLength: 256 };
const IDS = ['c-0', 'c-1', 'c-2', 'c-17', 'nobody'];
const RULES = [
  'revenue_lifetime > 12.0',
  'true',
  'churnRisk > 0.5 && purchases_30d >= 1.0',
  'revenue_9d > 1.0',
  '1 +',
];
const CONTENT_TYPES = [
  undefined,
  '',
  'application/json',
  'application/msgpack',
  'application/x-msgpack',
  'Application/JSON; charset=utf-8',
  'text/plain',
  '; charset=utf-8',
];
let engine: Engine;
let registry: ModelRegistry;
let endpoints: Endpoint[];
const source = new Subject<InboundBatch>();

beforeAll(async () => {
  await selectBackend(log);
  const now = Date.now();
  const first: InboundBatch = {
    messages: Array.from({ length: 30 }, (_, c) => {
      const e = { customerId: `c-${c}`, type: 'purchase', ts: now - 86_400_000, value: 10 + c };
      return {
        subject: eventSubject('events', e.customerId, e.type),
        data: packr.pack(e),
        contentType: undefined,
        streamSeq: c + 1,
        publishedAtMs: now,
      };
    }),
    ack: () => undefined,
  };
  engine = startEngine({
    // Passes of a second: some aggregates requests come before the first, some after.
    config: loadConfig({ env: {}, overrides: { 'aggregates.passMs': 1_000 } }),
    log,
    metrics: createEngineMetrics(new Registry()),
    source,
    sink: fileSink(join(mkdtempSync(join(tmpdir(), 'cf-prop-')), 'out.jsonl')),
    model: await loadChurnModel(DEFAULT_MODEL_DIR),
    segments: await loadSegmentRules('config/segments.json'),
  });
  // After startEngine: the engine has subscribed, and a Subject keeps nothing for late subscribers.
  source.next(first);
  const modelsDir = mkdtempSync(join(tmpdir(), 'cf-prop-models-'));
  for (const v of ['1', '2'])
    cpSync(`models/churn-default/${v}`, join(modelsDir, 'churn-default', v), { recursive: true });
  registry = await createModelRegistry({
    modelsDir,
    name: 'churn-default',
    log,
    metrics: createModelMetrics(new Registry()),
    watch: false,
  });
  endpoints = [...engineEndpoints(engine), ...modelEndpoints(registry)];
  const deadline = Date.now() + 10_000;
  while (engine.totals.events < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}, 60_000);

afterAll(async () => {
  source.complete();
  await engine?.stop();
  await registry?.close();
});

/** Hostile bodies: random bytes, any JSON value as JSON or MessagePack, deep nesting, oversized. */
const hostileBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
  fc.jsonValue({ maxDepth: 4 }).map((v) => packr.pack(v)),
  fc.integer({ min: 1, max: 3000 }).map((n) => new TextEncoder().encode('['.repeat(n) + ']'.repeat(n))),
  fc.integer({ min: 4000, max: 5000 }).map((n) => new Uint8Array(n).fill(0x7b)),
);

/** A request body and its Content-Type header (undefined: no header). */
interface RawRequest {
  readonly data: Uint8Array;
  readonly contentType: string | undefined;
}

/** A near-valid request (known and random ids, rules and samples, a `__proto__` key) in a stated encoding. */
const plausibleRequest: fc.Arbitrary<RawRequest> = fc
  .tuple(
    fc.record(
      {
        customerId: fc.oneof(fc.constantFrom(...IDS), fc.string({ maxLength: 200 }), fc.integer()),
        rule: fc.oneof(fc.constantFrom(...RULES), fc.string({ maxLength: 300 })),
        sample: fc.oneof(fc.integer({ min: -5, max: 120 }), fc.double(), fc.constant(1e9)),
        __proto__: fc.record({ customerId: fc.constantFrom(...IDS) }),
      },
      { requiredKeys: [] },
    ),
    fc.boolean(),
  )
  .chain(([value, asJson]): fc.Arbitrary<RawRequest> => {
    const data: Uint8Array = asJson ? new TextEncoder().encode(JSON.stringify(value)) : packr.pack(value);
    const headers: (string | undefined)[] = asJson
      ? [undefined, 'application/json', 'application/json; charset=utf-8']
      : ['application/msgpack', 'application/x-msgpack'];
    return fc.constantFrom(...headers).map((contentType) => ({ data, contentType }));
  });

/** A request's body and Content-Type: mostly plausible ones, else hostile bytes under any header. */
const requestArb: fc.Arbitrary<RawRequest> = fc.oneof(
  { weight: 3, arbitrary: plausibleRequest },
  {
    weight: 2,
    arbitrary: fc.record({ data: hostileBody, contentType: fc.constantFrom(...CONTENT_TYPES) }),
  },
);

/** A request as NATS delivers it, whose replies are recorded. */
function request(data: Uint8Array, contentType: string | undefined) {
  const replies: { data: Uint8Array; contentType: string; headers: MsgHdrs }[] = [];
  let headers: MsgHdrs | undefined;
  if (contentType !== undefined) {
    headers = natsHeaders();
    headers.set('Content-Type', contentType);
  }
  const msg: RequestMsg = {
    subject: 'churnflow.test',
    data,
    ...(headers === undefined ? {} : { headers }),
    respond(reply, opts) {
      replies.push({ data: reply, contentType: opts.headers.get('Content-Type'), headers: opts.headers });
      return true;
    },
  };
  return { msg, replies };
}

function decodeReply(reply: { data: Uint8Array; contentType: string }): Record<string, unknown> {
  const value: unknown =
    reply.contentType === 'application/msgpack'
      ? decodeMsgpack(reply.data)
      : (JSON.parse(new TextDecoder().decode(reply.data)) as unknown);
  expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
  return value as Record<string, unknown>;
}

describe('every request handler, under random bodies and Content-Types', () => {
  it('answers exactly once, in a decodable reply within max_payload: a result or a coded error', async () => {
    let refusals = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 1_000 }),
        requestArb,
        fc.constantFrom(1_048_576, 1_048_576, 2_048, 700),
        async (which, { data, contentType }, maxPayload) => {
          const endpoint = endpoints[which % endpoints.length] as Endpoint;
          const handle = requestHandler(endpoint, { log, limits: LIMITS, maxPayload: () => maxPayload });
          const { msg, replies } = request(data, contentType);
          await handle(msg); // never rejects: an escaping throw fails the property here
          expect(replies).toHaveLength(1);
          const reply = replies[0] as (typeof replies)[number];
          // The server counts headers and body together against max_payload.
          expect(reply.data.length + headerBytes(reply.headers)).toBeLessThanOrEqual(maxPayload);
          const declared = contentType?.toLowerCase() ?? '';
          if (declared.startsWith('application/msgpack') || declared.startsWith('application/x-msgpack')) {
            expect(reply.contentType).toBe('application/msgpack');
          } else {
            expect(reply.contentType).toBe('application/json');
          }
          const answer = decodeReply(reply);
          if ('error' in answer) {
            refusals++;
            expect(Object.keys(answer)).toEqual(['error']);
            const { code, message } = answer['error'] as { code: string; message: string };
            expect(Object.keys(REQUEST_ERRORS)).toContain(code);
            // No random input may make the engine itself fail.
            expect(code).not.toBe('internal');
            expect(typeof message).toBe('string');
            expect(message.length).toBeLessThan(1_200);
            // The micro protocol's error headers: the code's number and the message, bounded, on one line.
            const status = reply.headers.get(SERVICE_ERROR_CODE_HEADER);
            expect(status).toBe(String(SERVICE_ERROR_STATUS[code as keyof typeof SERVICE_ERROR_STATUS]));
            const description = reply.headers.get(SERVICE_ERROR_HEADER);
            expect(description.length).toBeGreaterThan(0);
            expect(description.length).toBeLessThanOrEqual(SERVICE_ERROR_HEADER_LIMIT);
            expect(description).not.toMatch(/[\r\n]/);
          } else {
            expect(reply.headers.has(SERVICE_ERROR_CODE_HEADER)).toBe(false);
          }
        },
      ),
      { numRuns: 5_000 },
    );
    expect(refusals).toBeGreaterThan(0);
  }, 240_000);

  it('never throws when the reply itself cannot be sent (connection closing), whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1_000 }), requestArb, async (which, { data, contentType: ct }) => {
        const endpoint = endpoints[which % endpoints.length] as Endpoint;
        let attempts = 0;
        const handle = requestHandler(endpoint, { log, limits: LIMITS });
        const { msg } = request(data, ct);
        await handle({
          ...msg,
          respond() {
            attempts++;
            throw new Error('connection closed');
          },
        });
        expect(attempts).toBe(1);
      }),
      { numRuns: 500 },
    );
  }, 120_000);
});
