import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type EmbeddedNatsServer } from '../../src/nats/index.js';

/** A real nats-server (JetStream, free port, temp store) plus a client, disposed with `await using`. */
export interface NatsFixture extends AsyncDisposable {
  readonly server: EmbeddedNatsServer;
  readonly nc: NatsConnection;
}

/** Starts a private nats-server for one test file; fails with an install hint when the binary is missing. */
export async function natsFixture(): Promise<NatsFixture> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
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
