import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Engine } from '../engine/index.js';
import { eraseCustomer, type EraseResult } from '../erase/index.js';
import { encodeScoreUpdate } from '../publish/nats-sink.js';
import type { SnapshotStore } from '../snapshot/index.js';

/**
 * `customers.erase` for a running engine: purges from the configured event stream, rewrites the snapshots (a new
 * one without the customer, every older one deleted) when snapshots are on, publishes the tombstone in the
 * configured encoding.
 */
export async function customerEraser(deps: {
  readonly config: Readonly<Config>;
  readonly nc: NatsConnection;
  readonly engine: Pick<Engine, 'erase'>;
  /** The subject prefix of the partition's events (`<prefix>.<token>.<type>`). */
  readonly eventPrefix: string;
  readonly log: Logger;
  readonly snapshotter: { writeNow(force?: boolean): Promise<boolean> } | undefined;
  readonly snapshots: SnapshotStore | undefined;
}): Promise<(customerId: string) => Promise<EraseResult | undefined>> {
  const { config, snapshotter, snapshots } = deps;
  // No API check: the connection is up and JetStream answered at start.
  const jsm = await jetstreamManager(deps.nc, { checkAPI: false });
  const encoding = config.publish.encoding;
  const rewriteSnapshots =
    snapshotter === undefined || snapshots === undefined
      ? undefined
      : async (): Promise<void> => {
          if (!(await snapshotter.writeNow(true)))
            throw new Error('the snapshot without the customer was not written');
          await snapshots.prune(1);
        };
  return (customerId) =>
    eraseCustomer(
      {
        engine: deps.engine,
        nc: deps.nc,
        jsm,
        stream: config.nats.stream,
        eventPrefix: deps.eventPrefix,
        ...(config.sink === 'nats'
          ? {
              deadLetterStream: config.publish.deadLetterStream,
              deadLetterSubjectBase: `${config.publish.prefix}.dlq`,
            }
          : {}),
        outPrefix: config.publish.prefix,
        encode: (payload) => encodeScoreUpdate(payload as never, encoding),
        contentType: encoding === 'json' ? 'application/json' : 'application/msgpack',
        ...(rewriteSnapshots === undefined ? {} : { rewriteSnapshots }),
        log: deps.log,
      },
      customerId,
    );
}
