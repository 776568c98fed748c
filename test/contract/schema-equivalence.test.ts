import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CustomerEventSchema } from '../../src/contract/event.js';
import { ScoreUpdateSchema } from '../../src/contract/score-update.js';
import { STAGES } from '../../src/score/types.js';
import { mutatedEventArb, mutationArbOf, mutate, validEventArb } from './event-arbitraries.js';

function shipped(name: string): object {
  return JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')) as object;
}

// unicode / unicodeRegExp false: count lengths and match patterns in UTF-16 code units, as TypeBox and the
// engine do (the shipped files say so in $comment). strict: every keyword in the files must be known to ajv.
const ajv = new Ajv({ unicode: false, unicodeRegExp: false, strict: true, allErrors: false });
const ajvEvent = ajv.compile(shipped('customer-event.json'));
const ajvScore = ajv.compile(shipped('score-update.json'));
const tbEvent = TypeCompiler.Compile(CustomerEventSchema);
const tbScore = TypeCompiler.Compile(ScoreUpdateSchema);

/** What a JSON consumer sees of a value: NaN and infinities become null, undefined fields vanish. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value) ?? 'null') as unknown;
}

describe('the shipped customer-event.json accepts exactly what the TypeBox check accepts', () => {
  it('on valid events', () => {
    fc.assert(
      fc.property(validEventArb, (event) => {
        const json = asJson(event);
        expect(ajvEvent(json)).toBe(true);
        expect(tbEvent.Check(json)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('on mutated events, both ways', () => {
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(mutatedEventArb, (value) => {
        const json = asJson(value);
        const expected = tbEvent.Check(json);
        seen[expected ? 'accepted' : 'refused']++;
        expect(ajvEvent(json)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
    expect(seen.accepted).toBeGreaterThan(300);
    expect(seen.refused).toBeGreaterThan(1500);
  });

  it('on props keys at the 64-character limit, astral characters included', () => {
    const key64 = '😀'.repeat(32);
    for (const key of [key64, key64 + 'x', 'a\nb']) {
      const json = { customerId: 'c', type: 'x', ts: 0, props: { [key]: 1 } };
      expect(ajvEvent(json)).toBe(tbEvent.Check(json));
    }
  });
});

describe('the shipped score-update.json accepts exactly what the TypeBox check accepts', () => {
  const updateArb = fc.record(
    {
      customerId: fc.string({ minLength: 1, maxLength: 128 }),
      seq: fc.integer({ min: 1 }),
      eventTime: fc.integer({ min: 0 }),
      churnRisk: fc.double({ min: 0, max: 1, noNaN: true }),
      engagement: fc.integer({ min: 0, max: 100 }),
      stage: fc.constantFrom(...STAGES),
      segments: fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
      reasons: fc.array(
        fc.record({
          feature: fc.string({ maxLength: 12 }),
          direction: fc.constantFrom('up', 'down'),
          weight: fc.double({ noNaN: true, noDefaultInfinity: true }),
        }),
        { maxLength: 3 },
      ),
      model: fc.record({ name: fc.string(), version: fc.string() }),
      pAlive: fc.double({ min: 0, max: 1, noNaN: true }),
      expectedPurchases: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
    },
    {
      requiredKeys: [
        'customerId',
        'seq',
        'eventTime',
        'churnRisk',
        'engagement',
        'stage',
        'segments',
        'reasons',
        'model',
      ],
    },
  );
  const fieldArb = fc.constantFrom(
    'customerId',
    'seq',
    'eventTime',
    'churnRisk',
    'engagement',
    'stage',
    'segments',
    'reasons',
    'model',
    'pAlive',
    'expectedPurchases',
  );

  it('on valid and mutated updates', () => {
    const seen = { accepted: 0, refused: 0 };
    const mutationOfUpdate = fc.option(mutationArbOf(fieldArb), { nil: undefined });
    fc.assert(
      fc.property(updateArb, mutationOfUpdate, (update, mutation) => {
        const json = asJson(mutation === undefined ? update : mutate(update, mutation));
        const expected = tbScore.Check(json);
        if (mutation === undefined) expect(expected).toBe(true);
        seen[expected ? 'accepted' : 'refused']++;
        expect(ajvScore(json)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    expect(seen.accepted).toBeGreaterThan(200);
    expect(seen.refused).toBeGreaterThan(500);
  });
});
