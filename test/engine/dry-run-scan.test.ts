import { beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { DecodedEvent } from '../../src/decode/types.js';
import { createDryRunScan, DryRunError } from '../../src/engine/dry-run-scan.js';
import { createScoreChanges } from '../../src/publish/index.js';
import { loadChurnModel, selectBackend, type ChurnModel } from '../../src/score/index.js';
import { SegmentRulesError } from '../../src/segment/index.js';
import { createCustomerStore } from '../../src/state/index.js';
import type { CustomerStore } from '../../src/state/types.js';

/** The model with BG/NBD parameters, so the scan computes every variable a rule can read. */
const MODEL_DIR = 'models/churn-default/2';
const T0 = Date.UTC(2026, 0, 10, 12);
const list = (n: number): string => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`;
/** About 40 µs per customer: near the most expensive a rule may be (cost ~1000). */
const SLOW = `${list(160)}.exists_one(x, x == 1000) || churnRisk >= 0.0`;

let model: ChurnModel;
beforeAll(async () => {
  await selectBackend(pino({ level: 'silent' }));
  model = await loadChurnModel(MODEL_DIR);
});

/** A store of `n` customers (one purchase each, of 0..n-1) and an empty score memory. */
function customers(n: number): { store: CustomerStore; scan: ReturnType<typeof createDryRunScan> } {
  const store = createCustomerStore({});
  for (let from = 0; from < n; from += 10_000) {
    const events: DecodedEvent[] = [];
    for (let i = from; i < Math.min(n, from + 10_000); i++) {
      const ts = T0 - (i % 1000) * 60_000;
      events.push({
        event: { customerId: `c${i}`, type: 'purchase', ts, value: i },
        subject: `events.c${i}.purchase`,
        data: new Uint8Array(),
        streamSeq: i + 1,
        publishedAtMs: ts,
      });
    }
    store.apply(events);
  }
  const published = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
  return { store, scan: createDryRunScan(store, published) };
}

const H90 = { horizonDays: 90, annualDiscountRate: 0 };

describe('dry-run scan over the engine store', () => {
  it('answers over every customer, sample capped at 100 whatever is asked', async () => {
    const { scan } = customers(5_000);
    const res = await scan('revenue_lifetime >= 2500.0', 1e9, model, H90);
    expect([res.matches, res.evaluated, res.sample.length]).toEqual([2_500, 5_000, 100]);
    expect(res.sample[0]).toBe('c2500');
    await expect(scan('revenue_lifetime > 0.0', -1, model, H90)).rejects.toBeInstanceOf(SegmentRulesError);
    await expect(scan('revenue_lifetime > 0.0', 2.5, model, H90)).rejects.toMatchObject({ limit: 'sample' });
  });
  it('refuses a rule over the limits at once, before reading a customer', async () => {
    const { scan } = customers(10);
    const nested = `${list(100)}.all(x,${list(100)}.all(y,${list(100)}.all(z, x+y+z >= 0)))`;
    const t0 = performance.now();
    await expect(scan(nested, 10, model, H90)).rejects.toMatchObject({
      code: 'SEGMENTS_INVALID',
      limit: 'maxComprehensionNesting',
    });
    expect(performance.now() - t0).toBeLessThan(200);
  });
  it('yields to the event loop by time: a timer scheduled meanwhile runs within a bound', async () => {
    const { scan } = customers(40_000);
    let lateness = 0;
    let ticks = 0;
    let expected = performance.now() + 10;
    const timer = setInterval(() => {
      lateness = Math.max(lateness, performance.now() - expected);
      expected = performance.now() + 10;
      ticks++;
    }, 10);
    const t0 = performance.now();
    const res = await scan(SLOW, 10, model, H90, { sliceMs: 5 });
    const took = performance.now() - t0;
    clearInterval(timer);
    expect(res.evaluated).toBe(40_000);
    // Slices of 5 ms: a timer is late by one slice plus a little, never by the whole scan (~1-2 s).
    expect(took).toBeGreaterThan(300);
    expect(ticks).toBeGreaterThan(took / 40);
    expect(lateness).toBeLessThan(60);
  });
  it('stops at its timeout with DRY_RUN_TIMEOUT, saying how far it got', async () => {
    const { scan } = customers(40_000);
    const err = (await scan(SLOW, 10, model, H90, { timeoutMs: 150 }).catch(
      (e: unknown) => e,
    )) as DryRunError;
    expect(err).toBeInstanceOf(DryRunError);
    expect(err.code).toBe('DRY_RUN_TIMEOUT');
    expect(err.total).toBe(40_000);
    expect(err.evaluated).toBeGreaterThan(0);
    expect(err.evaluated).toBeLessThan(40_000);
  });
  it('is cancelled by its signal within one slice, and a queued one at once', async () => {
    const { scan } = customers(40_000);
    const stop = new AbortController();
    // Both outcomes are watched from the start: a rejection nobody handles yet is fatal under TF.js's handlers.
    const outcomes = Promise.allSettled([
      scan(SLOW, 10, model, H90, { signal: stop.signal }),
      scan('churnRisk >= 0.0', 10, model, H90, { signal: stop.signal }),
    ]);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    stop.abort();
    const [running, queued] = await outcomes;
    expect(performance.now() - t0).toBeLessThan(100);
    expect(running).toMatchObject({ status: 'rejected', reason: { code: 'DRY_RUN_CANCELLED' } });
    expect(queued).toMatchObject({ status: 'rejected', reason: { code: 'DRY_RUN_CANCELLED' } });
    expect((running as PromiseRejectedResult).reason).toBeInstanceOf(DryRunError);
    // The queue goes on: the next dry run runs.
    expect((await scan('churnRisk >= 0.0', 0, model, H90)).evaluated).toBe(40_000);
  });
  it('runs one dry run at a time, in call order', async () => {
    const { scan } = customers(20_000);
    const order: string[] = [];
    const a = scan(SLOW, 1, model, H90).then(() => order.push('a'));
    const b = scan('churnRisk >= 0.0', 1, model, H90).then(() => order.push('b'));
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
  });
});
