import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Creates the engine's structured JSON logger (pino). `destination` defaults to stdout; tests pass a stream to
 * parse what the logger really writes.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ name: 'churnflow', level, base: { pid: process.pid } }, destination);
}
