/** Records refused while replaying history, by stage and reason, as one line (logs, failures, the CLI). */

/** `decode undecodable 1, out_of_range 2; store too_old 3`, or `none`. */
export function refusals(
  decode: Readonly<Partial<Record<string, number>>>,
  store: Readonly<Partial<Record<string, number>>>,
): string {
  const list = (by: Readonly<Partial<Record<string, number>>>): string =>
    Object.entries(by)
      .filter(([, n]) => (n ?? 0) > 0)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
  const parts = [
    ['decode', list(decode)],
    ['store', list(store)],
  ].filter(([, l]) => l !== '');
  return parts.length === 0 ? 'none' : parts.map(([stage, l]) => `${stage} ${l}`).join('; ');
}
