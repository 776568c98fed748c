/**
 * Kubernetes gives every container environment variables for every Service in its namespace (service links,
 * unless `enableServiceLinks: false`): a Service `churnflow-metrics` with port 9464 yields
 * `CHURNFLOW_METRICS_SERVICE_HOST=10.0.0.7`, `CHURNFLOW_METRICS_SERVICE_PORT=9464`,
 * `CHURNFLOW_METRICS_PORT=tcp://10.0.0.7:9464` and `CHURNFLOW_METRICS_PORT_9464_TCP{,_PROTO,_PORT,_ADDR}`. They
 * share our `CHURNFLOW_` prefix by accident of naming, so the loader must pass over them instead of refusing them
 * as misspelled keys. Both the name and the value must have the shape Kubernetes writes, so that a user's own
 * `CHURNFLOW_NATS_PORT=4222` (no such key) is still refused, and `CHURNFLOW_HTTP_PORT=9464` (a real key) still
 * applies while a Service `churnflow-http`'s `CHURNFLOW_HTTP_PORT=tcp://10.0.0.7:80` does not.
 */

const HOST = /^\S+$/;
const DIGITS = /^\d+$/;
const PROTO = /^(tcp|udp|sctp)$/;
// IPv6 cluster addresses come bracketed: tcp://[fd00::1]:9464.
const LINK_URL = /^(tcp|udp|sctp):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/]+):\d+$/;

/** Name suffix → the value Kubernetes writes under it. */
const SHAPES: readonly (readonly [RegExp, RegExp])[] = [
  [/._SERVICE_HOST$/, HOST],
  [/._SERVICE_PORT(_[A-Z0-9_]+)?$/, DIGITS],
  [/._PORT_\d+_(TCP|UDP|SCTP)_PROTO$/, PROTO],
  [/._PORT_\d+_(TCP|UDP|SCTP)_PORT$/, DIGITS],
  [/._PORT_\d+_(TCP|UDP|SCTP)_ADDR$/, HOST],
  [/._PORT_\d+_(TCP|UDP|SCTP)$/, LINK_URL],
  [/._PORT$/, LINK_URL],
];

/** Whether `name=value` is a Kubernetes service-link variable (see the module comment). */
export function isServiceLink(name: string, value: string): boolean {
  return SHAPES.some(([suffix, shape]) => suffix.test(name) && shape.test(value));
}

/** The candidate closest to `name` by edit distance, when close enough to be a plausible typo. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 8)) + 1;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Levenshtein distance; names are short (< 60 characters) and checked once at start. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, substitution));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
