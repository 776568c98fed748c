import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { startChurnflow, type Churnflow } from '../../src/cli/start.js';
import { runModelAction } from '../../src/cli/model-command.js';
import { runSimulate } from '../../src/cli/simulate.js';
import { loadConfig } from '../../src/config/index.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { waitFor } from '../helpers/engine.js';

/** The `authorization { … }` block the README ships, verbatim: the test runs exactly what users copy. */
function readmePermissions(): string {
  const m = /```conf\n(authorization \{[\s\S]*?\n\})\n```/.exec(readFileSync('README.md', 'utf8'));
  if (m === null) throw new Error('README.md has no ```conf authorization block');
  return m[1] as string;
}

const PASSWORDS = {
  ENGINE_PASSWORD: 'engine-secret',
  READER_PASSWORD: 'reader-secret',
  ADMIN_PASSWORD: 'admin-secret',
  PRODUCER_PASSWORD: 'producer-secret',
};
const packr = new Packr({ useRecords: false });
const DAY = 86_400_000;
const logLines: Array<Record<string, unknown>> = [];
let fx: NatsFixture;
let app: Churnflow;
let reader: NatsConnection;
let admin: NatsConnection;

beforeAll(async () => {
  // The README names its passwords as variables; defining them first in the file is what the server's
  // environment would do in production.
  const vars = Object.entries(PASSWORDS).map(([k, v]) => `${k}: "${v}"`);
  fx = await natsFixture({
    server: { config: `${vars.join('\n')}\n${readmePermissions()}\n` },
    client: { user: 'churnflow-producer', pass: PASSWORDS.PRODUCER_PASSWORD },
  });
  const modelsDir = mkdtempSync(join(tmpdir(), 'cf-models-'));
  for (const v of ['1', '2']) {
    cpSync(`models/churn-default/${v}`, join(modelsDir, 'churn-default', v), { recursive: true });
  }
  // A rule whose timer is due a second after a cart add: an idle engine then writes a clock tick into the
  // event stream, which its permission set must allow.
  const rulesFile = join(modelsDir, 'segments.json');
  const quick = 'cart_adds_7d > 0 && days_since_last_cart_add >= 1.0 / 86400.0';
  writeFileSync(rulesFile, JSON.stringify({ segments: [{ name: 'quick_cart', enter: quick }] }));
  // The README's sets name the default stream, consumer, dead-letter stream and prefixes: the engine keeps them.
  const config = loadConfig({
    env: {},
    overrides: {
      'nats.url': fx.server.url,
      'nats.auth.user': 'churnflow-engine',
      'nats.auth.password': PASSWORDS.ENGINE_PASSWORD,
      'score.modelsDir': modelsDir,
      'score.watchModels': false,
      'segments.file': rulesFile,
      'state.idleAfterMs': 500,
      'http.host': '127.0.0.1',
      'http.port': 0,
      'log.summaryEveryMs': 0,
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  app = await startChurnflow(config, pino({ level: 'warn' }, sink));
  reader = await connect({
    servers: fx.server.url,
    user: 'churnflow-reader',
    pass: PASSWORDS.READER_PASSWORD,
  });
  admin = await connect({ servers: fx.server.url, user: 'churnflow-admin', pass: PASSWORDS.ADMIN_PASSWORD });
}, 60_000);

afterAll(async () => {
  await reader?.close();
  await admin?.close();
  await app?.stop();
  await fx?.[Symbol.asyncDispose]();
});

const cliFlags = (user: string, password: string) => ({
  prefix: 'churnflow',
  natsUrl: fx.server.url,
  natsUser: user,
  natsPassword: password,
});

function output(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => text };
}

describe('the README permission sets on a real nats-server', () => {
  it('let the engine consume, score and answer with its own user, and the reader look a customer up', async () => {
    const js = jetstream(fx.nc);
    const now = Date.now();
    for (let c = 0; c < 5; c++) {
      const e = { customerId: `p-${c}`, type: 'purchase', ts: now - DAY, value: 10 + c };
      await js.publish(eventSubject('events', e.customerId, e.type), packr.pack(e));
    }
    await waitFor(() => app.engine.totals.scoreUpdates >= 5, 20_000, 'scores from the engine user');
    const reply = await reader.request('churnflow.customers.get', JSON.stringify({ customerId: 'p-3' }), {
      timeout: 5_000,
    });
    expect(reply.json()).toMatchObject({ found: true, customerId: 'p-3' });
    // `churnflow simulate` with the producer's flags: it finds the stream and publishes into it.
    const before = app.engine.totals.events;
    const simulated = await runSimulate({
      customers: 20,
      historyDays: 2,
      rate: 50,
      liveSeconds: 1,
      seed: 3,
      prefix: 'events',
      stream: 'EVENTS',
      natsUrl: fx.server.url,
      natsUser: 'churnflow-producer',
      natsPassword: PASSWORDS.PRODUCER_PASSWORD,
    });
    expect(simulated).toBe(0);
    await waitFor(() => app.engine.totals.events > before, 20_000, 'simulated events applied');
    // A silent cart adder enters the segment by its timer: the engine wrote the clock tick that reached it.
    const entered: string[] = [];
    const sub = reader.subscribe('churnflow.segments.quick_cart.entered', {
      callback: (_err, m) => void entered.push((packr.unpack(m.data) as { customerId: string }).customerId),
    });
    await reader.flush();
    const cart = { customerId: 'quiet', type: 'cart_add', ts: Date.now() };
    await js.publish(eventSubject('events', cart.customerId, cart.type), packr.pack(cart));
    await waitFor(() => entered.includes('quiet'), 20_000, 'the timer entry (after a clock tick)');
    sub.unsubscribe();
    // A producer may not forge the engines' clock ticks: the server refuses the publish.
    await expect(
      js.publish('events.$clock.tick', JSON.stringify({ ts: Date.now() }), { timeout: 2_000 }),
    ).rejects.toThrow();
    // Nothing the engine does runs into its permission set.
    const violations = logLines.filter((l) => JSON.stringify(l).toLowerCase().includes('permission'));
    expect(violations).toEqual([]);
  }, 40_000);

  it('refuse the reader a rollback (the pin does not change) and let the admin roll back and unpin', async () => {
    expect(app.models.status()).toMatchObject({ current: '2', pinned: undefined });
    await expect(
      reader.request('churnflow.models.rollback', undefined, { timeout: 2_000 }),
    ).rejects.toThrow();
    await expect(
      reader.request('churnflow.segments.dryrun', '{"rule":"true"}', { timeout: 2_000 }),
    ).rejects.toThrow();
    const asReader = output();
    const refused = await runModelAction(
      'rollback',
      cliFlags('churnflow-reader', PASSWORDS.READER_PASSWORD),
      asReader.stream,
    );
    expect(refused).toBe(1);
    expect(app.models.status()).toMatchObject({ current: '2', pinned: undefined });

    const asAdmin = output();
    expect(
      await runModelAction('rollback', cliFlags('churnflow-admin', PASSWORDS.ADMIN_PASSWORD), asAdmin.stream),
    ).toBe(0);
    expect(JSON.parse(asAdmin.text())).toEqual({ ok: true, version: '1', replaced: '2' });
    expect(app.models.status()).toMatchObject({ current: '1', pinned: { version: '1', ceiling: '2' } });

    expect(
      await runModelAction('unpin', cliFlags('churnflow-reader', PASSWORDS.READER_PASSWORD), output().stream),
    ).toBe(1);
    expect(app.models.status().pinned).toEqual({ version: '1', ceiling: '2' });

    const unpin = await admin.request('churnflow.models.unpin', undefined, { timeout: 10_000 });
    expect(unpin.json()).toEqual({ ok: true, unpinned: true, version: '2', replaced: '1' });
    const status = (await admin.request('churnflow.models.status', undefined, { timeout: 5_000 })).json();
    expect(status).toMatchObject({ current: '2' });
    expect(status).not.toHaveProperty('pinned');
  }, 60_000);

  it('let the engine answer the micro service protocol and the admin, not the reader, ask it', async () => {
    const info = (await admin.request('$SRV.INFO.churnflow', undefined, { timeout: 5_000 })).json<{
      endpoints: { subject: string }[];
    }>();
    expect(info.endpoints.map((e) => e.subject)).toContain('churnflow.models.unpin');
    const stats = await admin.request('$SRV.STATS', undefined, { timeout: 5_000 });
    expect(stats.json()).toMatchObject({ type: 'io.nats.micro.v1.stats_response', name: 'churnflow' });
    await expect(reader.request('$SRV.PING.churnflow', undefined, { timeout: 2_000 })).rejects.toThrow();
    const violations = logLines.filter((l) => JSON.stringify(l).toLowerCase().includes('permission'));
    expect(violations).toEqual([]);
  }, 20_000);
});
