import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '@tensorflow/tfjs';
import { Gauge, type Registry } from 'prom-client';

/**
 * The version in churnflow's package.json, found by walking up from this file: the same code runs from `src/`
 * (tests, tsx) and from `dist/src/` (the build), which sit at different depths. "unknown" when not found.
 */
export function packageVersion(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'churnflow') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}

/** The TF.js backend in use now ("none" before one is selected); reading it never initialises one. */
function tfBackend(): string {
  // getBackend() reads the engine's current name; it does not pick or start a backend as tf.backend() would.
  // Typed string, but null until a backend is set.
  return getBackend() || 'none';
}

/**
 * Registers `churnflow_build_info{version,backend,node}` = 1. The labels are read at each scrape, because the
 * TF.js backend is chosen after the registry is made (start.ts selects it once the metrics exist).
 */
export function registerBuildInfo(
  registry: Registry,
  backend: () => string = tfBackend,
): Gauge<'version' | 'backend' | 'node'> {
  const version = packageVersion();
  const gauge: Gauge<'version' | 'backend' | 'node'> = new Gauge({
    name: 'churnflow_build_info',
    help: 'Build and runtime of this process (value 1): churnflow version, TF.js backend, Node.js version',
    labelNames: ['version', 'backend', 'node'],
    registers: [registry],
    collect() {
      // One series only: the backend label changes once ("none" to "wasm" or "tensorflow").
      gauge.reset();
      gauge.set({ version, backend: backend(), node: process.versions.node }, 1);
    },
  });
  return gauge;
}
