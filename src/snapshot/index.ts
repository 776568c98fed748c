export { encodeSnapshot, decodeSnapshot, SNAPSHOT_FORMAT_VERSION } from './format.js';
export type { ColumnArray, SnapshotContent } from './format.js';
export { openSnapshotStore } from './snapshot-store.js';
export type {
  LoadedSnapshot,
  SnapshotStore,
  SnapshotStoreOptions,
  WrittenSnapshot,
} from './snapshot-store.js';
export { createSnapshotMetrics, startSnapshotter } from './snapshotter.js';
export type { SnapshotMetrics, Snapshottable, SnapshotterOptions } from './snapshotter.js';
export { chooseStartPoint } from './restore.js';
export type { StartPoint } from './restore.js';
export type { StateReader, StateWriter } from './state-io.js';
