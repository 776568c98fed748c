import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CustomerIndex, hashOf } from '../../src/state/customer-index.js';

/** Ids as they come: account numbers, e-mail addresses, Latin-1 accents, CJK, emoji (surrogate pairs), 1..128 units. */
const anyId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'b', 'c', '0', '1', '.', '@') }),
  fc.string({ minLength: 1, maxLength: 128, unit: 'grapheme-ascii' }),
  fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
  fc.constantFrom('é', 'ß', 'ÿ', 'Ā', '客户', '😀', 'c-😀-1', 'ça', 'ca'),
);

type Op = { kind: 'add'; id: string } | { kind: 'remove'; pick: number };
const ops = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: anyId.map((id): Op => ({ kind: 'add', id })) },
    { weight: 1, arbitrary: fc.nat().map((pick): Op => ({ kind: 'remove', pick })) },
  ),
  { maxLength: 400 },
);

/** Plays `script` on an index and on a Map with a free list, as the store uses them; checks they agree throughout. */
function play(script: readonly Op[]): void {
  const index = new CustomerIndex();
  const model = new Map<string, number>();
  const free: number[] = [];
  let end = 0;
  for (const op of script) {
    if (op.kind === 'add') {
      if (model.has(op.id)) continue;
      const slot = free.pop() ?? end++;
      index.add(op.id, slot);
      model.set(op.id, slot);
    } else if (model.size > 0) {
      const [id, slot] = [...model][op.pick % model.size]!;
      index.remove(slot);
      model.delete(id);
      free.push(slot);
    }
  }
  expect(index.size).toBe(model.size);
  for (const [id, slot] of model) {
    expect(index.slotOf(id)).toBe(slot);
    expect(index.idOf(slot)).toBe(id);
    expect(index.has(slot)).toBe(true);
  }
  for (const slot of free) {
    expect(index.has(slot)).toBe(false);
    expect(index.idOf(slot)).toBe('');
  }
}

describe('customer index', () => {
  it('agrees with a Map on every id and slot after any sequence of adds and removes', () => {
    fc.assert(fc.property(ops, play), { numRuns: 400 });
  });

  it('tells apart ids of the same length that differ in one code unit, or only in width', () => {
    const index = new CustomerIndex();
    const ids = ['ca', 'cb', 'ça', 'c\u0100', 'c\u0000', '\u0000c', 'a', 'ab', 'ab\u00ff'];
    ids.forEach((id, slot) => index.add(id, slot));
    ids.forEach((id, slot) => expect([index.slotOf(id), index.idOf(slot)]).toEqual([slot, id]));
    expect(index.slotOf('c')).toBe(-1);
    expect(index.slotOf('cc')).toBe(-1);
  });

  it('keeps 200k customers through growth, churn (compaction) and removal of all', () => {
    const index = new CustomerIndex();
    const id = (n: number) => `c-${String(n).padStart(6, '0')}`;
    for (let n = 0; n < 200_000; n++) index.add(id(n), n);
    const grown = index.byteLength;
    // Replace most customers: the freed bytes are reused by compaction instead of growing the id bytes.
    for (let n = 0; n < 150_000; n++) {
      index.remove(n);
      index.add(id(200_000 + n), n);
    }
    expect(index.byteLength).toBeLessThan(grown * 1.5);
    expect(index.size).toBe(200_000);
    for (let n = 0; n < 200_000; n += 997) {
      const want = n < 150_000 ? id(200_000 + n) : id(n);
      expect([index.slotOf(want), index.idOf(n)]).toEqual([n, want]);
    }
    expect(index.slotOf(id(0))).toBe(-1);
    for (let n = 0; n < 200_000; n++) index.remove(n);
    expect(index.size).toBe(0);
    expect(index.slotOf(id(199_999))).toBe(-1);
  });

  it('costs under 40 bytes per 8-character id at 1M', () => {
    const index = new CustomerIndex();
    for (let n = 0; n < 1_000_000; n++) index.add(`c${String(n).padStart(7, '0')}`, n);
    expect(index.byteLength / 1_000_000).toBeLessThan(40);
  });

  it('defeats ids chosen to collide: a run past 512 rebuilds the table under a new seed', () => {
    // Under a seed the sender has learnt, 600 ids whose hashes share their low 10 bits: one bucket of the table.
    const seed = 12_345;
    const colliding: string[] = [];
    for (let n = 0; colliding.length < 600; n++) {
      const id = `x-${n}`;
      if ((hashOf(id, seed) & 1023) === 0) colliding.push(id);
    }
    const index = new CustomerIndex(seed);
    colliding.forEach((id, slot) => index.add(id, slot));
    expect(index.longestProbe()).toBeLessThan(64);
    colliding.forEach((id, slot) => expect(index.slotOf(id)).toBe(slot));
    // The same ids against a fixed hash (a table that never re-seeds: the first 512 of them) form one long run.
    const fixed = new CustomerIndex(seed);
    colliding.slice(0, 500).forEach((id, slot) => fixed.add(id, slot));
    expect(fixed.longestProbe()).toBeGreaterThanOrEqual(499);
  });

  it('holds nothing at slots that cannot be slots (negative, fractional, past the end)', () => {
    const index = new CustomerIndex();
    index.add('a', 0);
    for (const slot of [-1, 0.5, 1, 1e9]) {
      expect([index.has(slot), index.idOf(slot)]).toEqual([false, '']);
      index.remove(slot);
    }
    expect([index.size, index.slotOf('a')]).toEqual([1, 0]);
  });

  it('refuses an empty id', () => {
    expect(() => new CustomerIndex().add('', 0)).toThrow(RangeError);
  });
});
