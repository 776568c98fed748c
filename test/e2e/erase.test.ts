import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { customerToken, eventSubject } from '../../src/contract/subjects.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
let fx: NatsFixture;
beforeAll(async () => (fx = await natsFixture()));
afterAll(async () => fx[Symbol.asyncDispose]());

async function request(subject: string, body: unknown): Promise<Record<string, unknown>> {
  const reply = await fx.nc.request(subject, JSON.stringify(body), { timeout: 10_000 });
  return JSON.parse(new TextDecoder().decode(reply.data)) as Record<string, unknown>;
}

describe('GDPR erase', () => {
  it('removes the customer from state, stream and snapshots, publishes a tombstone, and a restart does not bring it back', async () => {
    const config = testConfig(fx.server.url, { 'snapshot.bucket': uniqueName('snaps').toLowerCase() });
    const prefix = config.ingest.subjectPrefix;
    const out = config.publish.prefix;
    const gone = 'ann.erased@example.com';
    const kept = 'bob';
    let app = await startTestEngine(config);
    try {
      const js = jetstream(fx.nc);
      const now = Date.now();
      for (const [id, type, ts] of [
        [gone, 'purchase', now - 3_000],
        [gone, 'page_view', now - 2_000],
        [kept, 'page_view', now - 1_000],
        [gone, 'nps', now - 500],
      ] as const) {
        const e = {
          customerId: id,
          type,
          ts,
          ...(type === 'purchase' ? { value: 20 } : type === 'nps' ? { value: 9 } : {}),
        };
        await js.publish(eventSubject(prefix, id, type), packr.pack(e));
      }
      // And one refused (nps 0..10): its dead letter names the customer and goes with it.
      await js.publish(
        eventSubject(prefix, gone, 'nps'),
        packr.pack({ customerId: gone, type: 'nps', ts: now - 400, value: 99 }),
      );
      await waitFor(
        () => app.engine.totals.events === 4 && app.engine.totals.deadLetters === 1,
        10_000,
        'events applied',
      );
      await waitFor(
        async () => (await request(`${out}.customers.get`, { customerId: gone }))['found'] === true,
      );
      const updates: Record<string, unknown>[] = [];
      const sub = fx.nc.subscribe(`${out}.scores.${customerToken(gone)}`, {
        callback: (_e, m) => void updates.push(packr.unpack(m.data) as Record<string, unknown>),
      });
      await fx.nc.flush();
      const lastSeq = (await request(`${out}.customers.get`, { customerId: gone }))['seq'] as number;

      const result = await request(`${out}.customers.erase`, { customerId: gone });
      expect(result).toEqual({
        customerId: gone,
        erased: true,
        purgedEvents: 4,
        purgedDeadLetters: 1,
        snapshotsRewritten: true,
      });
      await waitFor(() => updates.some((u) => u['erased'] === true), 5_000, 'tombstone');
      expect(updates.find((u) => u['erased'] === true)).toMatchObject({
        customerId: gone,
        erased: true,
        seq: lastSeq + 1,
      });
      expect(await request(`${out}.customers.get`, { customerId: gone })).toMatchObject({
        error: { code: 'not_found' },
      });
      expect(await request(`${out}.customers.get`, { customerId: kept })).toMatchObject({ found: true });
      // Nothing of it left in the stream; an unknown customer is not_found.
      const jsm = await jetstreamManager(fx.nc);
      const info = await jsm.streams.info(config.nats.stream, { subjects_filter: '>' });
      expect(Object.keys(info.state.subjects ?? {}).some((s) => s.includes(customerToken(gone)))).toBe(false);
      const dlq = await jsm.streams.info(config.publish.deadLetterStream, { subjects_filter: '>' });
      expect(Object.keys(dlq.state.subjects ?? {}).some((s) => s.includes(customerToken(gone)))).toBe(false);
      expect(await request(`${out}.customers.erase`, { customerId: 'nobody' })).toMatchObject({
        error: { code: 'not_found' },
      });
      sub.unsubscribe();

      // A restart restores the rewritten snapshot (the only one left): the customer stays gone.
      await app.stop();
      app = await startTestEngine(config);
      await waitFor(
        async () => (await request(`${out}.customers.get`, { customerId: kept }))['found'] === true,
      );
      expect(await request(`${out}.customers.get`, { customerId: gone })).toMatchObject({
        error: { code: 'not_found' },
      });
      expect(app.engine.engines()[0]!.store.slotOf(gone)).toBeUndefined();
    } finally {
      await app.stop();
    }
  }, 60_000);
});
