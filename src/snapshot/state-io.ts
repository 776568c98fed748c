import type { ColumnArray } from './format.js';

/** Where a component writes its state for a snapshot: named columns (copied) and small JSON values. */
export interface StateWriter {
  array(name: string, a: ColumnArray): void;
  value(name: string, v: unknown): void;
}

/**
 * Where a component reads its state back from; a missing name is a corrupt snapshot (the reader throws). An array
 * may be a view into the snapshot's bytes (see decodeSnapshot): copy what you keep, never hold on to the array.
 */
export interface StateReader {
  array<T extends ColumnArray>(name: string, kind: new (n: number) => T): T;
  value(name: string): unknown;
}

/** A writer into plain records, names prefixed `<scope>.`. */
export function stateWriter(
  arrays: Record<string, ColumnArray>,
  json: Record<string, unknown>,
  scope: string,
): StateWriter {
  return {
    array: (name, a) => void (arrays[`${scope}.${name}`] = a.slice()),
    value: (name, v) => void (json[`${scope}.${name}`] = v),
  };
}

/** A reader over decoded records, names prefixed `<scope>.`; a missing or mistyped column throws `onMissing`. */
export function stateReader(
  arrays: Readonly<Record<string, ColumnArray>>,
  json: Readonly<Record<string, unknown>>,
  scope: string,
  onMissing: (what: string) => never,
): StateReader {
  return {
    array: (name, kind) => {
      const a = arrays[`${scope}.${name}`];
      if (!(a instanceof kind)) return onMissing(`column ${scope}.${name}`);
      return a;
    },
    value: (name) => {
      const key = `${scope}.${name}`;
      if (!(key in json)) return onMissing(`value ${key}`);
      return json[key];
    },
  };
}
