/**
 * bench/customer-index.bench.ts — the customer id index (src/state/customer-index.ts) against the usual JS way, a
 * `Map<string, number>` plus an array of id strings, in the same run.
 *
 * What it measures, for N customers (default 1,000,000) with ids as the simulator makes them (`c-000123`, some
 * e-mail addresses):
 *   - memory per customer after a full GC (heapUsed + arrayBuffers delta), each contender built alone;
 *   - lookups as the store makes them, one per event: the id decoded from MessagePack (a new string each time),
 *     then its slot looked up; the decode alone is timed too and taken off both;
 *   - ids read back by slot (what every published update does), a new string each for the index.
 * Command:       npm run build && node --expose-gc dist/bench/customer-index.bench.js [customers]
 * Prerequisites: Node 20+, `npm ci`; nothing else (no NATS). About 600 MB of RAM at the default size.
 */
import { pack, unpack } from 'msgpackr';
import { CustomerIndex } from '../src/state/customer-index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const LOOKUPS = 2_000_000;
const REPS = 3;

const idOf = (i: number): string =>
  i % 10 === 0 ? `ana.silva+c-${i}@example.com` : `c-${String(i).padStart(6, '0')}`;

interface Contender {
  readonly name: string;
  build(): { slotOf(id: string): number; idOf(slot: number): string };
}

const contenders: readonly Contender[] = [
  {
    name: 'Map + id array',
    build() {
      const slots = new Map<string, number>();
      const ids: string[] = [];
      for (let i = 0; i < N; i++) {
        const id = idOf(i);
        slots.set(id, i);
        ids.push(id);
      }
      return { slotOf: (id) => slots.get(id) ?? -1, idOf: (slot) => ids[slot] ?? '' };
    },
  },
  {
    name: 'CustomerIndex',
    build() {
      const index = new CustomerIndex();
      for (let i = 0; i < N; i++) index.add(idOf(i), i);
      return index;
    },
  },
];

const heap = (): number => {
  global.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Nanoseconds per call of `f` over LOOKUPS calls, the median of REPS runs; `sink` keeps the work alive. */
function timed(f: (q: number) => number): number {
  const runs: number[] = [];
  let sink = 0;
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint();
    for (let q = 0; q < LOOKUPS; q++) sink += f(q);
    runs.push(Number(process.hrtime.bigint() - t0) / LOOKUPS);
  }
  if (sink === Number.MIN_VALUE) console.log(sink);
  return runs.sort((a, b) => a - b)[1]!;
}

// Payloads spread over all customers, so lookups miss the CPU caches as a large store's do.
const payloads = Array.from({ length: 1 << 14 }, (_, i) => pack({ customerId: idOf((i * 7_919) % N) }));
const decoded = (q: number): string => (unpack(payloads[q & 0x3fff]!) as { customerId: string }).customerId;
const decodeNs = timed((q) => decoded(q).length);

const rows = contenders.map((c) => {
  const before = heap();
  const built = c.build();
  const bytes = (heap() - before) / N;
  const lookupNs = timed((q) => built.slotOf(decoded(q))) - decodeNs;
  const readNs = timed((q) => built.idOf((q * 7_919) % N).length);
  if (built.slotOf(idOf(N - 1)) !== N - 1 || built.idOf(N - 1) !== idOf(N - 1)) throw new Error(c.name);
  return { name: c.name, bytes, lookupNs, readNs };
});

console.log(
  `${N.toLocaleString('en')} customers; lookups after a MessagePack decode (${decodeNs.toFixed(0)} ns, taken off)`,
);
console.log('contender      | B/customer | lookup ns | id read ns');
for (const r of rows) {
  console.log(
    `${r.name.padEnd(14)} | ${r.bytes.toFixed(0).padStart(10)} | ${r.lookupNs.toFixed(0).padStart(9)} | ${r.readNs.toFixed(0).padStart(10)}`,
  );
}
const [map, index] = rows as [(typeof rows)[0], (typeof rows)[0]];
console.log(
  `index / Map: memory ${(index.bytes / map.bytes).toFixed(2)}, lookup ${(index.lookupNs / map.lookupNs).toFixed(2)}, id read ${(index.readNs / map.readNs).toFixed(2)}`,
);
console.log(JSON.stringify({ bench: 'customer-index', customers: N, decodeNs, contenders: rows }));
