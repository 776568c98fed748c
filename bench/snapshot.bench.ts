/**
 * Snapshot cost at 100k and 1M customers: copying the engine's state (all at once, and one slice of 65,536
 * customers: what one pause of ingestion costs beyond draining in-flight rows), encoding (SHA-256 included) and its
 * size, and decode + load (a restart's restore before the tail). The floor measured in the same run: copying the
 * same number of bytes once (`Uint8Array.slice`).
 *
 * Command:  npm run build && node --expose-gc dist/bench/snapshot.bench.js [customers=100000,1000000]
 * Needs:    nothing but the build (no NATS: the object store write is I/O, measured by the engine's
 *           churnflow_snapshot_seconds in real runs).
 * Prints:   a table per size and a JSON line.
 */
import { loadSegmentRules } from '../src/segment/index.js';
import { createScoreChanges } from '../src/publish/index.js';
import { createCustomerLifecycle } from '../src/engine/customer-lifecycle.js';
import {
  captureSlots,
  loadEngineState,
  saveEngineState,
  type EngineParts,
} from '../src/engine/engine-state.js';
import { createEvaluationPlanner } from '../src/engine/evaluation-planner.js';
import { RowBuffer } from '../src/engine/evaluation-rows.js';
import { decodeSnapshot, encodeSnapshot } from '../src/snapshot/index.js';
import { createCustomerStore } from '../src/state/index.js';
import type { DecodedEvent } from '../src/decode/types.js';
import type { ScoredBatch } from '../src/score/index.js';

const SIZES = (process.argv[2] ?? '100000,1000000').split(',').map(Number);
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 1);
const TYPES = ['page_view', 'purchase', 'cart_add', 'message_open', 'session', 'nps'];

/** An engine's parts holding `n` customers with a few events each, memberships of the default pack and timers. */
async function populated(n: number): Promise<EngineParts> {
  const rules = await loadSegmentRules('config/segments.json');
  const store = createCustomerStore({ initialCapacity: n });
  const published = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 }, 0, n);
  const lifecycle = createCustomerLifecycle(rules, store, published);
  const rows = new RowBuffer(8192);
  const planner = createEvaluationPlanner({ store, rows, rules, rescoreIntervalMs: DAY });
  let seq = 0;
  const flush = (): void => {
    const b = rows.take(1e9);
    const k = b.slots.length;
    const scored: ScoredBatch = {
      slots: b.slots,
      churnRisk: new Float32Array(k).map((_, i) => ((b.slots[i] as number) % 97) / 97),
      engagement: new Uint8Array(k).fill(40),
      stage: new Uint8Array(k).fill(4),
      features: b.features,
      modelName: 'bench',
      modelVersion: '1',
    };
    lifecycle.onScored(scored, b, (slot) => store.customerId(slot));
    for (const slot of b.slots) published.changed(slot, 0.3, 40, 4, 0);
  };
  for (let c = 0; c < n; c++) {
    for (let e = 0; e < 3; e++) {
      const ts = NOW - ((c * 7 + e * 13) % 60) * DAY;
      const d: DecodedEvent = {
        event: { customerId: `c${c}`, type: TYPES[(c + e) % TYPES.length] as string, ts, value: 5 },
        subject: '',
        data: new Uint8Array(),
        streamSeq: ++seq,
        publishedAtMs: ts,
      };
      planner.advance(Math.min(ts, NOW - 70 * DAY + seq));
      planner.onEvent(store.applyOne(d), ts);
    }
    if (rows.length >= 8192) flush();
  }
  flush();
  return { store, published, lifecycle, planner };
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const out = f();
  return [out, performance.now() - t0];
}

for (const n of SIZES) {
  const parts = await populated(n);
  global.gc?.();
  const [content, copyMs] = time(() => saveEngineState(parts, n * 3, 0));
  // What one pause of ingestion copies with snapshot.sliceCustomers at its default.
  const [, sliceMs] = time(() => captureSlots(parts, 0, Math.min(n, 65_536)));
  const [bytes, encodeMs] = time(() => encodeSnapshot(content));
  const [, floorMs] = time(() => bytes.slice());
  const [decoded, decodeMs] = time(() => decodeSnapshot(bytes, 'bench'));
  const fresh = await (async () => {
    const rules = await loadSegmentRules('config/segments.json');
    const store = createCustomerStore({});
    const published = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
    const rows = new RowBuffer();
    return {
      store,
      published,
      lifecycle: createCustomerLifecycle(rules, store, published),
      planner: createEvaluationPlanner({ store, rows, rules, rescoreIntervalMs: DAY }),
    };
  })();
  const [, loadMs] = time(() => loadEngineState(fresh, decoded, 'bench'));
  const mb = bytes.length / 2 ** 20;
  console.log(
    `\n${n.toLocaleString('en')} customers: snapshot ${mb.toFixed(0)} MiB (${(bytes.length / n).toFixed(0)} B/customer)`,
  );
  console.log('step                         | ms     | × floor (one copy of the bytes)');
  console.log('-----------------------------|--------|------');
  for (const [step, ms] of [
    ['copy all state at once', copyMs],
    ['copy one slice (one pause)', sliceMs],
    ['encode + SHA-256', encodeMs],
    ['decode + verify', decodeMs],
    ['load into a fresh engine', loadMs],
  ] as const) {
    console.log(`${step.padEnd(29)}| ${ms.toFixed(0).padStart(6)} | ${(ms / floorMs).toFixed(1)}`);
  }
  console.log(`floor: copy ${mb.toFixed(0)} MiB once   | ${floorMs.toFixed(0).padStart(6)} |`);
  console.log(
    JSON.stringify({
      bench: 'snapshot',
      customers: n,
      bytes: bytes.length,
      copyMs: Math.round(copyMs),
      slicePauseMs: Math.round(sliceMs),
      encodeMs: Math.round(encodeMs),
      decodeMs: Math.round(decodeMs),
      loadMs: Math.round(loadMs),
      floorMs: Math.round(floorMs),
      restoreMsPerMillion: Math.round(((decodeMs + loadMs) * 1e6) / n),
    }),
  );
}
