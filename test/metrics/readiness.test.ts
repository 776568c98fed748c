import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { NOT_READY_REASONS } from '../../src/contract/codes.js';
import { createReadiness, startOpsServer, type NotReady } from '../../src/metrics/index.js';
import { scrapeMetric } from '../helpers/engine.js';

describe('readiness', () => {
  it('answers /readyz with each reason named, 503 until ready, and exports churnflow_not_ready{reason}', async () => {
    const registry = new Registry();
    let problems: NotReady[] = [
      { reason: 'lagging', detail: '84740 messages pending, more than 10000' },
      { reason: 'dead_letters', detail: 'storing failed 3 s ago: timeout' },
    ];
    const readiness = createReadiness(registry, () => problems);
    const ops = await startOpsServer(
      registry,
      { live: () => true, readiness: () => readiness.check() },
      '127.0.0.1',
      0,
    );
    try {
      const res = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        ready: false,
        reasons: [
          'lagging: 84740 messages pending, more than 10000',
          'dead_letters: storing failed 3 s ago: timeout',
        ],
        notReady: problems,
      });
      // Every reason of the catalogue is exported, 1 for those that hold, at scrape time.
      for (const reason of Object.keys(NOT_READY_REASONS)) {
        const expected = reason === 'lagging' || reason === 'dead_letters' ? 1 : 0;
        expect(await scrapeMetric(ops.port, 'churnflow_not_ready', { reason })).toBe(expected);
      }
      problems = [];
      expect(await scrapeMetric(ops.port, 'churnflow_not_ready')).toBe(0);
      const ok = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ ready: true, reasons: [], notReady: [] });
    } finally {
      await ops.close();
    }
  });
});
