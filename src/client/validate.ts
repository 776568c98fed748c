import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** A compiled TypeBox check: `check(value)` narrows, `explain(value)` says the first failure. */
export interface Checker<T extends TSchema> {
  check(value: unknown): value is Static<T>;
  /** `"<path>: <message>"` of the first failure, for a drop notice or an error message; '' when valid. */
  explain(value: unknown): string;
}

/**
 * A checker compiled on first use: importing the client compiles nothing (a compile costs ~1 ms per schema and
 * most users touch only one or two of them); the compiled code then checks a score update in well under 1 µs.
 */
export function lazyChecker<T extends TSchema>(schema: T): Checker<T> {
  let compiled: TypeCheck<T> | undefined;
  const get = (): TypeCheck<T> => (compiled ??= TypeCompiler.Compile(schema));
  return {
    check: (value): value is Static<T> => get().Check(value),
    explain(value) {
      const first = get().Errors(value).First();
      return first === undefined ? '' : `${first.path || '/'}: ${first.message}`;
    },
  };
}
