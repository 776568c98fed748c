import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/engine-process.js';
import { waitFor } from '../helpers/engine.js';

/** True when `bin --version` runs: CI installs Debian's prometheus package (.ci/run), a laptop may not have it. */
export function hasBinary(bin: string): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A real Prometheus on a free loopback port with a temp store, scraping `targets` every second. */
export interface PrometheusFixture extends AsyncDisposable {
  readonly url: string;
  /** An instant query's result vector (or scalar as one sample); throws on a query error. */
  query(expr: string): Promise<unknown[]>;
}

export async function startPrometheus(targets: readonly string[]): Promise<PrometheusFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'cf-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [{ job_name: 'churnflow', static_configs: [{ targets }] }],
    }),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const dispose = async (): Promise<void> => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true,
      20_000,
      'prometheus ready',
    );
  } catch (err) {
    await dispose();
    throw err;
  }
  return {
    url,
    async query(expr: string): Promise<unknown[]> {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: unknown };
      };
      if (body.status !== 'success') throw new Error(`query refused: ${body.error ?? res.status}: ${expr}`);
      const result = body.data?.result;
      return body.data?.resultType === 'scalar' ? [result] : (result as unknown[]);
    },
    [Symbol.asyncDispose]: dispose,
  };
}
