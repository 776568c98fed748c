import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchSegmentRules, type SegmentRuleSet, type SegmentRulesWatch } from '../../src/segment/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Resolves with the next report from the watcher (rules or error). */
function reports() {
  const queue: ({ rules: SegmentRuleSet } | { error: unknown })[] = [];
  let wake: (() => void) | undefined;
  const push = (r: (typeof queue)[number]) => {
    queue.push(r);
    wake?.();
  };
  const next = async () => {
    while (queue.length === 0) await new Promise<void>((res) => (wake = res));
    return queue.shift()!;
  };
  return {
    onRules: (rules: SegmentRuleSet) => push({ rules }),
    onError: (error: unknown) => push({ error }),
    next,
  };
}

const file = (...names: string[]) =>
  JSON.stringify({ segments: names.map((name) => ({ name, enter: 'churnRisk > 0.5' })) });

describe('watchSegmentRules (real temp file)', () => {
  it('reloads on change, keeps reporting a bad file as an error, follows rename-replace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'churnflow-segments-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'segments.json');
    await writeFile(path, file('a'));
    const r = reports();
    const w: SegmentRulesWatch = watchSegmentRules(path, r.onRules, r.onError, { debounceMs: 30 });
    cleanups.push(() => w.close());

    await writeFile(path, file('a', 'b'));
    const first = await r.next();
    expect('rules' in first && first.rules.rules.map((x) => x.name)).toEqual(['a', 'b']);

    await writeFile(path, JSON.stringify({ segments: [{ name: 'c', enter: 'purchases_9d > 1' }] }));
    const bad = await r.next();
    expect('error' in bad && bad.error).toMatchObject({
      code: 'SEGMENTS_INVALID',
      rule: 'c',
      identifier: 'purchases_9d',
    });

    await writeFile(path, '{ "segments": [');
    const broken = await r.next();
    expect('error' in broken && broken.error).toMatchObject({ code: 'SEGMENTS_INVALID' });

    // Deploy tools write a new file and rename it over the old one (a new inode): still followed.
    await writeFile(join(dir, 'next.tmp'), file('d'));
    await rename(join(dir, 'next.tmp'), path);
    let next = await r.next();
    while ('error' in next) next = await r.next(); // a rename may surface as two events
    expect(next.rules.rules.map((x) => x.name)).toEqual(['d']);
  });
  it('ignores other files in the directory and stops after close()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'churnflow-segments-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'segments.json');
    await writeFile(path, file('a'));
    const seen: unknown[] = [];
    const w = watchSegmentRules(
      path,
      (x) => seen.push(x),
      (e) => seen.push(e),
      { debounceMs: 10 },
    );
    await writeFile(join(dir, 'other.json'), 'x');
    await new Promise((res) => setTimeout(res, 150));
    expect(seen).toEqual([]);
    w.close();
    await writeFile(path, file('z'));
    await new Promise((res) => setTimeout(res, 150));
    expect(seen).toEqual([]);
  });
});
