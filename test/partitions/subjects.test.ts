import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customerToken, parseEventSubject } from '../../src/contract/subjects.js';
import {
  checkPartitionedSubject,
  fnv1a32,
  fnv1a32Bytes,
  partitionClockTickSubject,
  partitionEventPrefix,
  partitionFilterSubject,
  partitionOfSubject,
  partitionOfToken,
  partitionTransform,
  partitionedStreamSubjects,
  subjectMappingConfig,
} from '../../src/partitions/index.js';
import { customerIdArb } from '../contract/event-arbitraries.js';

describe('fnv1a32 (Go hash/fnv New32a, what nats-server partition() hashes with)', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
    ['chongo was here!\n', 0xd49930d5],
  ])('%j -> %i', (text, hash) => {
    expect(fnv1a32(text)).toBe(hash);
    expect(fnv1a32Bytes(new TextEncoder().encode(text))).toBe(hash);
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(fnv1a32(s)).toBe(fnv1a32Bytes(new TextEncoder().encode(s)));
      }),
    );
  });
});

describe('partitionOfToken', () => {
  it('is in 0..P-1, and 0 for P = 1', () => {
    fc.assert(
      fc.property(customerIdArb, fc.integer({ min: 1, max: 1024 }), (id, count) => {
        const p = partitionOfToken(customerToken(id), count);
        expect(Number.isInteger(p) && p >= 0 && p < count).toBe(true);
        expect(partitionOfToken(customerToken(id), 1)).toBe(0);
      }),
    );
  });

  it('refuses a count that is not a whole number >= 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => partitionOfToken('a', bad)).toThrow(RangeError);
  });
});

describe('partitionOfSubject', () => {
  it.each([
    ['pevents.0.alice.purchase', 'pevents', 0],
    ['pevents.17.alice.purchase', 'pevents', 17],
    ['pevents.3', 'pevents', 3],
    ['a.b.5.x.y', 'a.b', 5],
    ['pevents.2147483647.x.y', 'pevents', 2147483647],
  ])('%s under %s -> %i', (subject, prefix, p) => {
    expect(partitionOfSubject(subject, prefix)).toBe(p);
  });

  it.each([
    ['events.alice.purchase', 'pevents'],
    ['peventsX.1.a.b', 'pevents'],
    ['pevents', 'pevents'],
    ['pevents.', 'pevents'],
    ['pevents.01.a.b', 'pevents'],
    ['pevents.-1.a.b', 'pevents'],
    ['pevents.1e3.a.b', 'pevents'],
    ['pevents.2147483648.a.b', 'pevents'],
    ['pevents.alice.purchase', 'pevents'],
  ])('%s under %s -> undefined', (subject, prefix) => {
    expect(partitionOfSubject(subject, prefix)).toBeUndefined();
  });

  it('reads back the partition of every subject the helpers build, and the event rule reads the rest', () => {
    fc.assert(
      fc.property(customerIdArb, fc.integer({ min: 1, max: 64 }), (id, count) => {
        const token = customerToken(id);
        const p = partitionOfToken(token, count);
        const subject = `${partitionEventPrefix('pevents', p)}.${token}.purchase`;
        expect(partitionOfSubject(subject, 'pevents')).toBe(p);
        expect(checkPartitionedSubject(subject, 'pevents', count)).toEqual({
          kind: 'ok',
          partition: p,
          token,
          tick: false,
        });
        expect(parseEventSubject(partitionEventPrefix('pevents', p), subject)).toEqual({
          customerId: id,
          type: 'purchase',
        });
      }),
    );
  });
});

describe('checkPartitionedSubject', () => {
  const P = 8;
  const token = 'alice';
  const p = partitionOfToken(token, P);

  it('flags an event stored in another partition than its token hashes to (published past the mapping)', () => {
    const wrong = (p + 1) % P;
    expect(checkPartitionedSubject(`pevents.${wrong}.alice.purchase`, 'pevents', P)).toEqual({
      kind: 'wrong_partition',
      partition: wrong,
      expected: p,
      token,
    });
  });

  it('accepts the clock ticks of every partition', () => {
    for (let q = 0; q < P; q++) {
      expect(checkPartitionedSubject(partitionClockTickSubject('pevents', q), 'pevents', P)).toMatchObject({
        kind: 'ok',
        partition: q,
        tick: true,
      });
    }
  });

  it.each([
    [`pevents.${P}.alice.purchase`],
    ['pevents.1.alice'],
    ['pevents.1.alice.'],
    ['pevents.1..purchase'],
    ['events.alice.purchase'],
  ])('%s is not a partitioned event subject', (subject) => {
    expect(checkPartitionedSubject(subject, 'pevents', P)).toEqual({ kind: 'not_partitioned' });
  });
});

describe('server configuration text', () => {
  it('is the mapping DESIGN.md shows, for any P and prefixes', () => {
    expect(subjectMappingConfig({ count: 4 })).toBe(
      'mappings = { "events.*.*": "pevents.{{partition(4,1)}}.{{wildcard(1)}}.{{wildcard(2)}}" }',
    );
    expect(
      partitionTransform({ count: 16, eventPrefix: 'shop.events', partitionedPrefix: 'shop.p' }),
    ).toEqual({
      src: 'shop.events.*.*',
      dest: 'shop.p.{{partition(16,1)}}.{{wildcard(1)}}.{{wildcard(2)}}',
    });
    expect(() => subjectMappingConfig({ count: 0 })).toThrow(RangeError);
  });

  it('gives the 2.10+ stream alternative, taking the per-partition clock ticks too', () => {
    expect(partitionedStreamSubjects({ count: 4 })).toEqual({
      subjects: ['events.*.*', 'pevents.*.$clock.tick'],
      subject_transform: {
        src: 'events.*.*',
        dest: 'pevents.{{partition(4,1)}}.{{wildcard(1)}}.{{wildcard(2)}}',
      },
    });
  });

  it('names the per-partition subjects an engine consumes and writes', () => {
    expect(partitionFilterSubject('pevents', 3)).toBe('pevents.3.>');
    expect(partitionClockTickSubject('pevents', 3)).toBe('pevents.3.$clock.tick');
  });
});
