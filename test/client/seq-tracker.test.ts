import { describe, expect, it } from 'vitest';
import { createSeqTracker } from '../../src/client/seq-tracker.js';

describe('createSeqTracker', () => {
  it('accepts rising seqs and drops duplicates and older ones, per customer', () => {
    const t = createSeqTracker(10);
    expect(t.accept('a', 5)).toBe(true);
    expect(t.accept('a', 5)).toBe(false);
    expect(t.accept('a', 4)).toBe(false);
    expect(t.accept('b', 1)).toBe(true);
    expect(t.accept('a', 6)).toBe(true);
  });

  it('forgets a customer so its next sequence, starting lower, is accepted', () => {
    const t = createSeqTracker(10);
    t.accept('a', 1_000_007);
    t.forget('a');
    expect(t.accept('a', 1_000_001)).toBe(true);
  });

  it('holds at most its bound, forgetting the least recently updated customer first', () => {
    const t = createSeqTracker(2);
    t.accept('a', 1);
    t.accept('b', 1);
    t.accept('a', 2); // a is now the most recent: b goes first
    t.accept('c', 1);
    expect(t.size).toBe(2);
    expect(t.accept('c', 1)).toBe(false); // remembered
    expect(t.accept('a', 2)).toBe(false); // remembered
    expect(t.accept('b', 1)).toBe(true); // forgotten: accepted again (the cost of the bound)
  });

  it('refuses a bound that is not a whole number >= 1', () => {
    expect(() => createSeqTracker(0)).toThrow(RangeError);
    expect(() => createSeqTracker(1.5)).toThrow(RangeError);
  });
});
