import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { customerToken } from '../../src/contract/subjects.js';
import {
  checkPartitionedSubject,
  partitionClockTickSubject,
  partitionOfSubject,
  partitionOfToken,
  subjectMappingConfig,
} from '../../src/partitions/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

/**
 * The account mapping the docs give, on Debian's nats-server 2.9.10: producers publish `events.<token>.<type>`,
 * the stream capturing `pevents.>` stores `pevents.<p>.<token>.<type>`, and `partitionOfToken` computes the same p.
 */

const TOKENS = 3_000;

/** Customer ids of every shape the token rule produces: verbatim, escaped ASCII, multi-byte UTF-8. */
function customerIds(n: number): string[] {
  const shapes = [
    (i: number) => `c-${i}`,
    (i: number) => `user_${(i * 2654435761) >>> 0}`,
    (i: number) => `ann.lee+${i}@example.com`,
    (i: number) => `Zoë ${i} 😀`,
    (i: number) => `${i}`,
    (i: number) => `客户-${i}`,
  ];
  return Array.from({ length: n }, (_, i) => shapes[i % shapes.length]!(i));
}

/** Every message of a stream, oldest first (an ordered consumer). */
async function readStream(nc: NatsConnection, stream: string): Promise<JsMsg[]> {
  const { state } = await (await jetstreamManager(nc)).streams.info(stream);
  if (state.messages === 0) return [];
  const out: JsMsg[] = [];
  const messages = await (await jetstream(nc).consumers.get(stream)).consume();
  for await (const m of messages) {
    out.push(m);
    if (m.seq >= state.last_seq) break;
  }
  return out;
}

async function waitForMessages(nc: NatsConnection, stream: string, n: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (let i = 0; i < 200; i++) {
    if ((await jsm.streams.info(stream)).state.messages >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`stream ${stream} never reached ${n} messages`);
}

describe.each([1, 4, 7, 64])('the mapping with P = %i on nats-server 2.9', (P) => {
  let fx: NatsFixture;
  const stream = uniqueName('PEVENTS');
  const unmapped = uniqueName('UNMAPPED');

  beforeAll(async () => {
    fx = await natsFixture({ server: { config: `${subjectMappingConfig({ count: P })}\n` } });
    const jsm = await jetstreamManager(fx.nc);
    await jsm.streams.add({ name: stream, subjects: ['pevents.>'] });
    // Only what the mapping does not match (a wrong token count) can land here: mapped subjects never do.
    await jsm.streams.add({ name: unmapped, subjects: ['events.>'] });
  });
  afterAll(async () => fx?.[Symbol.asyncDispose]());

  it(`stores ${TOKENS} customers' events under the partition partitionOfToken computes, stable per customer`, async () => {
    const tokens = customerIds(TOKENS).map(customerToken);
    const js = jetstream(fx.nc);
    // A JetStream publish is acknowledged by the stream of the mapped subject...
    const ack = await js.publish(`events.${tokens[0]!}.purchase`, 'x');
    expect(ack.stream).toBe(stream);
    // ...and core publishes (what most producers do) are mapped the same way.
    for (const t of tokens.slice(1)) fx.nc.publish(`events.${t}.purchase`, 'x');
    for (const t of tokens) fx.nc.publish(`events.${t}.page_view`, 'y');
    await fx.nc.flush();
    await waitForMessages(fx.nc, stream, 2 * TOKENS);

    const stored = await readStream(fx.nc, stream);
    expect(stored).toHaveLength(2 * TOKENS);
    const partitionOf = new Map<string, number>();
    const perPartition = new Array<number>(P).fill(0);
    for (const m of stored) {
      const p = partitionOfSubject(m.subject, 'pevents');
      expect(p, m.subject).toBeDefined();
      const rest = m.subject.slice(`pevents.${p!}.`.length);
      const token = rest.slice(0, rest.lastIndexOf('.'));
      expect(p, token).toBe(partitionOfToken(token, P));
      expect(checkPartitionedSubject(m.subject, 'pevents', P)).toMatchObject({
        kind: 'ok',
        partition: p,
        token,
      });
      if (partitionOf.has(token)) expect(partitionOf.get(token), token).toBe(p);
      partitionOf.set(token, p!);
      perPartition[p!]! += 1;
    }
    expect(partitionOf.size).toBe(TOKENS);
    // FNV-1a spreads customers: every partition gets its share, roughly.
    for (const n of perPartition) expect(n).toBeGreaterThan((2 * TOKENS) / P / 2);
  });

  it('maps events.$clock.tick to the one partition "$clock" hashes to: engines write per-partition ticks', async () => {
    const js = jetstream(fx.nc);
    const mapped = await js.publish('events.$clock.tick', '{"ts":1}');
    const m = await (await jetstreamManager(fx.nc)).streams.getMessage(stream, { seq: mapped.seq });
    expect(m?.subject).toBe(partitionClockTickSubject('pevents', partitionOfToken('$clock', P)));
    // A tick written straight to a partition is not matched by events.*.* and stays where it was written.
    for (let p = 0; p < P; p++) {
      const direct = await js.publish(partitionClockTickSubject('pevents', p), '{"ts":1}');
      const d = await (await jetstreamManager(fx.nc)).streams.getMessage(stream, { seq: direct.seq });
      expect(d?.subject).toBe(`pevents.${p}.$clock.tick`);
      expect(checkPartitionedSubject(d!.subject, 'pevents', P)).toEqual({
        kind: 'ok',
        partition: p,
        token: '$clock',
        tick: true,
      });
    }
  });

  it('leaves subjects with another token count unmapped', async () => {
    const ack = await jetstream(fx.nc).publish('events.alice.purchase.extra', 'x');
    expect(ack.stream).toBe(unmapped);
  });
});

describe('docs/partitions.md', () => {
  it('gives the exact mapping line these tests run', () => {
    const doc = readFileSync('docs/partitions.md', 'utf8');
    expect(doc).toContain(subjectMappingConfig({ count: 4 }));
  });
});
