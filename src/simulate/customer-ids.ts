/**
 * Simulated customer ids that look like real ones: mostly account numbers (`c-000123`), some e-mail addresses
 * (`ana.silva+c-7@example.com`), so the subject-token escaping of '.', '@' and '+' gets exercised by every run.
 */
import type { Prng } from './prng.js';

const FIRST = [
  'ana',
  'ben',
  'chloe',
  'david',
  'emma',
  'farid',
  'grace',
  'hugo',
  'ines',
  'jonas',
  'kim',
  'lea',
];
const LAST = ['silva', 'meyer', 'okafor', 'dubois', 'rossi', 'tanaka', 'novak', 'garcia', 'smith', 'berg'];
const DOMAINS = ['example.com', 'mail.example.org', 'shop.example.net'];

/**
 * The id of customer number `index`: `${prefix}${index padded to 6 digits}`, or with probability
 * `emailShare` (drawn from `rng`) an e-mail address whose `+tag` holds the prefix and index, so ids stay unique.
 */
export function customerIdFor(index: number, prefix: string, emailShare: number, rng: Prng): string {
  if (rng.chance(emailShare)) {
    return `${rng.pick(FIRST)}.${rng.pick(LAST)}+${prefix}${index}@${rng.pick(DOMAINS)}`;
  }
  return `${prefix}${String(index).padStart(6, '0')}`;
}
