import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type EmbeddedNatsServer, type NatsServerOptions } from '../../src/nats/index.js';

/** A real nats-server (JetStream, free port, temp store) plus a client, disposed with `await using`. */
export interface NatsFixture extends AsyncDisposable {
  readonly server: EmbeddedNatsServer;
  readonly nc: NatsConnection;
}

/** Options of {@link natsFixture}: the server's (e.g. a `config` with `authorization`) and the client's. */
export interface NatsFixtureOptions {
  readonly server?: NatsServerOptions;
  /** Extra options of the fixture's client (credentials when the server requires them). */
  readonly client?: Partial<ConnectionOptions>;
}

/** Starts a private nats-server for one test file; fails with an install hint when the binary is missing. */
export async function natsFixture(opts: NatsFixtureOptions = {}): Promise<NatsFixture> {
  const server = await startNatsServer(opts.server);
  const nc = await connect({ ...opts.client, servers: server.url }).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  return {
    server,
    nc,
    async [Symbol.asyncDispose]() {
      await nc.close();
      await server.stop();
    },
  };
}

/** A name no other test uses (streams, consumers, subjects). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toUpperCase();
}
