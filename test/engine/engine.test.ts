import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { of } from 'rxjs';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/index.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { startEngine } from '../../src/engine/index.js';
import type { InboundBatch } from '../../src/ingest/types.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import { fileSink } from '../../src/publish/index.js';
import { loadChurnModel, selectBackend } from '../../src/score/index.js';
import { DEFAULT_MODEL_DIR } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });

function batchOf(
  events: Array<{ customerId: string; type: string; ts: number; value?: number }>,
): InboundBatch {
  let acks = 0;
  return {
    messages: events.map((e, i) => ({
      subject: eventSubject('events', e.customerId, e.type),
      data: packr.pack(e),
      contentType: undefined,
      streamSeq: i + 1,
      publishedAtMs: e.ts,
    })),
    ack: () => void acks++,
  };
}

describe('startEngine', () => {
  it('ends by itself when a finite source ends, after scoring and publishing everything', async () => {
    const log = pino({ level: 'silent' });
    await selectBackend(log);
    const model = await loadChurnModel(DEFAULT_MODEL_DIR);
    const out = join(mkdtempSync(join(tmpdir(), 'cf-engine-')), 'scores.jsonl');
    const sink = fileSink(out);
    const now = Date.now();
    const source = of(
      batchOf([
        { customerId: 'a', type: 'purchase', ts: now - 1000, value: 20 },
        { customerId: 'b', type: 'page_view', ts: now - 500 },
        { customerId: 'a', type: 'nps', ts: now - 10, value: 42 },
      ]),
    );
    const config = loadConfig({ env: {} });
    const engine = startEngine({
      config,
      log,
      metrics: createEngineMetrics(new Registry()),
      source,
      sink,
      model,
    });
    await engine.done;
    await sink.close();
    expect(engine.state).toBe('stopped');
    expect(engine.totals).toMatchObject({ events: 2, deadLetters: 1 });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { customerId: string }).customerId).sort()).toEqual(['a', 'b']);
    const dead = readFileSync(`${out}.dlq.jsonl`, 'utf8').trim().split('\n');
    expect(dead.map((l) => (JSON.parse(l) as { reason: string }).reason)).toEqual(['out_of_range']);
    model.dispose();
  });
});

describe('counting', () => {
  it('counts a redelivered message as a duplicate, never again as an event in', async () => {
    const log = pino({ level: 'silent' });
    await selectBackend(log);
    const model = await loadChurnModel(DEFAULT_MODEL_DIR);
    const registry = new Registry();
    const now = Date.now();
    const first = batchOf([
      { customerId: 'a', type: 'purchase', ts: now - 1000, value: 20 },
      { customerId: 'b', type: 'page_view', ts: now - 500 },
    ]);
    // The same two messages again (same stream sequences), as JetStream redelivers an unacked batch.
    const engine = startEngine({
      config: loadConfig({ env: {} }),
      log,
      metrics: createEngineMetrics(registry),
      source: of(first, first, first),
      sink: fileSink(join(mkdtempSync(join(tmpdir(), 'cf-engine-')), 'scores.jsonl')),
      model,
    });
    await engine.done;
    const total = async (name: string) =>
      ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);
    expect(await total('churnflow_events_total')).toBe(2);
    expect(await total('churnflow_duplicate_events_total')).toBe(4);
    expect(engine.totals).toMatchObject({ events: 2, duplicates: 4 });
    model.dispose();
  });
});
