import type { Config } from '../config/index.js';
import type { Paint } from './tty-log.js';

/** What the banner reports of a started engine. */
export interface BannerFacts {
  readonly version: string;
  /** The runtime's mode: 'nats', 'embedded-nats', 'in-process', 'file'. */
  readonly mode: string;
  /** The server the connection is on (`host:port`, from the client), when there is one. */
  readonly connectedTo?: string;
  readonly opsPort: number;
  readonly partitions: readonly number[];
}

/**
 * The lines `churnflow start` prints on a terminal once it runs: where it connected (and whether that is the
 * embedded server it started), where the ops endpoints are, and a command to watch the scores go by.
 */
export function startupBanner(config: Readonly<Config>, facts: BannerFacts, p: Paint): string {
  const url = facts.connectedTo === undefined ? undefined : `nats://${facts.connectedTo}`;
  const nats =
    url === undefined
      ? `none (${facts.mode}: source ${config.source}, sink ${config.sink})`
      : facts.mode === 'embedded-nats'
        ? `${url} (embedded nats-server started for this run; set NATS_URL to use yours)`
        : url;
  // 0.0.0.0 and :: listen everywhere; a browser or curl on this machine reaches them on loopback.
  const host = ['0.0.0.0', '::', ''].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  const ops = `http://${host.includes(':') ? `[${host}]` : host}:${facts.opsPort}`;
  const rows: [string, string][] = [
    ['NATS', nats],
    [
      'stream',
      `${config.nats.stream} (consumer ${config.nats.consumer}), partitions ${facts.partitions.join(',')}`,
    ],
    ['ops', `${ops}/metrics  ${ops}/healthz  ${ops}/readyz`],
  ];
  if (url !== undefined && config.sink === 'nats') rows.push(['watch', watchCommand(config, url)]);
  return [
    `${p.bold('churnflow')} ${facts.version} ${p.green('running')}`,
    ...rows.map(([k, v]) => `  ${p.dim(k.padEnd(7))}${k === 'watch' ? p.cyan(v) : v}`),
    `  ${p.dim('stop'.padEnd(7))}Ctrl-C (drains, snapshots, exits)`,
    '',
  ].join('\n');
}

/**
 * A `nats sub` line for the score subjects, with the connection's credential files (never a password or token:
 * the banner may end up in a screenshot; those are marked for the reader to add).
 */
export function watchCommand(config: Readonly<Config>, url: string): string {
  const { auth, tls } = config.nats;
  const parts = ['nats', 'sub', '-s', url];
  if (auth.credsFile !== '') parts.push('--creds', auth.credsFile);
  if (auth.nkeyFile !== '') parts.push('--nkey', auth.nkeyFile);
  if (auth.user !== '') parts.push('--user', auth.user, '--password', '…');
  if (auth.token !== '') parts.push('--user', '<token>');
  if (tls.caFile !== '') parts.push('--tlsca', tls.caFile);
  if (tls.certFile !== '') parts.push('--tlscert', tls.certFile, '--tlskey', tls.keyFile);
  parts.push(`'${config.publish.prefix}.scores.>'`);
  const note =
    config.publish.encoding === 'msgpack' ? '   # MessagePack payloads; publish.encoding json for text' : '';
  return parts.join(' ') + note;
}
