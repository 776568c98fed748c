/**
 * Writes README.md's metric list (name, type, labels, help) from the metrics the engine registers, between the
 * markers of src/metrics/metrics-doc.ts, so the list cannot drift from the code (test/metrics/metrics-doc.test.ts
 * fails when it does). Usage: `npm run build && node dist/scripts/metrics-doc.js [README.md]`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import {
  createEngineMetrics,
  createHostMetrics,
  createModelMetrics,
  createReadiness,
} from '../src/metrics/index.js';
import { showShadowMetrics } from '../src/metrics/model-metrics.js';
import { metricsTable, replaceMetricsBlock } from '../src/metrics/metrics-doc.js';
import { createRequestMetrics } from '../src/requests/index.js';
import { createSnapshotMetrics } from '../src/snapshot/index.js';

/**
 * A registry with every churnflow metric, made by the factories src/cli/start.ts (engine, snapshots, models,
 * readiness), src/host/partition-host.ts (host) and src/cli/engine-requests.ts (requests) call; Node.js process
 * metrics are left out. The shadow metrics are included: they appear once a shadow model is configured.
 */
export function documentedRegistry(): Registry {
  const registry = new Registry();
  createEngineMetrics(registry);
  createSnapshotMetrics(registry);
  showShadowMetrics(createModelMetrics(registry));
  createReadiness(registry, () => []);
  createHostMetrics(registry, { stateBytes: () => 0, oldestWatermarkMs: () => undefined, partitions: 1 });
  createRequestMetrics(registry);
  return registry;
}

/** README.md's text with its metrics block regenerated. */
export function regeneratedReadme(readme: string): string {
  return replaceMetricsBlock(readme, metricsTable(documentedRegistry()));
}

async function main(file: string): Promise<void> {
  const before = await readFile(file, 'utf8');
  const after = regeneratedReadme(before);
  if (after !== before) await writeFile(file, after);
  process.stdout.write(`${after === before ? 'unchanged' : 'wrote'} ${file}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(resolve(process.argv[2] ?? 'README.md')).catch((error: unknown) => {
    process.stderr.write(`metrics-doc: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
