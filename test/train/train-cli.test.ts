import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainCommand } from '../../src/cli/train.js';
import { oneLine, refusals } from '../../src/cli/train-output.js';
import type { CustomerEvent } from '../../src/contract/event.js';
import { writeEventFile } from '../../src/ingest/event-file.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';
import { loadChurnModel } from '../../src/score/churn-model.js';
import { readManifest } from '../../src/score/manifest.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';

let dir = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'churnflow-train-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `churnflow train <args>` through the real commander command; returns the exit code it set. */
async function train(args: string[]): Promise<number | string | undefined> {
  const before = process.exitCode;
  try {
    await trainCommand().parseAsync([...args, '--out', dir, '--backend', 'cpu'], { from: 'user' });
    return process.exitCode;
  } finally {
    process.exitCode = before;
  }
}

/** {@link train}, with what it wrote to stdout and stderr. */
async function trainCaptured(args: string[]): Promise<{ code: unknown; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await train(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const SMALL = ['--customers', '300', '--days', '90', '--warmup-days', '30', '--epochs', '4', '--seed', '3'];

describe('churnflow train (simulator)', () => {
  it('writes <out>/<name>/<next version>/ that the engine loads, with model and BG/NBD evaluated', async () => {
    expect(await train(SMALL)).toBe(0);
    const modelDir = path.join(dir, 'churn-default', '1');
    const model = await loadChurnModel(modelDir);
    try {
      const m = model.manifest;
      expect(m).toMatchObject({ name: 'churn-default', version: '1', format: 'layers' });
      expect(m.churnDefinition).toEqual({ kind: 'no_activity', days: 30 });
      expect(m.trainingWindow?.cutoffs).toEqual(
        ['2025-01-31', '2025-02-15', '2025-03-02'].map((d) => `${d}T00:00:00.000Z`),
      );
      expect(m.bgnbd).toMatchObject({ timeUnitDays: 7 });
      for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(m.bgnbd![k]).toBeGreaterThan(0);
      const ev = m.evaluation!;
      expect(ev.model.name).toBe('model');
      expect(ev.baseline?.name).toBe('bgnbd_activity');
      expect(ev.holdoutRows).toBeGreaterThan(50);
      expect(ev.calibration).toHaveLength(10);
      expect(ev.calibration.reduce((n, b) => n + b.count, 0)).toBe(ev.holdoutRows);
      expect(ev.model.rocAuc).toBeGreaterThan(0.6);
      expect(await model.predict(new Float32Array(3 * FEATURE_COUNT), 3)).toHaveLength(3);
    } finally {
      model.dispose();
    }
    const report = await readFile(path.join(modelDir, 'report.md'), 'utf8');
    expect(report).toContain('| BG/NBD on own-activity days: P(no activity within 30 days) |');
    expect(report).toContain('churnflow train --source simulator --customers 300 --days 90');
  }, 30_000);

  it('picks the next version, and refuses to overwrite an existing one', async () => {
    expect(await train([...SMALL, '--definition', 'no_purchase'])).toBe(0);
    const m2 = await readManifest(path.join(dir, 'churn-default', '2'));
    expect(m2.version).toBe('2');
    expect(m2.churnDefinition.kind).toBe('no_purchase');
    // A no_purchase label is matched by purchase BG/NBD alone.
    expect(m2.evaluation?.comparisons?.all.baselines.map((b) => b.name)).toEqual(['bgnbd_purchase']);
    expect(await train([...SMALL, '--version', '1'])).toBe(2);
  }, 30_000);

  it('adds an out-of-time comparison and a chosen active subset on request, and records them in the command', async () => {
    const args = [
      ...SMALL,
      '--days',
      '120',
      '--out-of-time-cutoffs',
      '1',
      '--active-days',
      '3',
      '--bootstrap',
      '50',
    ];
    expect(await train([...args, '--version', '5'])).toBe(0);
    const m = await readManifest(path.join(dir, 'churn-default', '5'));
    const ev = m.evaluation!;
    expect(ev.protocol).toMatchObject({ activeWithinDays: 3, replicates: 50 });
    expect(ev.protocol?.outOfTime).toMatch(/last 1 cut-off/);
    // Cut-offs every 15 days from day 30 with 30 days of look-ahead in 120 days: the last is day 90.
    expect(ev.protocol?.outOfTime).toContain('2025-04-01T00:00:00.000Z');
    expect(ev.comparisons?.outOfTime?.rows).toBeGreaterThan(0);
    expect(ev.comparisons!.active!.rows).toBeLessThan(ev.comparisons!.all.rows);
    const report = await readFile(path.join(dir, 'churn-default', '5', 'report.md'), 'utf8');
    expect(report).toContain('### Out of time');
    expect(report).toContain('--out-of-time-cutoffs 1');
    expect(await train([...SMALL, '--out-of-time-cutoffs', '9', '--version', '6'])).toBe(1);
  }, 60_000);

  it('refuses inconsistent options with exit code 2', async () => {
    expect(await train(['--source', 'file'])).toBe(2);
    expect(await train(['--from', '10'])).toBe(2);
  });

  it('fails on too little history with exit code 1 and one line, no stack trace', async () => {
    // 10 days of history cannot hold a 60-day warm-up and a 30-day look-ahead.
    const r = await trainCaptured(['--customers', '50', '--days', '10', '--version', '9']);
    expect(r.code).toBe(1);
    // Off a terminal the progress lines come first; then the failure in one line and the refusals.
    const lines = r.err
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('churnflow train:'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^churnflow train: too little history: rows train 0 /);
    expect(lines[1]).toBe('churnflow train: refused so far: none');
    expect(r.err).not.toMatch(/^\s+at /m);
  });
});

describe('churnflow train (file out of event-time order)', () => {
  const START = Date.UTC(2025, 0, 1);
  const sim = createSimulator({ customers: 300, seed: 3, startMs: START });
  const events = sim.eventsBetween(START, START + 90 * DAY_MS);
  // Two bad records first, then the history grouped by customer, as a per-customer export comes out.
  const junk =
    '{"customerId": "c-000001", "type": "purch\n{"customerId":"c-000002","type":"nps","ts":1,"value":42}\n';
  const byCustomer = (e: readonly CustomerEvent[]): CustomerEvent[] =>
    [...e].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  let file = '';
  beforeAll(async () => {
    file = path.join(dir, 'by-customer.jsonl');
    await writeFile(file, junk);
    const rest = path.join(dir, 'rest.jsonl');
    await writeEventFile(rest, byCustomer(events));
    await appendFile(file, await readFile(rest));
  });
  const FILE = [
    '--source',
    'file',
    '--warmup-days',
    '30',
    '--epochs',
    '3',
    '--seed',
    '3',
    '--name',
    'from-file',
  ];

  it('sorts it, says so, trains, and prints the refusals by reason', async () => {
    const r = await trainCaptured([...FILE, '--file', file]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`input not in event-time order: ${events.length} events sorted by ts\n`);
    expect(r.out).toContain(`(${events.length} events, 2 invalid records skipped;`);
    expect(r.out).toContain('\nrefused: decode undecodable 1, out_of_range 1\n');
  }, 60_000);

  it('refuses it past --max-sort-events with exit code 1, naming the problem, the fix and the refusals so far', async () => {
    const r = await trainCaptured([...FILE, '--file', file, '--max-sort-events', '100', '--version', '7']);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`churnflow train: ${file} is not in event-time order and holds more than 100`);
    expect(lines[0]).toContain('sort -s -n -k1,1');
    expect(lines[0]).toContain('--max-sort-events');
    expect(lines[1]).toBe('churnflow train: refused so far: decode undecodable 1, out_of_range 1');
  });
});

describe('train output', () => {
  it('lists refusals by stage and reason', () => {
    expect(refusals({}, {})).toBe('none');
    expect(refusals({ undecodable: 1, out_of_range: 0 }, { too_old: 3 })).toBe(
      'decode undecodable 1; store too_old 3',
    );
  });

  it('puts an error on one line: a RangeError by its message, others with their name', () => {
    expect(oneLine(new RangeError('too little\n  history'))).toBe('too little history');
    expect(oneLine(new Error('ENOENT: no such file'))).toBe('Error: ENOENT: no such file');
  });
});
