import { map } from 'rxjs';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Config } from '../config/index.js';
import { readEventFile } from '../ingest/event-file.js';
import type { InboundBatch } from '../ingest/types.js';
import type { OutputSink } from '../publish/index.js';
import { createFlowGate, fromIterableGated } from '../rx/index.js';
import { onePartition, type Runtime } from './runtime.js';

/**
 * Replays an event file (JSONL or MessagePack) through the same pipeline; the run ends with the file. Output goes
 * to the configured file or console sink (NATS output needs a server: use `source: nats` for that).
 */
export function openFileRuntime(
  ctx: { readonly config: Readonly<Config> },
  sinkFor: (nc: NatsConnection | undefined) => OutputSink,
): Runtime {
  const { config } = ctx;
  let seq = 0;
  // The file is read as the engine keeps up, not all at once into memory.
  const flow = createFlowGate({ highWater: 4 * config.score.maxBatch, lowWater: config.score.maxBatch });
  const records = readEventFile(config.ingest.file, { subjectPrefix: config.ingest.subjectPrefix });
  const source = fromIterableGated(records, flow).pipe(
    map((records): InboundBatch => {
      return {
        messages: records.map((r) => ({
          // A record without a usable customer/type still goes through decode, which names what is wrong.
          subject: r.subject ?? `${config.ingest.subjectPrefix}.unknown.unknown`,
          data: r.data,
          contentType: r.contentType,
          streamSeq: ++seq,
          // No stored time: a file replays the same whenever it is read (no future bound, see decodeBatch).
          publishedAtMs: 0,
        })),
        ack: () => undefined,
      };
    }),
  );
  const sink = sinkFor(undefined);
  return {
    mode: 'file',
    sink,
    partitionCount: 1,
    openPartition: onePartition({ source, flow }, config.ingest.subjectPrefix),
    notReady: () => [],
    close: () => sink.close(),
  };
}
