import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CustomerEvent } from '../../src/contract/event.js';
import type { DecodedEvent } from '../../src/decode/types.js';
import { writeEventFile } from '../../src/ingest/event-file.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';
import { EventTimeOrder, EventTimeSort } from '../../src/train/event-time-sort.js';
import { UnsortedHistoryError } from '../../src/train/ordered-source.js';
import { fileTrainingSource } from '../../src/train/training-source.js';
import { replayTrainingSet } from '../../src/train/replay-training-set.js';
import type { TrainingSet } from '../../src/train/training-set.js';

const START = Date.UTC(2025, 0, 1);
/** The refusal's recipe needs jq (and POSIX sort, cut); without it that one test is reported skipped. */
const hasJq = (() => {
  try {
    execFileSync('jq', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'churnflow-train-order-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The events grouped by customer, each customer's in time order: how a per-customer export comes out. */
function byCustomer(events: readonly CustomerEvent[]): CustomerEvent[] {
  // Array sort is stable: each customer's events keep their time order.
  return [...events].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
}

async function file(name: string, events: readonly CustomerEvent[], extra = ''): Promise<string> {
  const p = path.join(dir, name);
  await writeEventFile(p, events);
  if (extra !== '') await appendFile(p, extra);
  return p;
}

/** The rows of a training set as comparable values: (customer, cut-off, label, features). */
function rowsOf(set: TrainingSet): unknown[] {
  return Array.from({ length: set.rows }, (_, r) => [
    set.customerIds[set.customer[r]!],
    set.cutoffMs[r],
    set.y[r],
    Array.from(set.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)),
  ]);
}

describe('file training source: event-time order', () => {
  const sim = createSimulator({ customers: 200, seed: 11, startMs: START });
  const events = sim.eventsBetween(START, START + 120 * DAY_MS);
  const OPTS = { cutoffEveryDays: 20, warmupDays: 30, seed: 11 } as const;

  it('a file in customer order trains to the same rows as the same events in time order, and says it sorted', async () => {
    const sorted = await replayTrainingSet(fileTrainingSource(await file('sorted.jsonl', events)), OPTS);
    const lines: string[] = [];
    const source = fileTrainingSource(await file('by-customer.jsonl', byCustomer(events)), {
      log: (l) => lines.push(l),
    });
    const set = await replayTrainingSet(source, OPTS);
    expect(sorted.rows).toBeGreaterThan(300);
    expect(rowsOf(set)).toEqual(rowsOf(sorted));
    expect(set.window).toEqual(sorted.window);
    expect(set.events).toBe(events.length);
    expect(set.refused).toBe(0);
    expect(lines).toEqual([`input not in event-time order: ${events.length} events sorted by ts`]);
  });

  it('an ordered file streams without sorting, whatever the sort bound', async () => {
    const lines: string[] = [];
    const source = fileTrainingSource(await file('in-order.jsonl', events), {
      maxSortEvents: 1,
      log: (l) => lines.push(l),
    });
    const set = await replayTrainingSet(source, OPTS);
    expect(lines).toEqual([]);
    expect(set.events).toBe(events.length);
  });

  it('keeps every event of a customer-ordered history longer than the store horizon (none refused too_old)', async () => {
    const long = createSimulator({ customers: 12, seed: 5, startMs: START });
    const history = long.eventsBetween(START, START + 480 * DAY_MS);
    const source = fileTrainingSource(await file('long.jsonl', byCustomer(history)));
    const set = await replayTrainingSet(source, { cutoffEveryDays: 60, warmupDays: 60 });
    expect(set.events).toBe(history.length);
    expect(set.refused).toBe(0);
  });

  it('counts each invalid record once by reason, though the file is read twice to sort it', async () => {
    const junk =
      '{"customerId": "c-000001", "type": "purch\n' +
      '{"customerId":"c-000002","type":"nps","ts":1,"value":42}\n';
    const source = fileTrainingSource(await file('junk.jsonl', byCustomer(events), junk));
    const set = await replayTrainingSet(source, OPTS);
    expect(source.stats).toEqual({
      records: events.length + 2,
      invalid: 2,
      byReason: { undecodable: 1, out_of_range: 1 },
    });
    expect(set.events).toBe(events.length);
  });

  it('an ordered file whose only step back is a refused record is not sorted, nor refused past the bound', async () => {
    // A record from the far future (refused by decode) then the rest: the undecoded times step back, the
    // valid events do not.
    const future = { customerId: 'c-000003', type: 'page_view', ts: Date.now() + 365 * DAY_MS };
    const half = Math.floor(events.length / 2);
    const p = await file('future.jsonl', events.slice(0, half), JSON.stringify(future) + '\n');
    await appendFile(
      p,
      events
        .slice(half)
        .map((e) => JSON.stringify(e) + '\n')
        .join(''),
    );
    for (const maxSortEvents of [undefined, 100]) {
      const lines: string[] = [];
      const source = fileTrainingSource(p, { maxSortEvents, log: (l) => lines.push(l) });
      const set = await replayTrainingSet(source, OPTS);
      expect(lines).toEqual([]);
      expect(set.events).toBe(events.length);
      expect(source.stats).toEqual({
        records: events.length + 1,
        invalid: 1,
        byReason: { too_far_in_future: 1 },
      });
    }
  });

  it('refuses an unordered file past the sort bound, naming the problem and the fix, before replaying anything', async () => {
    const p = await file('too-many.jsonl', byCustomer(events));
    const source = fileTrainingSource(p, { maxSortEvents: 1000 });
    let replayed = 0;
    const run = replayTrainingSet(source, OPTS, (_d, _t, n) => (replayed = n));
    await expect(run).rejects.toBeInstanceOf(UnsortedHistoryError);
    const e = (await run.catch((x: unknown) => x)) as UnsortedHistoryError;
    expect(e.message).toContain(`${p} is not in event-time order and holds more than 1000 valid events`);
    expect(e.message).toContain('--max-sort-events');
    expect(e.message).toContain(
      `LC_ALL=C sort -s -n -k1,1 | cut -f2- > ${path.join(dir, 'too-many.sorted.jsonl')}`,
    );
    expect(e.limit).toBe(1000);
    expect(replayed).toBe(0);
  });

  it.skipIf(!hasJq)(
    "the refusal's sort command (jq, sort, cut) sorts the file, keeping refused lines to count",
    async () => {
      const junk = '{"customerId": "c-000001", "type": "purch\n';
      // A name the shell must be told is one word.
      const p = await file("it's to sort.jsonl", byCustomer(events), junk);
      const e = (await replayTrainingSet(fileTrainingSource(p, { maxSortEvents: 10 }), OPTS).catch(
        (x: unknown) => x,
      )) as Error;
      const command = /Sort it by ts first: (.*), or raise --max-sort-events$/.exec(e.message)?.[1];
      expect(command).toBeDefined();
      execFileSync('sh', ['-c', command!]);
      const lines: string[] = [];
      const source = fileTrainingSource(path.join(dir, "it's to sort.sorted.jsonl"), {
        log: (l) => lines.push(l),
      });
      const set = await replayTrainingSet(source, OPTS);
      expect(lines).toEqual([]);
      expect(set.events).toBe(events.length);
      expect(source.stats.byReason).toEqual({ undecodable: 1 });
    },
  );

  it('refuses an unordered msgpack file past the bound without a JSONL recipe', async () => {
    const p = await file('too-many.msgpack', byCustomer(events));
    const e = (await replayTrainingSet(fileTrainingSource(p, { maxSortEvents: 10 }), OPTS).catch(
      (x: unknown) => x,
    )) as Error;
    expect(e).toBeInstanceOf(UnsortedHistoryError);
    expect(e.message).toContain('not in event-time order');
    expect(e.message).not.toContain('jq');
  });
});

describe('EventTimeSort', () => {
  const ev = (customerId: string, ts: number): DecodedEvent => ({
    event: { customerId, type: 'page_view', ts },
    subject: 'events.x.page_view',
    data: new Uint8Array(1),
    streamSeq: 99,
    publishedAtMs: 0,
  });

  it('sorts by ts, ties in read order, renumbering sequences so the store sees no redelivery', () => {
    const hold = new EventTimeSort();
    hold.push([ev('a', 30), ev('b', 10), ev('c', 30)]);
    hold.push([ev('d', 10), ev('e', 20)]);
    expect(hold.size).toBe(5);
    const out = [...hold.sorted(2)];
    expect(out.map((b) => b.length)).toEqual([2, 2, 1]);
    const flat = out.flat();
    expect(flat.map((d) => d.event.customerId)).toEqual(['b', 'd', 'e', 'a', 'c']);
    expect(flat.map((d) => d.streamSeq)).toEqual([1, 2, 3, 4, 5]);
    expect([...new EventTimeSort().sorted(4)]).toEqual([]);
  });

  it('finds the first step backwards in event time, across batches; bare times skip NaN', () => {
    const order = new EventTimeOrder();
    expect(order.accept([ev('a', 10), ev('b', 10)])).toBe(true);
    expect(order.accept([ev('a', 20)])).toBe(true);
    expect(order.accept([ev('a', 19)])).toBe(false);
    const times = new EventTimeOrder();
    expect(times.acceptTimes([5, NaN, 7])).toBe(true);
    expect(times.acceptTimes([NaN, 7, 8])).toBe(true);
    expect(times.acceptTimes([6])).toBe(false);
  });
});
