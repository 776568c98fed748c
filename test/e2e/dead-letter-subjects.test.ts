/**
 * Dead letters are stored on their customer's subject, `<out prefix>.dlq.<customer token>` (the token of the event
 * subjects), or `<out prefix>.dlq.$unknown`, so an erase can purge them by subject; a dead-letter stream made for the
 * old plain `<out prefix>.dlq` is upgraded in place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { DeadLetterHeaders } from '../../src/contract/score-update.js';
import { customerToken, eventSubject } from '../../src/contract/subjects.js';
import { ensureDeadLetterStream } from '../../src/publish/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const utf8 = new TextEncoder();

let fx: NatsFixture;
let jsm: JetStreamManager;
beforeAll(async () => {
  fx = await natsFixture();
  jsm = await jetstreamManager(fx.nc);
});
afterAll(async () => fx[Symbol.asyncDispose]());

/** Messages per subject in a stream. */
async function subjectCounts(stream: string): Promise<Record<string, number>> {
  return (await jsm.streams.info(stream, { subjects_filter: '>' })).state.subjects ?? {};
}

describe('dead-letter subjects', () => {
  it('put each dead letter on <out>.dlq.<customer token>, or <out>.dlq.$unknown when it names no customer', async () => {
    const config = testConfig(fx.server.url);
    const prefix = config.ingest.subjectPrefix;
    const out = config.publish.prefix;
    await using app = await startTestEngine(config);
    const got: Msg[] = [];
    const sub = fx.nc.subscribe(`${out}.dlq.>`, { callback: (_e, m) => void got.push(m) });
    await fx.nc.flush();
    const js = jetstream(fx.nc);
    const now = Date.now();
    const escaped = 'zoë.o+dl@example.com';
    const escapedSubject = `${out}.dlq.${customerToken(escaped)}`;
    expect(customerToken(escaped)).toBe('zo%C3%AB%2Eo%2Bdl%40example%2Ecom');
    const json = natsHeaders();
    json.set('Content-Type', 'application/json');
    // [subject, payload, headers, the dead-letter subject expected]
    const sent: Array<[string, Uint8Array, ReturnType<typeof natsHeaders> | undefined, string]> = [
      // A rating out of range: the customer in the subject.
      [
        eventSubject(prefix, 'ann', 'nps'),
        packr.pack({ customerId: 'ann', type: 'nps', ts: now, value: 11 }),
        undefined,
        `${out}.dlq.ann`,
      ],
      // Undecodable bytes on a customer's subject; the id needs escaping, as in the event subject.
      [eventSubject(prefix, escaped, 'page_view'), Uint8Array.of(0xc1, 0xff), undefined, escapedSubject],
      // A well-formed event on a subject that breaks the subject rule: the payload names the customer.
      [
        `${prefix}.not.a.customer`,
        utf8.encode(JSON.stringify({ customerId: escaped, type: 'page_view', ts: now })),
        json,
        escapedSubject,
      ],
      // Undecodable bytes off the subject rule: nobody's.
      [`${prefix}.nobody`, Uint8Array.of(0xc1), undefined, `${out}.dlq.$unknown`],
      // A customer token that is not canonical (%41 is not how 'A' is written) and a payload that is no event.
      [`${prefix}.%41.page_view`, packr.pack([1, 2, 3]), undefined, `${out}.dlq.$unknown`],
    ];
    const seqs: number[] = [];
    for (const [subject, data, headers] of sent) {
      seqs.push((await js.publish(subject, data, headers === undefined ? {} : { headers })).seq);
    }
    await waitFor(() => got.length === sent.length, 20_000, 'dead letters');

    const bySeq = new Map(got.map((m) => [Number(m.headers?.get(DeadLetterHeaders.streamSeq)), m]));
    sent.forEach(([subject, , , dlqSubject], i) => {
      const m = bySeq.get(seqs[i]!);
      expect(m?.headers?.get(DeadLetterHeaders.subject), `dead letter of ${subject}`).toBe(subject);
      expect(m?.subject, `dead letter of ${subject}`).toBe(dlqSubject);
    });
    // Stored there too: the dead-letter stream captures <out>.dlq.>.
    expect(await subjectCounts(config.publish.deadLetterStream)).toEqual({
      [`${out}.dlq.ann`]: 1,
      [escapedSubject]: 2,
      [`${out}.dlq.$unknown`]: 2,
    });
    expect(app.engine.state).toBe('running');
    sub.unsubscribe();
  });

  it('upgrade a dead-letter stream made for the plain <out>.dlq in place, keeping what it holds', async () => {
    const out = uniqueName('out').toLowerCase();
    const stream = uniqueName('DLQ');
    await jsm.streams.add({ name: stream, subjects: [`${out}.dlq`], max_msgs: 1_000 });
    await jetstream(fx.nc).publish(`${out}.dlq`, utf8.encode('an old dead letter'));

    await ensureDeadLetterStream(jsm, stream, `${out}.dlq`);
    const info = await jsm.streams.info(stream);
    expect(info.config.subjects).toEqual([`${out}.dlq`, `${out}.dlq.>`]);
    // Its other settings and messages are left as they were.
    expect(info.config.max_msgs).toBe(1_000);
    expect(info.state.messages).toBe(1);
    await jetstream(fx.nc).publish(`${out}.dlq.ann`, utf8.encode('a new one'));
    expect(await subjectCounts(stream)).toEqual({ [`${out}.dlq`]: 1, [`${out}.dlq.ann`]: 1 });

    // Again: nothing to add. A stream whose own wildcard covers both is left alone.
    await ensureDeadLetterStream(jsm, stream, `${out}.dlq`);
    expect((await jsm.streams.info(stream)).config.subjects).toEqual([`${out}.dlq`, `${out}.dlq.>`]);
    const wide = uniqueName('DLQ');
    const wideOut = uniqueName('out').toLowerCase();
    await jsm.streams.add({ name: wide, subjects: [`${wideOut}.>`] });
    await ensureDeadLetterStream(jsm, wide, `${wideOut}.dlq`);
    expect((await jsm.streams.info(wide)).config.subjects).toEqual([`${wideOut}.>`]);

    // A fresh one captures both from the start.
    const fresh = uniqueName('DLQ');
    await ensureDeadLetterStream(jsm, fresh, `${out}.fresh.dlq`);
    expect((await jsm.streams.info(fresh)).config.subjects).toEqual([
      `${out}.fresh.dlq`,
      `${out}.fresh.dlq.>`,
    ]);
    for (const s of [stream, wide, fresh]) await jsm.streams.delete(s);
  });
});
