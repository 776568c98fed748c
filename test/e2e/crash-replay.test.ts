import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import { createSimulator, DAY_MS } from '../../src/simulate/index.js';
import { waitFor } from '../helpers/engine.js';
import {
  freePort,
  metricOf,
  profileOf,
  recordLifecycle,
  startEngineProcess,
  untilCaughtUp,
  untilHealthy,
  untilQuiet,
  type EngineProcess,
} from '../helpers/engine-process.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

/**
 * Two engines as real processes consume the same stream: one runs uninterrupted, the other snapshots every second
 * and is killed with SIGKILL at random points (mid-flow, mid-restore, and whenever a snapshot happens to be in
 * writing) while events flow from this (another) process, and restarted each time: it restores its newest
 * snapshot and replays the tail. It may publish again what it published after that snapshot, but every lifecycle
 * event with the same key and payload, and it must end in the same state.
 */
const packr = new Packr({ useRecords: false });
let fx: NatsFixture;
beforeAll(async () => (fx = await natsFixture()));
afterAll(async () => fx[Symbol.asyncDispose]());

async function spawnEngine(stream: string, subjects: string, name: string): Promise<EngineProcess> {
  const port = await freePort();
  const prefix = uniqueName(name).toLowerCase();
  const env = {
    CHURNFLOW_NATS_URL: fx.server.url,
    CHURNFLOW_NATS_STREAM: stream,
    CHURNFLOW_NATS_CONSUMER: uniqueName(name),
    CHURNFLOW_INGEST_SUBJECT_PREFIX: subjects,
    CHURNFLOW_PUBLISH_PREFIX: prefix,
    CHURNFLOW_PUBLISH_DEAD_LETTER_STREAM: uniqueName(`DLQ_${name}`),
    CHURNFLOW_HTTP_HOST: '127.0.0.1',
    CHURNFLOW_HTTP_PORT: String(port),
    CHURNFLOW_LOG_LEVEL: 'error',
    CHURNFLOW_LOG_SUMMARY_EVERY_MS: '0',
    // In the quiet spells the idle engines write clock ticks into the stream (timers are due: see the history).
    CHURNFLOW_STATE_IDLE_AFTER_MS: '500',
    CHURNFLOW_SNAPSHOT_INTERVAL_MS: '1000',
  };
  return { prefix, port, env, child: startEngineProcess(env) };
}

describe('kill -9 and restart', () => {
  it('ends in the same state with the same lifecycle events as an uninterrupted engine', async () => {
    const stream = uniqueName('EVENTS');
    const subjects = stream.toLowerCase();
    const steady = await spawnEngine(stream, subjects, 'steady');
    const crashy = await spawnEngine(stream, subjects, 'crashy');
    const steadySeen = recordLifecycle(fx.nc, steady.prefix);
    const crashySeen = recordLifecycle(fx.nc, crashy.prefix);
    try {
      await Promise.all([untilHealthy(steady), untilHealthy(crashy)]);
      // History up to six hours ago: timers armed by its last hours (an abandoned cart's hour, a day boundary)
      // are due by the wall clock, so the idle engines tick.
      const end = Date.now() - 6 * 3_600_000;
      const sim = createSimulator({ customers: 150, seed: 11, startMs: end - 40 * DAY_MS });
      const events = sim.eventsBetween(end - 40 * DAY_MS, end);
      const js = jetstream(fx.nc);
      // Kill points: five random chunks of the flow, each followed by a kill right after the restart (mid-restore).
      const chunks = 14;
      const kills = new Set<number>();
      while (kills.size < 5) kills.add(1 + Math.floor(Math.random() * (chunks - 2)));
      for (let c = 0; c < chunks; c++) {
        const part = events.slice(
          Math.floor((c * events.length) / chunks),
          Math.floor(((c + 1) * events.length) / chunks),
        );
        await Promise.all(
          part.map((e) => js.publish(eventSubject(subjects, e.customerId, e.type), packr.pack(e))),
        );
        if (!kills.has(c)) continue;
        crashy.child.kill('SIGKILL');
        crashy.child = startEngineProcess(crashy.env);
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
        crashy.child.kill('SIGKILL'); // mid-restore
        crashy.child = startEngineProcess(crashy.env);
        // Long enough alive for a snapshot now and then, so later restarts restore instead of replaying all.
        await new Promise((r) => setTimeout(r, 4_000));
      }
      await untilHealthy(crashy);
      // One more kill once this life has written a snapshot (under load a life may have been too short for one),
      // so the last restart restores a snapshot and replays only the tail.
      await waitFor(
        async () => (await metricOf(crashy, 'churnflow_snapshots_total')) > 0,
        30_000,
        'a snapshot',
      );
      crashy.child.kill('SIGKILL');
      crashy.child = startEngineProcess(crashy.env);
      await untilHealthy(crashy);
      await waitFor(
        async () => (await metricOf(crashy, 'churnflow_restore_seconds')) > 0,
        30_000,
        'a restore from a snapshot',
      );
      const ids = [...new Set(events.map((e) => e.customerId))];
      const last = events.at(-1)!;
      // Both caught up: the last customer's profile reflects its last event; then a quiet spell.
      await untilCaughtUp(fx.nc, [steady.prefix, crashy.prefix], last);
      await untilQuiet(() => `${steadySeen.seen.size}/${crashySeen.seen.size}`);

      expect(steadySeen.seen.size).toBeGreaterThan(100);
      const info = await (
        await import('@nats-io/jetstream')
      )
        .jetstreamManager(fx.nc)
        .then((m) => m.streams.info(stream, { subjects_filter: '>' }));
      const ticks = Object.entries(info.state.subjects ?? {}).filter(([subject]) =>
        subject.includes('$clock'),
      );
      expect(ticks.length).toBeGreaterThan(0); // the quiet spells did write clock ticks
      expect(crashySeen.conflicts).toEqual([]);
      expect(new Map([...crashySeen.seen].sort())).toEqual(new Map([...steadySeen.seen].sort()));
      for (const id of ids)
        expect(await profileOf(fx.nc, crashy.prefix, id)).toEqual(await profileOf(fx.nc, steady.prefix, id));
    } finally {
      steady.child.kill('SIGKILL');
      crashy.child.kill('SIGKILL');
    }
  }, 180_000);
});
