import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { exitAfter, watchFatal } from '../../src/cli/fatal.js';

/** A pino logger whose JSON lines the test reads back, as an operator's collector would. */
function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('watchFatal', () => {
  it('logs an unhandled rejection with its origin and error, and resolves the fatal path with it', async () => {
    const proc = new EventEmitter();
    const { log, lines } = capturedLog();
    const watch = watchFatal(log, proc);
    const err = new Error('respond threw: max_payload exceeded');
    proc.emit('unhandledRejection', err, Promise.resolve());
    await expect(watch.fatal).resolves.toEqual({ origin: 'unhandledRejection', err });
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({
      level: 60,
      origin: 'unhandledRejection',
      err: { message: err.message },
    });
    expect(String(lines[0]?.['msg'])).toContain('exiting with an error');
    watch.dispose();
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
    expect(proc.listenerCount('uncaughtException')).toBe(0);
  });

  it('logs every later event too (nothing is swallowed) while the first decides the exit', async () => {
    const proc = new EventEmitter();
    const { log, lines } = capturedLog();
    const watch = watchFatal(log, proc);
    proc.emit('uncaughtException', new TypeError('first'));
    proc.emit('unhandledRejection', 'a bare string reason');
    await expect(watch.fatal).resolves.toMatchObject({ origin: 'uncaughtException' });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l['origin'])).toEqual(['uncaughtException', 'unhandledRejection']);
    expect(lines[1]?.['err']).toBe('a bare string reason');
    watch.dispose();
  });

  it('exitAfter ends the process with code 1 when the orderly stop overruns, without keeping it alive', async () => {
    const codes: number[] = [];
    exitAfter(10, (code) => codes.push(code));
    await new Promise((r) => setTimeout(r, 50));
    expect(codes).toEqual([1]);
  });
});
