import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config/index.js';
import { startChurnflow, type Churnflow } from '../../src/cli/start.js';
import { uniqueName } from './nats.js';

/** The model every end-to-end test scores with: the one the project ships. */
export const DEFAULT_MODEL_DIR = 'models/churn-default/1';

/** Configuration for a test engine on a given NATS server: unique stream, consumer and output prefix. */
export function testConfig(natsUrl: string, overrides: Record<string, unknown> = {}): Readonly<Config> {
  const stream = uniqueName('EVENTS');
  return loadConfig({
    env: {},
    overrides: {
      'nats.url': natsUrl,
      'nats.stream': stream,
      'nats.consumer': uniqueName('engine'),
      'ingest.subjectPrefix': stream.toLowerCase(),
      'publish.prefix': uniqueName('out').toLowerCase(),
      'publish.deadLetterStream': uniqueName('DLQ'),
      'http.host': '127.0.0.1',
      'http.port': 0,
      'log.level': 'silent',
      'log.summaryEveryMs': 0,
      ...overrides,
    },
  });
}

/** Starts churnflow as `churnflow start` does, with a silent logger; stop it with `await using`. */
export async function startTestEngine(config: Readonly<Config>): Promise<Churnflow & AsyncDisposable> {
  const app = await startChurnflow(config, pino({ level: 'silent' }));
  return { ...app, [Symbol.asyncDispose]: () => app.stop() };
}

/** Scrapes `/metrics` over HTTP as Prometheus does and returns the sum of a metric's samples. */
export async function scrapeMetric(
  port: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Polls until `cond` holds (real time: these tests talk to a real server). */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  ms = 15_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
