import { createHash } from 'node:crypto';
import { jetstream, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { Objm, StorageType, setSha256Backend, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
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
  /** A read that receives no chunk for this long fails (the next older snapshot is tried). Default 30 s. */
  readonly stallMs?: number;
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
 * Chunks of 1 MiB (the object store clamps them to the server's max_payload): a 16 MB snapshot is 16 messages, not
 * the library default's 128, and a write waits for 16 acks.
 */
const CHUNK_BYTES = 1024 * 1024;
/** At least this much is requested per pull while reading (several chunks in flight). */
const READ_WINDOW_BYTES = 32 * 1024 * 1024;
const DIGEST_PREFIX = 'SHA-256=';

/**
 * Opens (creating when missing) the bucket. Objects are named `<series>/p<partition>/<stream sequence, 16 digits>`,
 * so the name orders them by the stream position they cover.
 *
 * Reading and writing are sized for snapshots of hundreds of MB: the object store hashes with node:crypto (its
 * default is a pure-JS SHA-256, about 25 MB/s: 0.6 s for each 16 MB put or get, process-wide setting), chunks are
 * 1 MiB, and a snapshot is read by {@link readObject} straight into one buffer of its size.
 */
export async function openSnapshotStore(opts: SnapshotStoreOptions): Promise<SnapshotStore> {
  setSha256Backend('native');
  const objm = new Objm(opts.nc);
  const js = jetstream(opts.nc);
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
        {
          name,
          description: `churnflow state up to stream sequence ${content.streamSeq}`,
          options: { max_chunk_size: CHUNK_BYTES },
        },
        bytes,
      );
      await prune(opts.keep);
      return { name, bytes: bytes.length };
    },
    prune,
    async loadNewest() {
      const skipped: { name: string; reason: string }[] = [];
      const t0 = performance.now();
      const candidates = await names();
      const listMs = performance.now() - t0;
      for (const name of candidates) {
        try {
          const t1 = performance.now();
          const info = await os.info(name);
          if (info === null || info.deleted) {
            throw new ChurnflowError('SNAPSHOT_CORRUPT', `snapshot ${name}: no data`, { key: name });
          }
          const bytes = await readObject(js, opts.bucket, info, opts.stallMs ?? 30_000);
          const t2 = performance.now();
          const content = decodeSnapshot(bytes, name);
          const decodeMs = performance.now() - t2;
          const readMs = t2 - t1;
          opts.log.info(
            {
              snapshot: name,
              bytes: bytes.length,
              chunks: info.chunks,
              listMs: Math.round(listMs),
              readMs: Math.round(readMs),
              readMBps: Math.round(bytes.length / 1e3 / Math.max(readMs, 1)),
              decodeMs: Math.round(decodeMs),
            },
            'snapshot read',
          );
          return { name, content, skipped };
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

/**
 * Reads an object's chunks into one buffer of its size, checking the chunk count, the size and the SHA-256 the
 * object store recorded. The layout is the object store's own (ADR-20: chunks on `$O.<bucket>.C.<nuid>` in the
 * stream `OBJ_<bucket>`), so objects of any chunk size read the same.
 *
 * Not `ObjectStore.getBlob`: that reads a flow-controlled push consumer into a ReadableStream, gathers the chunks
 * and concatenates them (two copies), about half the speed of an ordered pull consumer whose pulls keep several
 * chunks in flight, each copied once into place and hashed as it arrives.
 */
async function readObject(
  js: JetStreamClient,
  bucket: string,
  info: ObjectInfo,
  stallMs: number,
): Promise<Uint8Array> {
  const corrupt = (why: string): ChurnflowError =>
    new ChurnflowError('SNAPSHOT_CORRUPT', `snapshot ${info.name}: ${why}`, { key: info.name });
  if (!info.digest.startsWith(DIGEST_PREFIX)) throw corrupt(`unknown digest ${info.digest}`);
  const out = new Uint8Array(info.size);
  const hash = createHash('sha256');
  let offset = 0;
  let chunks = 0;
  if (info.chunks > 0) {
    const consumer = await js.consumers.get(`OBJ_${bucket}`, {
      filter_subjects: `$O.${bucket}.C.${info.nuid}`,
    });
    // A literal subject: the server counts it at once (a wildcard filter would scan the stream on nats-server < 2.9.15).
    const stored = (await consumer.info(true)).num_pending;
    if (stored !== info.chunks) throw corrupt(`${stored} of ${info.chunks} chunks stored`);
    const chunkBytes = info.options?.max_chunk_size ?? CHUNK_BYTES;
    const messages: ConsumerMessages = await consumer.consume({
      max_bytes: Math.max(READ_WINDOW_BYTES, 4 * chunkBytes),
    });
    let progressAt = performance.now();
    const watchdog = setInterval(
      () => {
        if (performance.now() - progressAt > stallMs)
          messages.stop(corrupt(`no chunk received for ${stallMs} ms (${chunks} of ${info.chunks} read)`));
      },
      Math.min(stallMs, 1_000),
    );
    try {
      for await (const m of messages) {
        progressAt = performance.now();
        if (offset + m.data.length > out.length) throw corrupt(`more than its ${info.size} bytes stored`);
        out.set(m.data, offset);
        hash.update(m.data);
        offset += m.data.length;
        if (++chunks === info.chunks) break;
      }
    } finally {
      clearInterval(watchdog);
      await messages.close().catch(() => undefined);
      void consumer.delete().catch(() => undefined);
    }
  }
  if (chunks !== info.chunks || offset !== info.size) {
    throw corrupt(`${offset} of ${info.size} bytes in ${chunks} of ${info.chunks} chunks read`);
  }
  const expected = info.digest.slice(DIGEST_PREFIX.length).replace(/=+$/, '');
  if (hash.digest('base64url') !== expected) throw corrupt('object digest mismatch');
  return out;
}
