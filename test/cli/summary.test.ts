import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { of } from 'rxjs';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { formatSummary, summarize } from '../../src/cli/summary.js';
import { loadConfig } from '../../src/config/index.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { startEngine } from '../../src/engine/index.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import { fileSink } from '../../src/publish/index.js';
import { loadChurnModel, selectBackend } from '../../src/score/index.js';
import { loadSegmentRules } from '../../src/segment/index.js';

const packr = new Packr({ useRecords: false });

describe('console summary', () => {
  it('reports rates, customers, risk bands, stages and segment sizes from the engine state', async () => {
    const log = pino({ level: 'silent' });
    await selectBackend(log);
    const model = await loadChurnModel('models/churn-default/2');
    const now = Date.now();
    const events = [
      { customerId: 'a', type: 'purchase', ts: now - 2_000, value: 20 },
      { customerId: 'b', type: 'page_view', ts: now - 1_000 },
    ];
    const source = of({
      messages: events.map((e, i) => ({
        subject: eventSubject('events', e.customerId, e.type),
        data: packr.pack(e),
        contentType: undefined,
        streamSeq: i + 1,
        publishedAtMs: e.ts,
      })),
      ack: () => undefined,
    });
    const sink = fileSink(join(mkdtempSync(join(tmpdir(), 'cf-summary-')), 'out.jsonl'));
    const engine = startEngine({
      config: loadConfig({ env: {} }),
      log,
      metrics: createEngineMetrics(new Registry()),
      source,
      sink,
      model,
      segments: await loadSegmentRules('config/segments.json'),
    });
    await engine.done;
    await sink.close();
    const held = { totals: engine.totals, engines: () => [engine], segments: () => engine.segments() };
    const s = summarize(held, { events: 0, scoreUpdates: 0 }, 2_000);
    expect(s).toMatchObject({ eventsPerSec: 1, customers: 2, deadLetters: 0 });
    expect(Object.values(s.stages).reduce((a, b) => a + b, 0)).toBe(2);
    expect(Object.values(s.risk).reduce((a, b) => a + b, 0)).toBe(2);
    expect(s.segments['new_customers']).toBe(2);
    const text = formatSummary(s);
    expect(text).toContain('customers 2');
    expect(text).toContain('new_customers:2');
    model.dispose();
  });
});
