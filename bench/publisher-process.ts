/**
 * The freshness benchmark's load generator, run as its own process so that publishing never competes with the
 * measured consumer for an event loop: simulator events published with core NATS at a steady rate, each stamped
 * with its publish time as its event time (`ts`, epoch ms with sub-millisecond precision), which is what both the
 * plain consumer and the engine's score updates (`eventTime`) carry back for latency.
 *
 * Command:  node dist/bench/publisher-process.js --url nats://127.0.0.1:4222 --prefix fresh --rate 20000
 *             [--seconds 10] [--customers 50000] [--seed 3] [--slice-ms 2]
 * Needs:    a nats-server whose stream captures `<prefix>.>` (the benchmark creates it).
 * Prints:   one JSON line when done: {"published", "seconds", "achievedRate", "largestSlice"}.
 */
import { parseArgs } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { CustomerEvent } from '../src/contract/event.js';
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

/**
 * The first `count` events of the simulator's history (realistic per-customer sequences: browse, cart, purchase),
 * generated before publishing starts so that generation never delays a slice.
 */
function simulatedEvents(customers: number, seed: number, count: number): CustomerEvent[] {
  const now = Date.now();
  const sim = createSimulator({ customers, seed, startMs: now - 120 * DAY_MS });
  const events: CustomerEvent[] = [];
  for (const day of sim.batchesBetween(sim.startMs, now)) {
    for (const e of day) if (events.length < count) events.push(e);
    if (events.length >= count) break;
  }
  return events;
}

/**
 * Every `sliceMs`, publishes the events due by now (rate × elapsed, less those sent): pacing from elapsed time,
 * not from the number of wake-ups, so a late timer is made up in the next slice instead of drifting the rate.
 */
async function publishPaced(
  nc: NatsConnection,
  events: CustomerEvent[],
  prefix: string,
  rate: number,
  sliceMs: number,
): Promise<PublisherReport> {
  let sent = 0;
  let largestSlice = 0;
  let last = 0;
  const t0 = wallClockMs();
  while (sent < events.length) {
    const now = wallClockMs();
    const due = Math.min(events.length, Math.floor(((now - t0) * rate) / 1000));
    if (due > sent) {
      const slice = events.slice(sent, due);
      // Stamped right before encoding: the time of publishing is the event time the latency is measured from.
      const ts = wallClockMs();
      for (const e of slice) (e as { ts: number }).ts = ts;
      for (const m of encodeEvents(slice, prefix)) nc.publish(m.subject, m.data);
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
  const events = simulatedEvents(Number(values.customers), Number(values.seed), Math.round(rate * seconds));
  const nc = await connect({ servers: url });
  try {
    const report = await publishPaced(nc, events, prefix, rate, Number(values['slice-ms']));
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await nc.drain();
  }
}

await main();
