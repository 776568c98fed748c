/**
 * GDPR erase purges the customer's dead letters: an engine on a real nats-server dead-letters bad events of several
 * customers (each on `<out>.dlq.<customer token>`), then `eraseCustomer` purges exactly one customer's. The
 * engine's own forgetting is stubbed here (test/e2e/erase.test.ts covers it through the request).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { customerToken, eventSubject } from '../../src/contract/subjects.js';
import { eraseCustomer, type EraseDeps } from '../../src/erase/index.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });

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

describe('eraseCustomer and dead letters', () => {
  it("purges the customer's dead letters and no one else's; a deleted dead-letter stream does not fail it", async () => {
    const config = testConfig(fx.server.url);
    const prefix = config.ingest.subjectPrefix;
    const out = config.publish.prefix;
    const dlqStream = config.publish.deadLetterStream;
    const gone = 'ann.erased@example.com';
    const kept = 'bob';
    const js = jetstream(fx.nc);
    const now = Date.now();
    {
      await using app = await startTestEngine(config);
      // Per customer: one valid event, two refused ones (a rating out of range, undecodable bytes).
      for (const id of [gone, kept]) {
        await js.publish(
          eventSubject(prefix, id, 'page_view'),
          packr.pack({ customerId: id, type: 'page_view', ts: now }),
        );
        await js.publish(
          eventSubject(prefix, id, 'nps'),
          packr.pack({ customerId: id, type: 'nps', ts: now, value: 11 }),
        );
        await js.publish(eventSubject(prefix, id, 'purchase'), Uint8Array.of(0xc1));
      }
      // And one that names nobody.
      await js.publish(`${prefix}.nobody`, Uint8Array.of(0xc1));
      const goneDlq = `${out}.dlq.${customerToken(gone)}`;
      await waitFor(
        async () => (await jsm.streams.info(dlqStream)).state.messages === 5,
        20_000,
        'five dead letters stored',
      );
      expect(await subjectCounts(dlqStream)).toEqual({
        [goneDlq]: 2,
        [`${out}.dlq.${kept}`]: 2,
        [`${out}.dlq.$unknown`]: 1,
      });
      expect(app.engine.state).toBe('running');
    }

    const logged: Array<Record<string, unknown>> = [];
    const log = pino(
      { level: 'info' },
      { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const deps: EraseDeps = {
      // The engine's forgetting is not what is tested here: it knows both customers, at seq 41.
      engine: { erase: (id) => Promise.resolve(id === gone || id === kept ? 41 : undefined) },
      nc: fx.nc,
      jsm,
      stream: config.nats.stream,
      eventPrefix: prefix,
      deadLetterStream: dlqStream,
      deadLetterSubjectBase: `${out}.dlq`,
      outPrefix: out,
      encode: (payload) => packr.pack(payload),
      contentType: 'application/msgpack',
      log,
    };
    const result = await eraseCustomer(deps, gone);
    // Every event of the customer is purged from the event stream, the refused ones too.
    expect(result).toMatchObject({ customerId: gone, erased: true, purgedEvents: 3, purgedDeadLetters: 2 });
    expect(await subjectCounts(dlqStream)).toEqual({ [`${out}.dlq.${kept}`]: 2, [`${out}.dlq.$unknown`]: 1 });
    expect(logged.at(-1)).toMatchObject({ purgedEvents: 3, purgedDeadLetters: 2 });

    // Without a dead-letter stream configured, dead letters are left alone.
    const { deadLetterStream: _s, deadLetterSubjectBase: _b, ...withoutDlq } = deps;
    expect(await eraseCustomer(withoutDlq, kept)).toMatchObject({ purgedEvents: 3, purgedDeadLetters: 0 });
    expect((await jsm.streams.info(dlqStream)).state.messages).toBe(3);

    // A deleted dead-letter stream: nothing to purge, the erase goes through and says so in the log.
    await jsm.streams.delete(dlqStream);
    expect(await eraseCustomer(deps, kept)).toMatchObject({ erased: true, purgedDeadLetters: 0 });
    expect(logged.some((l) => l['level'] === 40 && l['stream'] === dlqStream)).toBe(true);
  }, 60_000);
});
