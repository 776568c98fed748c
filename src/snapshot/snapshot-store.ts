import { Objm, StorageType, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ChurnflowError } from '../contract/codes.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotContent } from './format.js';

/** Options of {@link openSnapshotStore}. */
export interface SnapshotStoreOptions {
  readonly nc: NatsConnection;
  /** Object Store bucket (created when missing, file storage). */
  readonly bucket: string;
  /** Whose state: the engine's durable consumer name (engines of one consumer group share a series). */
  readonly series: string;
  readonly partition: number;
  /** Snapshots kept per partition; older ones are deleted after each write. */
  readonly keep: number;
  readonly log: Logger;
}

/** A snapshot as written: its object name and size. */
export interface WrittenSnapshot {
  readonly name: string;
  readonly bytes: number;
}

/** A snapshot read back, or why none could be used. */
export interface LoadedSnapshot {
  readonly name: string;
  readonly content: SnapshotContent;
  /** Newer snapshots refused on the way (corrupt, unknown format), each with its reason. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/** One partition's snapshot series in a JetStream Object Store bucket (chunked by the object store). */
export interface SnapshotStore {
  write(content: SnapshotContent): Promise<WrittenSnapshot>;
  /** Deletes all but the newest `keep` snapshots of the series. */
  prune(keep: number): Promise<void>;
  /** The newest snapshot that decodes and checks; newer ones that do not are skipped and reported. */
  loadNewest(): Promise<
    LoadedSnapshot | { readonly name: undefined; readonly skipped: LoadedSnapshot['skipped'] }
  >;
}

/**
 * Opens (creating when missing) the bucket. Objects are named `<series>/p<partition>/<stream sequence, 16 digits>`,
 * so the name orders them by the stream position they cover.
 */
export async function openSnapshotStore(opts: SnapshotStoreOptions): Promise<SnapshotStore> {
  const objm = new Objm(opts.nc);
  let os: ObjectStore;
  try {
    os = await objm.open(opts.bucket);
  } catch {
    os = await objm.create(opts.bucket, { storage: StorageType.File });
  }
  const prefix = `${opts.series}/p${opts.partition}/`;
  const names = async (): Promise<string[]> =>
    (await os.list())
      .filter((o) => !o.deleted && o.name.startsWith(prefix))
      .map((o) => o.name)
      .sort()
      .reverse();
  const prune = async (keep: number): Promise<void> => {
    for (const old of (await names()).slice(keep)) {
      await os
        .delete(old)
        .catch((err: unknown) => opts.log.warn({ err, snapshot: old }, 'old snapshot not deleted'));
    }
  };
  return {
    async write(content) {
      const name = `${prefix}${String(content.streamSeq).padStart(16, '0')}`;
      const bytes = encodeSnapshot(content);
      await os.putBlob(
        { name, description: `churnflow state up to stream sequence ${content.streamSeq}` },
        bytes,
      );
      await prune(opts.keep);
      return { name, bytes: bytes.length };
    },
    prune,
    async loadNewest() {
      const skipped: { name: string; reason: string }[] = [];
      for (const name of await names()) {
        try {
          const bytes = await os.getBlob(name);
          if (bytes === null) throw new ChurnflowError('SNAPSHOT_CORRUPT', `snapshot ${name}: no data`);
          return { name, content: decodeSnapshot(bytes, name), skipped };
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          opts.log.error({ err, snapshot: name }, 'snapshot refused; trying an older one');
          skipped.push({ name, reason });
        }
      }
      return { name: undefined, skipped };
    },
  };
}
