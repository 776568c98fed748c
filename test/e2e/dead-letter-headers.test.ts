import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import { DeadLetterHeaders } from '../../src/contract/score-update.js';
import type { Rejection } from '../../src/decode/types.js';
import { natsSink } from '../../src/publish/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const utf8 = new TextEncoder();

let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => fx[Symbol.asyncDispose]());

describe('dead letters on NATS keep what a consumer needs to read the original', () => {
  it('copy the original Content-Type (none when there was none) and carry Nats-Msg-Id <subject>:<seq>', async () => {
    const config = testConfig(fx.server.url);
    await using app = await startTestEngine(config);
    const dlq: Msg[] = [];
    const sub = fx.nc.subscribe(`${config.publish.prefix}.dlq.>`, {
      callback: (_err, m) => void dlq.push(m),
    });
    const js = jetstream(fx.nc);
    const prefix = config.ingest.subjectPrefix;
    const now = Date.now();
    const withType = (contentType: string | undefined) => {
      if (contentType === undefined) return {};
      const h = natsHeaders();
      h.set('Content-Type', contentType);
      return { headers: h };
    };
    // [subject, bytes, Content-Type sent, reason expected]
    const sent: Array<[string, Uint8Array, string | undefined, string]> = [
      [
        eventSubject(prefix, 'ann', 'purchase'),
        // Finite once parsed, but beyond MAX_EVENT_VALUE.amount.
        utf8.encode(`{"customerId":"ann","type":"purchase","ts":${now},"value":1e39}`),
        'application/json',
        'out_of_range',
      ],
      [
        eventSubject(prefix, 'bob', 'page_view'),
        utf8.encode('{"customerId":'),
        'application/json',
        'undecodable',
      ],
      [
        eventSubject(prefix, 'cy', 'page_view'),
        packr.pack({ customerId: 'cy', type: 'page_view' }),
        undefined,
        'missing_field',
      ],
      [
        eventSubject(prefix, 'di', 'nps'),
        packr.pack({ customerId: 'di', type: 'nps', ts: now, value: 11 }),
        'application/msgpack',
        'out_of_range',
      ],
      [
        eventSubject(prefix, 'ed', 'page_view'),
        utf8.encode('customer ed'),
        'text/plain',
        'unsupported_content_type',
      ],
    ];
    const seqs: number[] = [];
    for (const [subject, data, contentType] of sent) {
      seqs.push((await js.publish(subject, data, withType(contentType))).seq);
    }
    await waitFor(() => dlq.length === sent.length, 20_000, 'dead letters');

    const bySeq = new Map(dlq.map((m) => [Number(m.headers?.get(DeadLetterHeaders.streamSeq)), m]));
    sent.forEach(([subject, data, contentType, reason], i) => {
      const m = bySeq.get(seqs[i]!);
      expect(m, `dead letter of ${subject}`).toBeDefined();
      expect(m!.headers?.get(DeadLetterHeaders.reason)).toBe(reason);
      expect(m!.headers?.get(DeadLetterHeaders.subject)).toBe(subject);
      // On the dead-letter subject of the customer in the original's subject (`<prefix>.<customer>.<type>`).
      expect(m!.subject).toBe(`${config.publish.prefix}.dlq.${subject.split('.').at(-2)}`);
      expect(m!.headers?.has(DeadLetterHeaders.contentType)).toBe(contentType !== undefined);
      if (contentType !== undefined) expect(m!.headers?.get(DeadLetterHeaders.contentType)).toBe(contentType);
      expect(m!.headers?.get('Nats-Msg-Id')).toBe(`${subject}:${seqs[i]}`);
      expect(Array.from(m!.data)).toEqual(Array.from(data));
    });
    // Read the JSON dead letter as its consumer would: by its Content-Type.
    const json = bySeq.get(seqs[0]!)!;
    expect(json.headers?.get('Content-Type')).toBe('application/json');
    expect(JSON.parse(new TextDecoder().decode(json.data))).toMatchObject({ type: 'purchase', value: 1e39 });
    expect(app.engine.state).toBe('running');
    sub.unsubscribe();
  });

  it('are stored once when a batch is dead-lettered again (redelivery or retry)', async () => {
    const jsm = await jetstreamManager(fx.nc);
    const prefix = uniqueName('out').toLowerCase();
    const stream = uniqueName('DLQ');
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.dlq.>`] });
    const sink = natsSink({ nc: fx.nc, js: jetstream(fx.nc), prefix, encoding: 'msgpack' });
    const rejection = (streamSeq: number, contentType?: string): Rejection => ({
      kind: 'rejected',
      reason: 'undecodable',
      detail: 'payload: not valid JSON',
      subject: 'events.c1.page_view',
      data: utf8.encode(`{"seq":${streamSeq}`),
      streamSeq,
      contentType,
    });
    const batch = [rejection(7, 'application/json'), rejection(8)];

    await sink.deadLetter(batch);
    await sink.deadLetter(batch);
    // A retry after a partial failure: one already stored, one new.
    await sink.deadLetter([batch[1]!, rejection(9, 'application/json; charset=utf-8')]);

    expect((await jsm.streams.info(stream)).state.messages).toBe(3);
    const stored = await Promise.all([1, 2, 3].map((seq) => jsm.streams.getMessage(stream, { seq })));
    expect(stored.map((m) => m?.header.get(DeadLetterHeaders.streamSeq))).toEqual(['7', '8', '9']);
    expect(stored.map((m) => m?.header.get('Content-Type') ?? '')).toEqual([
      'application/json',
      '',
      'application/json; charset=utf-8',
    ]);
    expect(stored.map((m) => m?.header.get('Nats-Msg-Id'))).toEqual([
      'events.c1.page_view:7',
      'events.c1.page_view:8',
      'events.c1.page_view:9',
    ]);
    await jsm.streams.delete(stream);
  });
});
