import type { DlqReason } from '../contract/codes.js';

/**
 * Why a message is refused: one dead-letter reason and a detail naming the field and value.
 * Built only on the failure path; a class so a validator can return `CustomerEvent | Problem` and callers tell
 * them apart with `instanceof` (no wrapper object for the valid case).
 */
export class Problem {
  constructor(
    /** The dead-letter reason code. */
    readonly reason: DlqReason,
    /** Printable-ASCII detail, e.g. `ts: expected a number, got "2024-05-01"`. Safe for a NATS header. */
    readonly detail: string,
  ) {}
}

const MAX_SHOWN_CHARS = 64;

/**
 * The text with every character outside printable ASCII written as `\uXXXX`. Details travel in a NATS header:
 * they stay single-line printable ASCII whatever the payload held.
 */
export function ascii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** A short, printable rendering of any decoded value for a detail string (strings quoted, long ones cut). */
export function show(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return ascii(
        JSON.stringify(value.length > MAX_SHOWN_CHARS ? value.slice(0, MAX_SHOWN_CHARS) + '...' : value),
      );
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'nothing';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of ${value.length}`;
      if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor
        ?.name;
      return typeof name === 'string' && name !== 'Object' ? `a ${ascii(name)}` : 'a map';
    }
    default:
      return `a ${typeof value}`;
  }
}
