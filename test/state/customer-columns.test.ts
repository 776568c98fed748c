import { describe, expect, it } from 'vitest';
import { CustomerColumns, GROWTH } from '../../src/state/customer-columns.js';
import { CustomerIndex } from '../../src/state/customer-index.js';
import { createCustomerStore } from '../../src/state/index.js';
import { decoded } from './events.js';

/** Every typed array of the columns, by name. */
function columns(cols: CustomerColumns) {
  const levels = { day: cols.day, fiveDay: cols.fiveDay, fifteenDay: cols.fifteenDay };
  const out: Record<string, Int32Array | Uint8Array | Uint16Array | Uint32Array | Float64Array> = {
    f64: cols.f64,
    u32: cols.u32,
    stamp: cols.stamp,
    purchaseDays: cols.purchaseDays.bits,
  };
  for (const [name, level] of Object.entries(levels)) {
    Object.assign(out, {
      [`${name}.heads`]: level.heads,
      [`${name}.small`]: level.small,
      [`${name}.counts`]: level.counts,
      [`${name}.amounts`]: level.amounts,
    });
  }
  return out;
}

/** Writes a value per column and element that tells them apart (small, so it fits every width). */
function stamp(cols: CustomerColumns, slots: number): void {
  Object.values(columns(cols)).forEach((a, c) => {
    const per = a.length / cols.capacity;
    for (let i = 0; i < slots * per; i++) a[i] = ((c * 31 + i) % 200) + 1;
  });
}

function expectStamped(cols: CustomerColumns, slots: number): void {
  Object.entries(columns(cols)).forEach(([name, a], c) => {
    const per = a.length / cols.capacity;
    for (let i = 0; i < slots * per; i++) {
      if (a[i] !== ((c * 31 + i) % 200) + 1) expect.fail(`${name}[${i}] = ${a[i]}`);
    }
  });
}

describe('column allocation', () => {
  it('grows by 1.5x, not by doubling: capacity stays within 1.5x of the slots used', () => {
    const cols = new CustomerColumns(1024);
    cols.ensure(1024);
    expect(cols.capacity).toBe(1536);
    for (const slot of [1536, 5000, 65_537, 300_000]) {
      cols.ensure(slot);
      expect(cols.capacity).toBeGreaterThan(slot);
      expect(cols.capacity).toBeLessThanOrEqual(Math.ceil((slot + 1) * GROWTH));
    }
  });

  it('carves every column from one buffer, without overlap, and keeps them all across growth', () => {
    const cols = new CustomerColumns(1);
    const buffers = new Set(Object.values(columns(cols)).map((a) => a.buffer));
    expect(buffers.size).toBe(1);
    stamp(cols, 1);
    for (let slot = 1; slot < 40; slot++) {
      cols.ensure(slot);
      stamp(cols, slot + 1);
      expectStamped(cols, slot + 1);
    }
    const all = Object.values(columns(cols));
    expect(new Set(all.map((a) => a.buffer)).size).toBe(1);
    expect(cols.byteLength).toBe(all[0]!.buffer.byteLength);
    // The columns fill the slab up to alignment: at most 7 bytes of padding per column.
    const used = all.reduce((sum, a) => sum + a.byteLength, 0);
    expect(cols.byteLength - used).toBeLessThanOrEqual(7 * all.length);
  });

  it('a store of N customers holds at most 1.5x their columns (doubling held up to 2x)', () => {
    const perSlot = new CustomerColumns(10_000).byteLength / 10_000;
    const store = createCustomerStore({ initialCapacity: 1024 });
    const ts = 1_700_000_000_000;
    store.apply(
      Array.from({ length: 1025 }, (_, i) => decoded({ customerId: `c${i}`, type: 'page_view', ts })),
    );
    expect(store.size).toBe(1025);
    const ids = new CustomerIndex();
    for (let i = 0; i < 1025; i++) ids.add(`c${i}`, i);
    expect(store.columnBytes - ids.byteLength).toBeLessThanOrEqual(1025 * perSlot * GROWTH + 128);
  });
});
