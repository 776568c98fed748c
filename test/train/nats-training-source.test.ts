import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { encodeEvents, ensureStream } from '../../src/ingest/index.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';
import {
  natsTrainingSource,
  parseStreamBound,
  replayTrainingSet,
  simulatorTrainingSource,
} from '../../src/train/index.js';
import { UnsortedHistoryError } from '../../src/train/ordered-source.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

const START = Date.UTC(2025, 0, 1);
const DAYS = 60;
const OPTS = { cutoffDays: [15, 25], seed: 4 } as const;
const sim = createSimulator({ customers: 100, seed: 4, startMs: START });
const events = sim.eventsBetween(START, START + DAYS * DAY_MS);
const stream = uniqueName('TRAIN');
const prefix = stream.toLowerCase();
// The same history published customer by customer (each customer's events in time order): stream order is not
// event time.
const unordered = uniqueName('TRAINBYCUST');
const unorderedPrefix = unordered.toLowerCase();
let fx: NatsFixture;

beforeAll(async () => {
  fx = await natsFixture();
  await ensureStream(await jetstreamManager(fx.nc), stream, [`${prefix}.>`]);
  const messages = encodeEvents(events, prefix);
  const half = Math.floor(messages.length / 2);
  messages.forEach((m, i) => {
    if (i === half) {
      // One message that is not JSON although it says so: the decode stage refuses it.
      const h = headers();
      h.set('Content-Type', 'application/json');
      fx.nc.publish(`${prefix}.c-000001.purchase`, new TextEncoder().encode('{oops'), { headers: h });
    }
    fx.nc.publish(m.subject, m.data);
  });
  await ensureStream(await jetstreamManager(fx.nc), unordered, [`${unorderedPrefix}.>`]);
  const byCustomer = [...events].sort((a, b) =>
    a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0,
  );
  for (const m of encodeEvents(byCustomer, unorderedPrefix)) fx.nc.publish(m.subject, m.data);
  await fx.nc.flush();
}, 30_000);
afterAll(async () => {
  await fx?.[Symbol.asyncDispose]();
});

describe('natsTrainingSource', () => {
  it('replays the whole stream with an ordered consumer, decoded like the engine, to the same training set', async () => {
    const source = await natsTrainingSource({ nc: fx.nc, stream, subjectPrefix: prefix, batchSize: 1000 });
    const set = await replayTrainingSet(source, OPTS);
    expect(source.stats).toEqual({ records: events.length + 1, invalid: 1, byReason: { undecodable: 1 } });
    const direct = await replayTrainingSet(simulatorTrainingSource(sim, DAYS), OPTS);
    expect(set.rows).toBe(direct.rows);
    expect(set.rows).toBeGreaterThan(50);
    expect([...set.y]).toEqual([...direct.y]);
    expect(set.x).toEqual(direct.x);
  }, 20_000);

  it('replays a stream published out of event-time order sorted, to the same training set, and says so', async () => {
    const lines: string[] = [];
    const source = await natsTrainingSource({
      nc: fx.nc,
      stream: unordered,
      subjectPrefix: unorderedPrefix,
      batchSize: 1000,
      log: (l) => lines.push(l),
    });
    const set = await replayTrainingSet(source, OPTS);
    const direct = await replayTrainingSet(simulatorTrainingSource(sim, DAYS), OPTS);
    expect(set.rows).toBe(direct.rows);
    expect([...set.y]).toEqual([...direct.y]);
    expect(set.x).toEqual(direct.x);
    expect(set.events).toBe(events.length);
    expect(source.stats).toEqual({ records: events.length, invalid: 0, byReason: {} });
    expect(lines).toEqual([`input not in event-time order: ${events.length} events sorted by ts`]);
  }, 20_000);

  it('refuses an out-of-order range past the sort bound, naming the problem and what to do', async () => {
    const source = await natsTrainingSource({
      nc: fx.nc,
      stream: unordered,
      subjectPrefix: unorderedPrefix,
      maxSortEvents: 500,
    });
    const e = (await replayTrainingSet(source, OPTS).catch((x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(UnsortedHistoryError);
    expect(e.message).toContain(`stream ${unordered} first..last is not in event-time order`);
    expect(e.message).toContain('more than 500 valid events');
    expect(e.message).toContain('--from/--to');
  });

  it('reads only the requested range of sequences', async () => {
    const source = await natsTrainingSource({
      nc: fx.nc,
      stream,
      subjectPrefix: prefix,
      from: '11',
      to: '110',
    });
    await replayTrainingSet(source, OPTS);
    expect(source.stats.records).toBe(100);
  });

  it('ends at once on a range past the stream, and refuses a bound that is neither', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const source = await natsTrainingSource({ nc: fx.nc, stream, subjectPrefix: prefix, from: later });
    const set = await replayTrainingSet(source, OPTS);
    expect(source.stats.records).toBe(0);
    expect(set.rows).toBe(0);
    expect(parseStreamBound('42', 'from')).toEqual({ seq: 42 });
    expect(() => parseStreamBound('yesterday', 'from')).toThrow(RangeError);
  });
});
