import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What importing the built client loads, and what it costs, each in a fresh node process. Needs dist/ (`npm test`
// builds it first; alone: `npm run build && npx vitest run test/client/import-cost.test.ts`).
const ROOT = process.cwd();
const CLIENT = path.join(ROOT, 'dist/src/client/index.js');
const MAIN = path.join(ROOT, 'dist/src/index.js');

// A module hook that writes down every URL the ESM loader resolves (the engine's TF.js import is an ESM import
// of ours); the child also lists the CommonJS cache after the import, for anything loaded by require.
const HOOKS = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(out, r.url + '\\n');
  return r;
}`;
const PRELOAD = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url, { data: { out: process.env.LOAD_LOG } });`;
const LIST_CJS = `const { createRequire } = await import('node:module');
await import(process.argv[1]);
for (const f of Object.keys(createRequire(import.meta.url).cache)) console.log(pathToFile(f));
function pathToFile(f) { return 'file://' + f; }`;
// Timing runs without the hook: it would slow every resolution down.
// argv[2], when given, is imported first: the NATS client a consumer has loaded anyway to connect.
const MEASURE = `if (process.argv[2]) await import(process.argv[2]);
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
await import(process.argv[1]);
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, rssMb: (process.memoryUsage().rss - rss0) / 1048576 }));`;

let dir: string;
beforeAll(() => {
  if (!existsSync(CLIENT)) throw new Error(`${CLIENT} is missing: run \`npm run build\` first`);
  dir = mkdtempSync(path.join(tmpdir(), 'client-import-'));
  writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(path.join(dir, 'preload.mjs'), PRELOAD);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

/** Every module URL (ESM resolved or CommonJS cached) that importing `target` loads, in a fresh process. */
function loadedBy(target: string): string[] {
  const log = path.join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  const cjs = node(
    [
      '--import',
      pathToFileURL(path.join(dir, 'preload.mjs')).href,
      '--input-type=module',
      '-e',
      LIST_CJS,
      target,
    ],
    { LOAD_LOG: log },
  );
  return [...readFileSync(log, 'utf8').split('\n'), ...cjs.split('\n')].filter((l) => l !== '');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Median import time (ms) and RSS growth (MB) over `runs` fresh processes. */
function importCost(target: string, before = '', runs = 3): { ms: number; rssMb: number } {
  const samples = Array.from(
    { length: runs },
    () =>
      JSON.parse(node(['--input-type=module', '-e', MEASURE, target, before])) as {
        ms: number;
        rssMb: number;
      },
  );
  return { ms: median(samples.map((s) => s.ms)), rssMb: median(samples.map((s) => s.rssMb)) };
}

const heavy = /@tensorflow|prom-client|[/\\]pino[/\\]/;

describe('importing churnflow/client', () => {
  it('loads no TF.js, prom-client or pino, and only the client and contract of churnflow itself', () => {
    const loaded = loadedBy(CLIENT);
    expect(loaded.some((u) => u.endsWith('/dist/src/client/index.js'))).toBe(true);
    expect(loaded.filter((u) => heavy.test(u))).toEqual([]);
    const own = loaded.filter((u) => u.includes('/dist/src/'));
    expect(own.filter((u) => !/\/dist\/src\/(client|contract)\//.test(u))).toEqual([]);
  });

  it('is told apart from the main entry, which does load TF.js (the check can fail)', () => {
    expect(loadedBy(MAIN).some((u) => u.includes('@tensorflow'))).toBe(true);
  });

  it('resolves by package name through the exports map', () => {
    const resolved = node([
      '--input-type=module',
      '-e',
      "console.log(import.meta.resolve('churnflow/client'))",
    ]);
    expect(resolved.trim()).toBe(pathToFileURL(CLIENT).href);
    const names = node([
      '--input-type=module',
      '-e',
      "const c = await import('churnflow/client'); console.log(typeof c.subscribeScores, typeof c.getCustomer)",
    ]);
    expect(names.trim()).toBe('function function');
  });

  it('costs a fraction of the main entry (figures printed)', () => {
    const client = importCost(CLIENT);
    const onNats = importCost(CLIENT, '@nats-io/transport-node');
    const main = importCost(MAIN);
    const fmt = (c: { ms: number; rssMb: number }) => `${c.ms.toFixed(0)} ms, +${c.rssMb.toFixed(1)} MB RSS`;
    console.info(
      `import cost, median of 3 fresh processes: churnflow/client ${fmt(client)} ` +
        `(${fmt(onNats)} once @nats-io/transport-node is loaded); churnflow ${fmt(main)}`,
    );
    // Loose bounds: the figures vary with the machine's load; what must hold is the order of magnitude.
    expect(client.ms).toBeLessThan(main.ms / 2);
    expect(client.rssMb).toBeLessThan(main.rssMb / 2);
  });
});
