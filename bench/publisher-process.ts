/**
 * The freshness benchmark's load generator, run as its own process so that publishing never competes with the
 * measured consumer for an event loop: simulator events published with core NATS at a steady rate, each stamped
 * with its publish time as its event time (`ts`, epoch ms with sub-millisecond precision), which is what both the
 * plain consumer and the engine's score updates (`eventTime`) carry back for latency.
 *
 * Command:  node dist/bench/publisher-process.js --url nats://127.0.0.1:4222 --prefix fresh --rate 20000
 *             [--seconds 10] [--customers 50000] [--seed 3] [--slice-ms 2]
 * Needs:    a nats-server whose stream captures `<prefix>.>` (the benchmark creates it).
 * Prints:   `publishing` when the events are encoded and publishing starts; when done, one JSON line:
 *           {"published", "seconds", "achievedRate", "largestSlice"}.
 */
import { parseArgs } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { encodeEvents } from '../src/ingest/index.js';
import { createSimulator, DAY_MS } from '../src/simulate/index.js';
import { wallClockMs } from './latency.js';

/** What the publisher reports on stdout when it is done. */
export interface PublisherReport {
  readonly published: number;
  /** From the first publish to the last, s. */
  readonly seconds: number;
  readonly achievedRate: number;
  /** Most events published in one slice: a stalled publisher shows up as a burst here. */
  readonly largestSlice: number;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    prefix: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    customers: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '3' },
    'slice-ms': { type: 'string', default: '2' },
  },
});

/** A float64 no simulator event carries as its `ts`: found in each encoded event to mark where `ts` sits. */
const TS_MARK = 0.123456789;

/** Pre-encoded events: subjects, MessagePack bodies, and where each body's `ts` float64 starts. */
interface EncodedEvents {
  readonly subjects: string[];
  readonly bodies: Buffer[];
  readonly tsAt: Int32Array;
}

/**
 * The first `count` events of the simulator's history (realistic per-customer sequences: browse, cart, purchase),
 * encoded before publishing starts, each with a placeholder `ts` whose 8 bytes are overwritten when it is sent.
 * Publishing then makes no event objects, and those of the simulator are gone before the first slice: a publisher
 * holding 200k objects stalled tens of ms in its own GC, and a stall sends the next slice as one burst.
 */
function encodedEvents(customers: number, seed: number, count: number, prefix: string): EncodedEvents {
  const now = Date.now();
  const sim = createSimulator({ customers, seed, startMs: now - 120 * DAY_MS });
  const subjects: string[] = [];
  const bodies: Buffer[] = [];
  const tsAt = new Int32Array(count);
  const mark = Buffer.alloc(9);
  mark[0] = 0xcb; // MessagePack float64
  mark.writeDoubleBE(TS_MARK, 1);
  for (const day of sim.batchesBetween(sim.startMs, now)) {
    const events = day.slice(0, count - bodies.length).map((e) => ({ ...e, ts: TS_MARK }));
    for (const m of encodeEvents(events, prefix)) {
      const body = Buffer.from(m.data);
      const at = body.indexOf(mark);
      if (at < 0 || body.lastIndexOf(mark) !== at)
        throw new Error('an encoded event does not carry its ts as exactly one float64');
      tsAt[bodies.length] = at + 1;
      subjects.push(m.subject);
      bodies.push(body);
    }
    if (bodies.length >= count) break;
  }
  return { subjects, bodies, tsAt: tsAt.subarray(0, bodies.length) };
}

/**
 * Every `sliceMs`, publishes the events due by now (rate × elapsed, less those sent): pacing from elapsed time,
 * not from the number of wake-ups, so a late timer is made up in the next slice instead of drifting the rate.
 */
async function publishPaced(
  nc: NatsConnection,
  events: EncodedEvents,
  rate: number,
  sliceMs: number,
): Promise<PublisherReport> {
  const total = events.bodies.length;
  let sent = 0;
  let largestSlice = 0;
  let last = 0;
  const t0 = wallClockMs();
  while (sent < total) {
    const now = wallClockMs();
    const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000));
    if (due > sent) {
      // Stamped right before publishing: the time of publishing is the event time the latency is measured from.
      const ts = wallClockMs();
      for (let i = sent; i < due; i++) {
        const body = events.bodies[i] as Buffer;
        body.writeDoubleBE(ts, events.tsAt[i]);
        nc.publish(events.subjects[i]!, body);
      }
      largestSlice = Math.max(largestSlice, due - sent);
      sent = due;
      last = wallClockMs();
    }
    await new Promise((r) => setTimeout(r, sliceMs));
  }
  await nc.flush();
  const seconds = (last - t0) / 1000;
  return { published: sent, seconds, achievedRate: Math.round(sent / seconds), largestSlice };
}

async function main(): Promise<void> {
  const url = values.url;
  const prefix = values.prefix;
  const rate = Number(values.rate);
  if (url === undefined || prefix === undefined || !(rate > 0))
    throw new Error('usage: publisher-process --url <nats url> --prefix <subject prefix> --rate <events/s>');
  const seconds = Number(values.seconds);
  const count = Math.round(rate * seconds);
  const events = encodedEvents(Number(values.customers), Number(values.seed), count, prefix);
  globalThis.gc?.(); // the simulator's garbage, now rather than during the run
  const nc = await connect({ servers: url });
  try {
    process.stdout.write('publishing\n'); // the benchmark's measured window starts here
    const report = await publishPaced(nc, events, rate, Number(values['slice-ms']));
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await nc.drain();
  }
}

await main();
