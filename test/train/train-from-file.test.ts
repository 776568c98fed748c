import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeEventFile } from '../../src/ingest/event-file.js';
import { loadChurnModel } from '../../src/score/churn-model.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';
import {
  fileTrainingSource,
  replayTrainingSet,
  simulatorTrainingSource,
  trainChurnModel,
} from '../../src/train/index.js';

const START = Date.UTC(2025, 0, 1);
const DAYS = 90;
// The file's history ends at its last event (day 89.x): a cut-off at day 60 would lack a full 30-day look-ahead.
const OPTS = { cutoffDays: [30, 45], seed: 8 } as const;
const sim = createSimulator({ customers: 300, seed: 8, startMs: START });
let dir = '';
let file = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'churnflow-train-file-'));
  file = path.join(dir, 'events.jsonl');
  const events = sim.eventsBetween(START, START + DAYS * DAY_MS);
  const half = Math.floor(events.length / 2);
  // A corrupt line and an out-of-range rating in the middle of the history, as a real export might hold.
  await writeEventFile(file, events.slice(0, half));
  await appendFile(file, '{"customerId": "c-000001", "type": "purch\n');
  const bad = { customerId: 'c-000002', type: 'nps', ts: events[half]!.ts, value: 42 };
  await appendFile(file, JSON.stringify(bad) + '\n');
  const rest = path.join(dir, 'rest.jsonl');
  await writeEventFile(rest, events.slice(half));
  await appendFile(file, await readFile(rest));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('training from an event file', () => {
  it('decodes every record with the decode stage: bad ones are counted by reason and skipped', async () => {
    const source = fileTrainingSource(file);
    const set = await replayTrainingSet(source, OPTS);
    expect(source.stats.invalid).toBe(2);
    expect(source.stats.byReason).toEqual({ undecodable: 1, out_of_range: 1 });
    expect(source.stats.records).toBe(set.events + 2);
    // The valid records are the simulator's history: the very same rows, features and labels.
    const direct = await replayTrainingSet(simulatorTrainingSource(sim, DAYS), OPTS);
    expect(set.rows).toBe(direct.rows);
    expect(set.window.cutoffsMs).toEqual(direct.window.cutoffsMs);
    expect([...set.y]).toEqual([...direct.y]);
    expect(set.x).toEqual(direct.x);
    expect([...set.customer].map((i) => set.customerIds[i])).toEqual(
      [...direct.customer].map((i) => direct.customerIds[i]),
    );
  });

  it('trains a model the engine loads, reporting the skipped records', async () => {
    const outDir = path.join(dir, 'model');
    const report = await trainChurnModel({
      ...OPTS,
      source: fileTrainingSource(file),
      outDir,
      mlp: { maxEpochs: 3 },
    });
    expect(report.invalid).toBe(2);
    expect(report.manifest.evaluation.baseline?.name).toBe('bgnbd_activity');
    const model = await loadChurnModel(outDir);
    model.dispose();
    expect(await readFile(path.join(outDir, 'report.md'), 'utf8')).toContain(
      'invalid and skipped: 2 (undecodable 1, out_of_range 1)',
    );
  }, 20_000);

  it('places cut-offs from the first event when the extent is unknown, keeping full look-ahead windows', async () => {
    const set = await replayTrainingSet(fileTrainingSource(file), { cutoffEveryDays: 20, warmupDays: 20 });
    // Days 20 and 40 have 30 days of future before the last event (day 89.x); day 60 does not.
    expect(set.window.cutoffsMs).toEqual([START + 20 * DAY_MS, START + 40 * DAY_MS]);
    expect(set.window.fromMs).toBe(START);
  });

  it('an empty file makes no rows and no error', async () => {
    const empty = path.join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    const set = await replayTrainingSet(fileTrainingSource(empty));
    expect(set.rows).toBe(0);
  });
});
