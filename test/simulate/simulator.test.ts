import { describe, it, expect } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import {
  EVENT_TYPES,
  NON_NEGATIVE_VALUE_TYPES,
  RATING_RANGES,
  VALUE_REQUIRED_TYPES,
  type CatalogEventType,
} from '../../src/contract/catalog.js';
import { CustomerEventSchema, MAX_CUSTOMER_ID_LENGTH, type CustomerEvent } from '../../src/contract/event.js';
import { ARCHETYPES, DAY_MS, createSimulator } from '../../src/simulate/index.js';

const START = Date.UTC(2025, 0, 1);

// One sizeable run shared by the read-only checks below (about 0.3 s to generate).
const big = createSimulator({ customers: 1500, seed: 11, startMs: START });
const bigEvents = big.eventsBetween(START, START + 90 * DAY_MS);

function perCustomer(events: readonly CustomerEvent[]): Map<string, CustomerEvent[]> {
  const by = new Map<string, CustomerEvent[]>();
  for (const e of events) {
    const list = by.get(e.customerId);
    if (list === undefined) by.set(e.customerId, [e]);
    else list.push(e);
  }
  return by;
}

describe('simulator determinism', () => {
  it('gives the same events for the same seed and options', () => {
    const a = createSimulator({ customers: 200, seed: 5, startMs: START }).eventsBetween(
      START,
      START + 20 * DAY_MS,
    );
    const b = createSimulator({ customers: 200, seed: 5, startMs: START }).eventsBetween(
      START,
      START + 20 * DAY_MS,
    );
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toEqual(a);
  });

  it('gives different events for another seed', () => {
    const a = createSimulator({ customers: 200, seed: 5, startMs: START }).eventsBetween(
      START,
      START + 5 * DAY_MS,
    );
    const b = createSimulator({ customers: 200, seed: 6, startMs: START }).eventsBetween(
      START,
      START + 5 * DAY_MS,
    );
    expect(b.map((e) => e.ts)).not.toEqual(a.map((e) => e.ts));
  });

  it('yields the same events whatever windows the time is cut into', () => {
    const sim = createSimulator({ customers: 150, seed: 9, startMs: START });
    const whole = sim.eventsBetween(START + 3 * DAY_MS, START + 12 * DAY_MS);
    const cut = START + 7 * DAY_MS + 12_345_678; // mid-day, not on a day boundary
    const parts = [
      ...sim.eventsBetween(START + 3 * DAY_MS, cut),
      ...sim.eventsBetween(cut, START + 12 * DAY_MS),
    ];
    expect(parts).toEqual(whole);
    const batches = [...sim.batchesBetween(START + 3 * DAY_MS, START + 12 * DAY_MS, 6 * 3_600_000)];
    expect(batches.flat()).toEqual(whole);
    for (const b of batches) expect(b.at(-1)!.ts - b[0]!.ts).toBeLessThan(6 * 3_600_000);
  });

  it('returns nothing for an empty or reversed window and nothing before the start', () => {
    expect(big.eventsBetween(START + DAY_MS, START + DAY_MS)).toEqual([]);
    expect(big.eventsBetween(START + DAY_MS, START)).toEqual([]);
    expect(big.eventsBetween(START - 10 * DAY_MS, START)).toEqual([]);
  });
});

describe('simulated events', () => {
  it('are sorted by ts, inside the window, with unique ids', () => {
    // Plain loops collecting violations: one expect per event would dominate the run time.
    const unsorted = bigEvents.filter((e, i) => i > 0 && e.ts < bigEvents[i - 1]!.ts);
    expect(unsorted).toEqual([]);
    expect(bigEvents[0]!.ts).toBeGreaterThanOrEqual(START);
    expect(bigEvents.at(-1)!.ts).toBeLessThan(START + 90 * DAY_MS);
    expect(new Set(bigEvents.map((e) => e.id)).size).toBe(bigEvents.length);
  });

  it('cover every catalog type', () => {
    const seen = new Set(bigEvents.map((e) => e.type));
    expect(EVENT_TYPES.filter((t) => !seen.has(t))).toEqual([]);
  });

  it('are valid CustomerEvents with values in the catalog ranges', () => {
    const problems: string[] = [];
    for (const e of bigEvents) {
      const bad = (why: string): number => problems.push(`${why}: ${JSON.stringify(e)}`);
      if (!Value.Check(CustomerEventSchema, e)) bad('schema');
      if (VALUE_REQUIRED_TYPES.has(e.type) && e.value === undefined) bad('value missing');
      if (e.value !== undefined && !Number.isFinite(e.value)) bad('not finite');
      if (NON_NEGATIVE_VALUE_TYPES.has(e.type) && (e.value ?? 0) < 0) bad('negative');
      const range = RATING_RANGES[e.type as CatalogEventType];
      if (range !== undefined && !(e.value! >= range[0] && e.value! <= range[1])) bad('rating out of range');
      if ((e.type.startsWith('message_') || e.type === 'unsubscribe') && e.channel === undefined)
        bad('no channel');
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('use customer ids that exercise subject escaping', () => {
    const ids = new Set(bigEvents.map((e) => e.customerId));
    const special = [...ids].filter((id) => id.includes('.') && id.includes('@') && id.includes('+'));
    expect(special.length).toBeGreaterThan(ids.size * 0.03);
    expect([...ids].some((id) => /^c-\d{6}$/.test(id))).toBe(true);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(MAX_CUSTOMER_ID_LENGTH);
  });
});

describe('ground truth', () => {
  const byCustomer = perCustomer(bigEvents);
  const truths = [...Array(big.customers).keys()].map((i) => big.groundTruth(big.customerId(i))!);

  it('knows every customer and nobody else', () => {
    expect(truths.every((t) => t !== undefined)).toBe(true);
    expect(big.groundTruth('nobody')).toBeUndefined();
    expect(new Set(truths.map((t) => t.archetype))).toEqual(new Set(ARCHETYPES));
  });

  it('has no event before signup, and every cancel where the ground truth puts it', () => {
    let checkedCancels = 0;
    const problems: string[] = [];
    for (const t of truths) {
      const events = byCustomer.get(t.customerId) ?? [];
      for (const e of events) if (e.ts < t.signupMs) problems.push(`before signup: ${e.id}`);
      const cancels = events.filter((e) => e.type === 'cancel').map((e) => e.ts);
      const promised = t.cancelsAtMs.filter((ms) => ms >= START && ms < START + 90 * DAY_MS);
      checkedCancels += promised.length;
      if (JSON.stringify(cancels) !== JSON.stringify(promised)) {
        problems.push(
          `cancels of ${t.customerId}: ${JSON.stringify(cancels)} vs ${JSON.stringify(promised)}`,
        );
      }
      if (t.cancels !== t.cancelsAtMs.length > 0) problems.push(`cancels flag of ${t.customerId}`);
      if (t.cancels && !t.member) problems.push(`cancel without membership: ${t.customerId}`);
      if (t.churnAtMs !== (t.episodes[0]?.leftAtMs ?? null)) problems.push(`churnAtMs of ${t.customerId}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(checkedCancels).toBeGreaterThan(20);
  });

  it('gives archetypes their behaviour', () => {
    const rate = (archetype: string, type: string): number => {
      const members = truths.filter((t) => t.archetype === archetype);
      let n = 0;
      for (const t of members) for (const e of byCustomer.get(t.customerId) ?? []) if (e.type === type) n++;
      return n / members.length;
    };
    const meanOf = (archetype: string, type: string): number => {
      const values = truths
        .filter((t) => t.archetype === archetype)
        .flatMap((t) =>
          (byCustomer.get(t.customerId) ?? []).filter((e) => e.type === type).map((e) => e.value!),
        );
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    expect(rate('advocate', 'referral')).toBeGreaterThan(5 * rate('loyal', 'referral'));
    expect(rate('unhappy', 'support_ticket')).toBeGreaterThan(5 * rate('loyal', 'support_ticket'));
    expect(meanOf('unhappy', 'csat')).toBeLessThan(meanOf('loyal', 'csat') - 1.5);
    expect(meanOf('advocate', 'nps')).toBeGreaterThan(8.5);
    expect(rate('loyal', 'purchase')).toBeGreaterThan(3 * rate('silent', 'purchase'));
    // Responsive channel: customers open far more on the channel they respond to.
    const opens = { own: 0, other: 0 };
    for (const t of truths) {
      for (const e of byCustomer.get(t.customerId) ?? []) {
        if (e.type === 'message_open' && e.channel === 'email')
          opens[t.responsiveChannel === 'email' ? 'own' : 'other']++;
      }
    }
    expect(opens.own).toBeGreaterThan(2 * opens.other);
  });
});
