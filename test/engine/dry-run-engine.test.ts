import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/index.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { startEngine, type Engine } from '../../src/engine/index.js';
import type { InboundBatch } from '../../src/ingest/types.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import { fileSink } from '../../src/publish/index.js';
import { loadChurnModel, selectBackend, type ChurnModel } from '../../src/score/index.js';

/**
 * Dry runs through a running engine (in-process source, real store, model and sink): issue 8's reproductions
 * (a dry run froze the engine for 398 s, SIGTERM waited for it, `sample: 1e9` returned every id).
 */
const packr = new Packr({ useRecords: false });
const NOW = Date.now();
const list = (n: number): string => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`;
/** Near the most expensive rule the limits admit (~40 µs per customer). */
const SLOW = `${list(160)}.exists_one(x, x == 1000) || churnRisk >= 0.0`;

let model: ChurnModel;
let seq = 0;
beforeAll(async () => {
  await selectBackend(pino({ level: 'silent' }));
  model = await loadChurnModel('models/churn-default/2');
});

/** One batch of page views, one per customer `from..to-1`. */
function views(from: number, to: number): InboundBatch {
  const messages = [];
  for (let i = from; i < to; i++) {
    const e = { customerId: `c${i}`, type: 'page_view', ts: NOW - 60_000 + (i % 1000) };
    messages.push({
      subject: eventSubject('events', e.customerId, e.type),
      data: packr.pack(e),
      contentType: undefined,
      streamSeq: ++seq,
      publishedAtMs: e.ts,
    });
  }
  return { messages, ack: () => undefined };
}

let running: { engine: Engine; source: Subject<InboundBatch> } | undefined;
afterEach(async () => {
  await running?.engine.stop();
  running = undefined;
});

/** An engine holding `customers` customers, every one applied. */
async function engineWith(customers: number): Promise<{ engine: Engine; source: Subject<InboundBatch> }> {
  const source = new Subject<InboundBatch>();
  const engine = startEngine({
    config: loadConfig({ env: {}, overrides: { 'log.level': 'silent' } }),
    log: pino({ level: 'silent' }),
    metrics: createEngineMetrics(new Registry()),
    source,
    sink: fileSink(join(mkdtempSync(join(tmpdir(), 'cf-dryrun-')), 'out.jsonl')),
    model,
  });
  running = { engine, source };
  for (let i = 0; i < customers; i += 5_000) source.next(views(i, Math.min(customers, i + 5_000)));
  const deadline = Date.now() + 20_000;
  while (engine.totals.events < customers) {
    if (Date.now() > deadline) throw new Error('customers not applied');
    await new Promise((r) => setTimeout(r, 20));
  }
  return running;
}

describe('engine.dryRun', () => {
  it('lets events flow and timers fire while it runs over every customer', async () => {
    const { engine, source } = await engineWith(30_000);
    let lateness = 0;
    let expected = performance.now() + 10;
    const timer = setInterval(() => {
      lateness = Math.max(lateness, performance.now() - expected);
      expected = performance.now() + 10;
    }, 10);
    let appliedDuring = false;
    const started = performance.now();
    const dry = engine.dryRun(SLOW, 5).finally(() => {
      appliedDuring = engine.totals.events >= 31_000;
    });
    await new Promise((r) => setTimeout(r, 20));
    source.next(views(30_000, 31_000));
    const res = await dry;
    const tookMs = performance.now() - started;
    clearInterval(timer);
    expect(res.evaluated).toBeGreaterThanOrEqual(30_000);
    expect(appliedDuring).toBe(true);
    // A scan that did not yield would hold the loop for the whole run; relative to the run, so a loaded machine
    // (slower run, later timers alike) does not fail it.
    expect(lateness).toBeLessThan(Math.max(100, tookMs / 5));
  });
  it('is cancelled by engine.stop(), which does not wait for it', async () => {
    const { engine } = await engineWith(30_000);
    const outcome = engine.dryRun(SLOW, 5).then(
      () => 'finished',
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 30));
    const t0 = performance.now();
    await engine.stop();
    running = undefined;
    expect(await outcome).toMatchObject({ code: 'DRY_RUN_CANCELLED' });
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
  it('caps the sample at 100 ids, refuses the 398-second rule at once, runs the catastrophic regex in linear time', async () => {
    const { engine } = await engineWith(2_000);
    expect((await engine.dryRun('churnRisk >= 0.0', 1e9)).sample).toHaveLength(100);
    await expect(engine.dryRun('churnRisk >= 0.0', -5)).rejects.toMatchObject({ code: 'SEGMENTS_INVALID' });
    const t0 = performance.now();
    const nested = `${list(100)}.all(x,${list(100)}.all(y,${list(100)}.all(z, x+y+z >= 0)))`;
    await expect(engine.dryRun(nested, 10)).rejects.toMatchObject({
      code: 'SEGMENTS_INVALID',
      limit: 'maxComprehensionNesting',
    });
    const regex = await engine.dryRun(`"${'a'.repeat(30)}!".matches("^(a+)+$")`, 10);
    expect(regex).toMatchObject({ matches: 0, evaluated: 2_000 });
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
