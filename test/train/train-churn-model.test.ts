import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { bgnbdColumns } from '../../src/score/bgnbd-columns.js';
import { loadChurnModel } from '../../src/score/churn-model.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';
import { Prng } from '../../src/simulate/prng.js';
import { createCustomerStore } from '../../src/state/customer-store.js';
import { FEATURE_COUNT, featureIndex } from '../../src/state/feature-catalog.js';
import {
  SPLIT_TEST,
  replayTrainingSet,
  rocAuc,
  simulatorTrainingSource,
  trainChurnMlp,
  trainChurnModel,
} from '../../src/train/index.js';

const START = Date.UTC(2025, 0, 1);
let dir = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'churnflow-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An imbalanced synthetic problem (~8% positives) whose true probabilities are known. */
function synthetic(rows: number, seed: number): { x: Float32Array; y: Uint8Array; p: Float64Array } {
  const rng = new Prng(seed);
  const x = new Float32Array(rows * 4);
  const y = new Uint8Array(rows);
  const p = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < 4; c++) x[r * 4 + c] = rng.normal();
    p[r] = 1 / (1 + Math.exp(-(2 * x[r * 4]! - 1.5 * x[r * 4 + 1]! - 3.2)));
    y[r] = rng.chance(p[r]!) ? 1 : 0;
  }
  return { x, y, p };
}

describe('trainChurnMlp', () => {
  it('learns an imbalanced problem and outputs calibrated probabilities despite class weights', async () => {
    const train = synthetic(4000, 1);
    const val = synthetic(1500, 2);
    const test = synthetic(3000, 3);
    const m = (d: ReturnType<typeof synthetic>, rows: number) => ({ x: d.x, y: d.y, rows, cols: 4 });
    const fit = await trainChurnMlp(m(train, 4000), m(val, 1500), {
      hidden: [8],
      maxEpochs: 25,
      patience: 5,
    });
    try {
      expect(fit.positiveWeight).toBeGreaterThan(5);
      const out = tf.tidy(() => fit.model.predict(tf.tensor2d(test.x, [3000, 4])) as tf.Tensor);
      const probs = Float32Array.from(out.dataSync());
      out.dispose();
      expect(rocAuc(probs, test.y)).toBeGreaterThan(rocAuc(test.p, test.y) - 0.03);
      // Without the bias correction the mean prediction sits near 0.5 (balanced weights); with it, near the rate.
      const meanPred = probs.reduce((a, b) => a + b, 0) / probs.length;
      const rate = test.y.reduce((a, b) => a + b, 0) / test.y.length;
      expect(Math.abs(meanPred - rate)).toBeLessThan(0.03);
      expect(fit.bestEpoch).toBeGreaterThan(0);
      expect(fit.bestEpoch).toBeLessThanOrEqual(fit.epochs);
    } finally {
      fit.model.dispose();
    }
  });
});

describe('trainChurnModel', () => {
  it('writes a model directory the engine loads and scores exactly as training measured', async () => {
    const sim = createSimulator({ customers: 500, seed: 5, startMs: START });
    const opts = { cutoffDays: [20, 30], seed: 5 } as const;
    const source = simulatorTrainingSource(sim, 60);
    const report = await trainChurnModel({
      ...opts,
      source,
      outDir: dir,
      mlp: { maxEpochs: 4 },
      clock: () => START,
    });
    expect(report.manifest.features).not.toContain('preferred_channel');
    expect(report.manifest.trainedAt).toBe(new Date(START).toISOString());
    expect(report.manifest.churnDefinition).toEqual({ kind: 'no_activity', days: 30 });
    const model = await loadChurnModel(dir);
    try {
      // Score the held-out rows through the ENGINE's model class on raw engine feature vectors.
      const set = await replayTrainingSet(simulatorTrainingSource(sim, 60), opts);
      const rows = [...Array(set.rows).keys()].filter((r) => set.split[r] === SPLIT_TEST);
      const x = new Float32Array(rows.length * FEATURE_COUNT);
      rows.forEach((r, i) =>
        x.set(set.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), i * FEATURE_COUNT),
      );
      const probs = await model.predict(x, rows.length);
      const auc = rocAuc(
        probs,
        Uint8Array.from(rows, (r) => set.y[r]!),
      );
      expect(auc).toBeCloseTo(report.manifest.evaluation.model.rocAuc, 3);
      expect(report.rows.test).toBe(rows.length);
    } finally {
      model.dispose();
    }
  });
});

describe('trainChurnModel: the fair baselines', () => {
  it('fits BG/NBD and Gamma-Gamma per customer with standard errors, compares on all, active and later rows', async () => {
    const sim = createSimulator({ customers: 600, seed: 8, startMs: START });
    const opts = { cutoffDays: [30, 45, 60, 80], seed: 8 } as const;
    const out = path.join(dir, 'baselines');
    const report = await trainChurnModel({
      ...opts,
      source: simulatorTrainingSource(sim, 120),
      outDir: out,
      mlp: { maxEpochs: 3 },
      replicates: 100,
      outOfTimeCutoffs: 1,
    });
    const m = report.manifest;
    expect(Object.keys(m.bgnbd?.standardErrors ?? {}).sort()).toEqual(['a', 'alpha', 'b', 'r']);
    expect(m.bgnbd?.customers).toBeGreaterThan(100);
    expect(m.gammaGamma?.q).toBeGreaterThan(1);
    const { all, active, outOfTime } = m.evaluation.comparisons!;
    expect(all.baselines.map((b) => b.name)).toEqual(['bgnbd_activity', 'bgnbd_purchase']);
    expect(m.evaluation.baseline).toMatchObject({ name: 'bgnbd_activity', rocAuc: all.baselines[0]!.rocAuc });
    for (const c of [all, active!, outOfTime!]) {
      for (const b of c.baselines) {
        const d = b.difference.rocAuc;
        expect(d.low!).toBeLessThanOrEqual(d.estimate!);
        expect(d.high!).toBeGreaterThanOrEqual(d.estimate!);
      }
    }
    // Independently of the code under test: test rows whose customer acted (anything but a send or a cancel)
    // in the 7 days before the cut-off, and test rows at the last cut-off.
    const set = await replayTrainingSet(simulatorTrainingSource(sim, 120), opts);
    const history = sim.eventsBetween(START, START + 120 * DAY_MS);
    const test = [...Array(set.rows).keys()].filter((r) => set.split[r] === SPLIT_TEST);
    const actedWithin7 = (r: number): boolean => {
      const id = set.customerIds[set.customer[r]!];
      const cut = set.cutoffMs[r]!;
      return history.some(
        (e) =>
          e.customerId === id &&
          e.type !== 'message_sent' &&
          e.type !== 'cancel' &&
          e.ts < cut &&
          e.ts >= cut - 7 * DAY_MS,
      );
    };
    expect(active!.rows).toBe(test.filter(actedWithin7).length);
    expect(active!.rows).toBeLessThan(all.rows);
    expect(outOfTime!.rows).toBe(test.filter((r) => set.cutoffMs[r] === START + 80 * DAY_MS).length);
  });
});

const shipped = (version: string): string =>
  path.join(import.meta.dirname, '../../models/churn-default', version);

describe('the shipped default model', () => {
  it('version 3 carries per-customer BG/NBD and Gamma-Gamma fits and its comparison with the fair baselines', async () => {
    const model = await loadChurnModel(shipped('3'));
    try {
      const m = model.manifest;
      const bg = m.bgnbd!;
      // Non-degenerate: a real share of customers drops out after a purchase (a/(a+b)), every SE finite.
      expect(bg.a / (bg.a + bg.b)).toBeGreaterThan(0.02);
      expect(bg.a / (bg.a + bg.b)).toBeLessThan(0.5);
      for (const k of ['r', 'alpha', 'a', 'b'] as const) {
        expect(bg.standardErrors![k]!).toBeGreaterThan(0);
        expect(bg.standardErrors![k]!).toBeLessThan(bg[k]);
      }
      expect(m.gammaGamma!.q).toBeGreaterThan(1);
      const { all, active, outOfTime } = m.evaluation!.comparisons!;
      expect(all.baselines.map((b) => b.name)).toEqual(['bgnbd_activity', 'bgnbd_purchase']);
      expect(active!.rows).toBeGreaterThan(1000);
      expect(outOfTime!.rows).toBeGreaterThan(500);
      // The model beats the strongest fair baseline on all rows and on active customers, intervals above 0.
      for (const c of [all, active!]) expect(c.baselines[0]!.difference.rocAuc.low).toBeGreaterThan(0);
      expect(m.features).toContain('purchase_days_lifetime');
      const out = await model.predict(new Float32Array(2 * FEATURE_COUNT), 2);
      expect(out).toHaveLength(2);
    } finally {
      model.dispose();
    }
  });

  it("spreads P(alive) across (0, 1) over the simulator's buyers, as score updates carry it", async () => {
    const model = await loadChurnModel(shipped('3'));
    try {
      const sim = createSimulator({ customers: 1500, seed: 99, startMs: START });
      const store = createCustomerStore({ initialCapacity: 2048 });
      let seq = 0;
      for (const batch of sim.batchesBetween(START, START + 180 * DAY_MS)) {
        store.apply(
          batch.map((event) => ({
            event,
            subject: '',
            data: new Uint8Array(0),
            streamSeq: ++seq,
            publishedAtMs: event.ts,
          })),
        );
      }
      const end = START + 180 * DAY_MS;
      const buyers: number[] = [];
      const row = new Float32Array(FEATURE_COUNT);
      for (let i = 0; i < sim.customers; i++) {
        const slot = store.slotOf(sim.customerId(i));
        if (slot === undefined) continue;
        store.features(slot, end, row, 0);
        if (row[featureIndex('purchase_days_lifetime')]! < 2) continue;
        const cols = bgnbdColumns(model, row, 1, { horizonDays: 90, annualDiscountRate: 0 });
        buyers.push(cols.pAlive![0]!);
        expect(cols.predictedClv![0]).toBeGreaterThanOrEqual(0);
      }
      buyers.sort((x, y) => x - y);
      const q = (p: number): number => buyers[Math.floor(p * (buyers.length - 1))]!;
      expect(buyers.length).toBeGreaterThan(300);
      expect(q(0.1)).toBeLessThan(0.5);
      expect(q(0.5)).toBeGreaterThan(0.5);
      expect(buyers.filter((p) => p > 0.99).length / buyers.length).toBeLessThan(0.5);
    } finally {
      model.dispose();
    }
  });

  it('version 2 still loads and scores; its degenerate BG/NBD parameters are gone', async () => {
    const model = await loadChurnModel(shipped('2'));
    try {
      expect(model.manifest.bgnbd).toBeUndefined();
      expect(await model.predict(new Float32Array(FEATURE_COUNT), 1)).toHaveLength(1);
    } finally {
      model.dispose();
    }
  });

  it('version 1 (the rollback target) still loads and scores', async () => {
    const model = await loadChurnModel(shipped('1'));
    try {
      expect(model.manifest.version).toBe('1');
      expect(await model.predict(new Float32Array(FEATURE_COUNT), 1)).toHaveLength(1);
    } finally {
      model.dispose();
    }
  });
});
