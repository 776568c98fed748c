import { describe, expect, it } from 'vitest';
import { readDeliveryFacts } from '../../src/ingest/delivery-info.js';

const out = () => ({ streamSeq: 0, storedAtMs: 0, pending: 0 });

describe('readDeliveryFacts', () => {
  it('reads the pre-domain 9-token form', () => {
    const f = readDeliveryFacts('$JS.ACK.EVENTS.engine.1.4711.42.1795520000123456789.9', out());
    expect(f.streamSeq).toBe(4711);
    // Nanoseconds beyond 2^53 lose their last digits; milliseconds stay exact to well under a microsecond.
    expect(f.storedAtMs).toBeCloseTo(1795520000123.4568, 2);
    expect(f.pending).toBe(9);
  });

  it('reads the domain forms with and without the random token', () => {
    expect(readDeliveryFacts('$JS.ACK._.ACC.EVENTS.engine.2.18.17.1700000000000000000.0.xyz', out())).toEqual(
      {
        streamSeq: 18,
        storedAtMs: 1700000000000,
        pending: 0,
      },
    );
    expect(
      readDeliveryFacts('$JS.ACK.hub.ACC.EVENTS.engine.1.5.5.1700000000001000000.3', out()).streamSeq,
    ).toBe(5);
    expect(
      readDeliveryFacts('$JS.ACK.hub.ACC.EVENTS.engine.1.5.5.1700000000001000000.3', out()).pending,
    ).toBe(3);
    expect(readDeliveryFacts('$JS.ACK._.ACC.S.c.1.9.9.1700000000000000000.12345.r4nd', out()).pending).toBe(
      12345,
    );
  });

  it('says NaN for anything else instead of guessing', () => {
    expect(readDeliveryFacts('_INBOX.abc', out()).streamSeq).toBeNaN();
    expect(readDeliveryFacts('$JS.ACK.S.c.1.x2.3.4.5', out()).streamSeq).toBeNaN();
    expect(readDeliveryFacts('', out()).storedAtMs).toBeNaN();
    expect(readDeliveryFacts('_INBOX.abc', out()).pending).toBeNaN();
  });
});
