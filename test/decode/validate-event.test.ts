import { TypeCompiler } from '@sinclair/typebox/compiler';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CustomerEventSchema } from '../../src/contract/event.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { DEFAULT_DECODE_OPTIONS, Problem, validateEvent } from '../../src/decode/index.js';
import { UNEXPLAINED_SCHEMA_FAILURE } from '../../src/decode/validate-event.js';
import {
  LATEST_TS,
  mutatedEventArb,
  schemaValidEventArb,
  validEventArb,
} from '../contract/event-arbitraries.js';

const schemaCheck = TypeCompiler.Compile(CustomerEventSchema);
const NOW = LATEST_TS;

function ownSubject(value: unknown): string {
  const v = value as { customerId?: unknown; type?: unknown } | null;
  return typeof v?.customerId === 'string' && typeof v.type === 'string'
    ? eventSubject('events', v.customerId, v.type)
    : 'events.x.page_view';
}

describe('validateEvent', () => {
  it('accepts every valid event on its own subject and returns exactly its fields', () => {
    fc.assert(
      fc.property(validEventArb, (event) => {
        const result = validateEvent(event, ownSubject(event), DEFAULT_DECODE_OPTIONS, NOW);
        expect(result).not.toBeInstanceOf(Problem);
        expect(result).toEqual(event);
      }),
      { numRuns: 300 },
    );
  });

  it('names a field-level reason whenever the schema check fails, and accepts only what the schema accepts', () => {
    let refused = 0;
    fc.assert(
      fc.property(mutatedEventArb, (value) => {
        const result = validateEvent(value, ownSubject(value), DEFAULT_DECODE_OPTIONS, NOW);
        if (!schemaCheck.Check(value)) {
          refused++;
          expect(result).toBeInstanceOf(Problem);
          expect((result as Problem).detail).not.toBe(UNEXPLAINED_SCHEMA_FAILURE);
        } else if (!(result instanceof Problem)) {
          // Accepted: the output is the known fields of the input, nothing else.
          const v = value as Record<string, unknown>;
          expect(result).toEqual({
            id: v.id,
            customerId: v.customerId,
            type: v.type,
            ts: v.ts,
            value: v.value,
            channel: v.channel,
            props: v.props,
          });
        }
      }),
      { numRuns: 2000 },
    );
    // The mutations must mostly break the schema, or this test would prove little.
    expect(refused).toBeGreaterThan(1000);
  });

  it('refuses schema-valid events that break a domain rule with out_of_range or missing_field only', () => {
    fc.assert(
      fc.property(schemaValidEventArb, (event) => {
        const result = validateEvent(event, ownSubject(event), DEFAULT_DECODE_OPTIONS, NOW);
        if (result instanceof Problem) expect(['out_of_range', 'missing_field']).toContain(result.reason);
      }),
      { numRuns: 500 },
    );
  });

  it('returns a fresh object, never the decoded payload itself', () => {
    const payload = { customerId: 'c1', type: 'app_open', ts: 1, extra: 1 };
    const result = validateEvent(payload, 'events.c1.app_open', DEFAULT_DECODE_OPTIONS, NOW);
    expect(result).not.toBe(payload);
    expect(result).not.toHaveProperty('extra');
  });

  it('honours a custom subject prefix', () => {
    const payload = { customerId: 'c1', type: 'app_open', ts: 1 };
    const options = { ...DEFAULT_DECODE_OPTIONS, subjectPrefix: 'acme.events' };
    expect(validateEvent(payload, 'acme.events.c1.app_open', options, NOW)).toEqual(payload);
    const wrong = validateEvent(payload, 'events.c1.app_open', options, NOW);
    expect(wrong).toBeInstanceOf(Problem);
    expect((wrong as Problem).reason).toBe('invalid_subject');
  });
});
