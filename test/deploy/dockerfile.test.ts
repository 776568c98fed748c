import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { execForm, readDockerfile, stageEnv, type Stage } from './dockerfile-parse.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const stages = readDockerfile(`${ROOT}Dockerfile`);
const final = stages[stages.length - 1] as Stage;

/**
 * Node.js LTS lines: LTS start and end of life (github.com/nodejs/Release). A base image must be on a line that is
 * LTS today and not past its end of life; the test starts failing the day the image's line reaches it, on purpose.
 */
const NODE_LTS: Readonly<Record<number, readonly [string, string]>> = {
  20: ['2023-10-24', '2026-04-30'],
  22: ['2024-10-29', '2027-04-30'],
  24: ['2025-10-28', '2028-04-30'],
  26: ['2026-10-28', '2029-04-30'],
};

function ltsProblem(image: string, today: string): string | undefined {
  const m = /^node:(\d+)(?:[.-]|$)/.exec(image);
  if (m === null) return `${image} is not an official node image`;
  const major = Number(m[1]);
  const span = NODE_LTS[major];
  if (span === undefined) return `node ${major} is not an LTS line (odd, or unknown to this table)`;
  if (today < span[0]) return `node ${major} is not LTS before ${span[0]}`;
  if (today > span[1]) return `node ${major} reached end of life on ${span[1]}`;
  return undefined;
}

const all = (stage: Stage, keyword: string): string[] =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  it('builds every stage on a supported Node.js LTS line', () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(stages.length).toBeGreaterThan(1);
    for (const stage of stages) expect(ltsProblem(stage.from, today), stage.from).toBeUndefined();
  });

  it('knows which base images are not LTS (the check itself)', () => {
    expect(ltsProblem('node:20-bookworm-slim', '2026-12-02')).toMatch(/end of life/);
    expect(ltsProblem('node:25-bookworm-slim', '2026-12-02')).toMatch(/not an LTS line/);
    expect(ltsProblem('node:26-bookworm-slim', '2026-06-01')).toMatch(/not LTS before/);
    expect(ltsProblem('node:26-bookworm-slim', '2026-12-02')).toBeUndefined();
  });

  it('probes /healthz on the port the engine reads from CHURNFLOW_HTTP_PORT, never a hard-coded one', () => {
    const [check] = all(final, 'HEALTHCHECK');
    expect(check, 'HEALTHCHECK in the final stage').toBeDefined();
    expect(check).toContain('/healthz');
    expect(check).toContain('CHURNFLOW_HTTP_PORT');
    expect(check).not.toMatch(/:\s*\d{2,5}\b\//);
    const port = stageEnv(final)['CHURNFLOW_HTTP_PORT'];
    expect(port, 'ENV CHURNFLOW_HTTP_PORT in the final stage').toMatch(/^\d+$/);
    // The variable is the engine's own key for http.port, so the probe and the server follow one setting.
    expect(loadConfig({ env: { CHURNFLOW_HTTP_PORT: port } }).http.port).toBe(Number(port));
    expect(all(final, 'EXPOSE').join(' ').split(/\s+/)).toContain(port);
  });

  it('runs node under an init process installed in the image', () => {
    const [entrypoint] = all(final, 'ENTRYPOINT');
    const argv = execForm(entrypoint ?? '');
    expect(argv, 'exec-form ENTRYPOINT').toBeDefined();
    const init = argv?.[0] ?? '';
    expect(init).toMatch(/(^|\/)(tini|dumb-init)$/);
    expect(argv).toContain('--');
    expect(argv?.slice(argv.indexOf('--') + 1)[0]).toBe('node');
    const installs = all(final, 'RUN').join('\n');
    expect(installs).toMatch(new RegExp(`apt-get install[^\\n]*\\b${init.split('/').pop() ?? ''}\\b`));
  });

  it('installs no dev dependencies into the final image', () => {
    const named = new Map(stages.map((s) => [s.name, s]));
    // node_modules of the final image: installed there, or copied from another stage.
    const sources = [
      final,
      ...all(final, 'COPY')
        .filter((args) => /node_modules/.test(args))
        .map((args) => named.get(/--from=(\S+)/.exec(args)?.[1])),
    ];
    expect(sources.every((s) => s !== undefined)).toBe(true);
    const npmRuns = sources
      .flatMap((s) => all(s as Stage, 'RUN'))
      .filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(npmRuns.length).toBeGreaterThan(0);
    for (const run of npmRuns) expect(run).toMatch(/--omit=dev|--production\b/);
  });

  it("fixes glibc's mmap threshold, so growing state arrays do not move it up to 32 MiB", () => {
    // bench/engine-memory.bench.ts reads this value to measure the engine as the image runs it.
    const value = stageEnv(final)['MALLOC_MMAP_THRESHOLD_'];
    expect(value, 'ENV MALLOC_MMAP_THRESHOLD_ in the final stage, in bytes').toMatch(/^\d+$/);
    // Below 64 KiB every socket read would get a mapping of its own; well below 32 MiB (glibc's ceiling for its
    // dynamic threshold), or the catch-up's buffers would come from the heap again.
    expect(Number(value)).toBeGreaterThanOrEqual(64 * 1024);
    expect(Number(value)).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('runs as a user other than root', () => {
    const users = all(final, 'USER');
    const user = users[users.length - 1];
    expect(user, 'USER in the final stage').toBeDefined();
    expect(user?.split(':')[0]).not.toMatch(/^(root|0)$/);
  });
});
