import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { DeadLetterHeaders, ScoreUpdateSchema, type ScoreUpdate } from '../../src/contract/score-update.js';
import { STAGES } from '../../src/score/types.js';

const check = TypeCompiler.Compile(ScoreUpdateSchema);

const update: ScoreUpdate = {
  customerId: 'c1',
  seq: 1,
  eventTime: 1_760_000_000_000,
  churnRisk: 0.42,
  engagement: 63,
  stage: 'repeat',
  segments: ['big_spenders'],
  reasons: [{ feature: 'days_since_last_purchase', direction: 'up', weight: 0.3 }],
  model: { name: 'churn-mlp', version: '1.0.0' },
};

describe('ScoreUpdateSchema', () => {
  it('accepts a full update, with and without the BG/NBD fields', () => {
    expect(check.Check(update)).toBe(true);
    expect(check.Check({ ...update, pAlive: 0.9, expectedPurchases: 2.5, reasons: [] })).toBe(true);
    expect(check.Check({ ...update, pAlive: 0.9, expectedPurchases: 2.5, predictedClv: 184.2 })).toBe(true);
  });

  it('accepts every lifecycle stage', () => {
    for (const stage of STAGES) expect(check.Check({ ...update, stage })).toBe(true);
  });

  it.each([
    ['seq 0', { seq: 0 }],
    ['fractional seq', { seq: 1.5 }],
    ['churnRisk above 1', { churnRisk: 1.01 }],
    ['negative churnRisk', { churnRisk: -0.1 }],
    ['fractional engagement', { engagement: 50.5 }],
    ['engagement over 100', { engagement: 101 }],
    ['unknown stage', { stage: 'dormant' }],
    ['reason direction sideways', { reasons: [{ feature: 'x', direction: 'sideways', weight: 1 }] }],
    ['pAlive above 1', { pAlive: 2 }],
    ['negative expectedPurchases', { expectedPurchases: -1 }],
    ['negative predictedClv', { predictedClv: -5 }],
    ['model without version', { model: { name: 'm' } }],
    ['empty customerId', { customerId: '' }],
  ])('refuses %s', (_name, change) => {
    expect(check.Check({ ...update, ...change })).toBe(false);
  });

  it.each([
    'customerId',
    'seq',
    'eventTime',
    'churnRisk',
    'engagement',
    'stage',
    'segments',
    'reasons',
    'model',
  ])('requires %s', (field) => {
    const copy: Record<string, unknown> = { ...update };
    delete copy[field];
    expect(check.Check(copy)).toBe(false);
  });

  it('has its published $id', () => {
    expect(ScoreUpdateSchema.$id).toBe('https://churnflow.dev/schemas/score-update.json');
  });
});

describe('DeadLetterHeaders', () => {
  it('names the headers a dead-letter message carries, each once', () => {
    expect(DeadLetterHeaders).toEqual({
      reason: 'Churnflow-Reason',
      detail: 'Churnflow-Detail',
      subject: 'Churnflow-Subject',
      streamSeq: 'Churnflow-Stream-Seq',
      contentType: 'Content-Type',
      truncated: 'Churnflow-Truncated',
      originalSize: 'Churnflow-Original-Size',
    });
  });
});
