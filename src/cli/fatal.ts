import type { EventEmitter } from 'node:events';

/** Something nothing else caught: it ends the process, deliberately. */
export interface FatalEvent {
  readonly origin: 'unhandledRejection' | 'uncaughtException';
  readonly err: unknown;
}

/** The logger fatal events go to (a pino logger fits). */
export interface FatalLog {
  fatal(obj: object, msg: string): void;
}

/** A watch on the process for fatal events; see {@link watchFatal}. */
export interface FatalWatch {
  /** Resolves with the first fatal event (later ones are logged too). */
  readonly fatal: Promise<FatalEvent>;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * Handles `unhandledRejection` and `uncaughtException` on `proc` (the process): logs each with its origin and the
 * error, and resolves `fatal` with the first, so the caller stops in order and exits non-zero. Nothing is
 * swallowed: an event after the first is logged as well, and the caller must end the process.
 */
export function watchFatal(log: FatalLog, proc: EventEmitter = process): FatalWatch {
  let resolveFatal!: (e: FatalEvent) => void;
  const fatal = new Promise<FatalEvent>((resolve) => (resolveFatal = resolve));
  let seen = 0;
  const on =
    (origin: FatalEvent['origin']) =>
    (err: unknown): void => {
      seen++;
      const msg =
        seen === 1
          ? `${origin}: stopping in order and exiting with an error`
          : `${origin} while stopping after an earlier one`;
      log.fatal({ err, origin }, msg);
      resolveFatal({ origin, err });
    };
  const onRejection = on('unhandledRejection');
  const onException = on('uncaughtException');
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return {
    fatal,
    dispose() {
      proc.removeListener('unhandledRejection', onRejection);
      proc.removeListener('uncaughtException', onException);
    },
  };
}

/**
 * Ends the process with exit code 1 after `ms` unless it has ended by then: the orderly stop after a fatal event
 * gets that long (state after an uncaught exception may be broken enough to hang it). The timer does not keep the
 * process alive by itself.
 */
export function exitAfter(ms: number, exit: (code: number) => void = (c) => process.exit(c)): void {
  setTimeout(() => exit(1), ms).unref();
}
