import type { DestinationStream } from 'pino';

/**
 * Log output for a person at a terminal: pino's JSON lines rewritten as `12:04:05 WARN  message  key=value`.
 * Off a terminal the CLI keeps pino's JSON, which is what log collectors parse; this is only for eyes.
 */

/** Whether to colour output on `stream`: a terminal, and neither NO_COLOR (no-color.org) nor TERM=dumb set. */
export function useColor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb';
}

/** ANSI styles, or none: every piece of terminal text goes through one of these. */
export interface Paint {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly green: (s: string) => string;
  readonly cyan: (s: string) => string;
}

const sgr =
  (on: number, off: number) =>
  (s: string): string =>
    `\u001b[${on}m${s}\u001b[${off}m`;

/** The styles to use: ANSI escapes when `color`, the text unchanged otherwise. */
export function paint(color: boolean): Paint {
  const same = (s: string): string => s;
  if (!color) return { bold: same, dim: same, red: same, yellow: same, green: same, cyan: same };
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    cyan: sgr(36, 39),
  };
}

/** pino's numeric levels, as printed. */
const LEVELS: Readonly<Record<number, readonly [string, keyof Paint]>> = {
  10: ['TRACE', 'dim'],
  20: ['DEBUG', 'dim'],
  30: ['INFO ', 'green'],
  40: ['WARN ', 'yellow'],
  50: ['ERROR', 'red'],
  60: ['FATAL', 'red'],
};

/** Fields every line has, already shown in another form (or of no use to a reader: pid, name). */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/** Renders one pino JSON line for a terminal; a line that is not JSON passes through unchanged. */
export function formatLogLine(line: string, p: Paint): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const [label, style] = LEVELS[Number(rec['level'])] ?? ['LOG  ', 'dim'];
  const time = new Date(Number(rec['time'])).toTimeString().slice(0, 8);
  const fields = Object.entries(rec)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${p.dim(`${k}=`)}${fieldText(v)}`);
  const msg = typeof rec['msg'] === 'string' ? rec['msg'] : '';
  return [`${p.dim(time)} ${p[style](label)} ${msg}`, ...fields].join('  ') + '\n';
}

/** A field's value: strings bare, errors as `Type: message` (the stack is in the JSON logs), the rest as JSON. */
function fieldText(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  if (typeof v === 'object' && v !== null && 'message' in v && 'type' in v) {
    return JSON.stringify(`${String(v.type)}: ${String(v.message)}`);
  }
  return JSON.stringify(v);
}

/** A pino destination writing readable lines to `out` (a terminal). */
export function ttyDestination(out: NodeJS.WritableStream, color: boolean): DestinationStream {
  const p = paint(color);
  return { write: (line: string) => void out.write(formatLogLine(line, p)) };
}
