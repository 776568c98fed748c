/** README.md's metric list is the registry's: regenerate it with scripts/metrics-doc.ts when this fails. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { regeneratedReadme, documentedRegistry } from '../../scripts/metrics-doc.js';
import { METRICS_DOC_BEGIN, METRICS_DOC_END } from '../../src/metrics/metrics-doc.js';

const block = (text: string): string =>
  text.slice(text.indexOf(METRICS_DOC_BEGIN), text.indexOf(METRICS_DOC_END) + METRICS_DOC_END.length);

describe('README metric list', () => {
  it('is exactly what the registry generates (name, type, labels, help)', async () => {
    const readme = await readFile('README.md', 'utf8');
    expect(readme).toContain(METRICS_DOC_BEGIN);
    const fix = 'README metrics differ: run `npm run build && node dist/scripts/metrics-doc.js`';
    expect(block(readme), fix).toBe(block(regeneratedReadme(readme)));
  });

  it('lists the operator metrics with their labels', async () => {
    const readme = await readFile('README.md', 'utf8');
    for (const row of [
      '`churnflow_build_info` | gauge | `version`, `backend`, `node`',
      '`churnflow_consumer_pending_messages` | gauge | `partition`',
      '`churnflow_replay_remaining_messages` | gauge | `partition`',
      '`churnflow_publish_failures_total` | counter | `kind`',
      '`churnflow_rules_reloads_total` | counter | `outcome`',
      '`churnflow_event_time_lag_seconds` | gauge |  |',
      '`churnflow_state_bytes` | gauge |  |',
    ]) {
      expect(block(readme)).toContain(row);
    }
    expect(documentedRegistry().getSingleMetric('churnflow_retention_rate_percent')).toBeUndefined();
  });
});
