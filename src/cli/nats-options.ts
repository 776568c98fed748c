import { Option, type Command } from 'commander';
import { loadConfig } from '../config/index.js';
import type { NatsAccess } from '../nats/index.js';
import { resolveProjectPath } from './paths.js';

/**
 * The NATS connection flags every command that connects takes (commander's camel-cased names). The credential
 * flags are named as the `nats` CLI names them (`--creds`, `--nkey`, `--user`, `--password`, `--token`); the older
 * `--nats-*` spellings still work, unlisted.
 */
export interface NatsFlags {
  readonly config?: string;
  readonly natsUrl?: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly nkey?: string;
  readonly creds?: string;
  readonly natsUser?: string;
  readonly natsPassword?: string;
  readonly natsToken?: string;
  readonly natsNkey?: string;
  readonly natsCreds?: string;
  readonly tls?: boolean;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

/** The server a client command uses when neither flags, environment nor file name one. */
export const DEFAULT_CLIENT_URL = 'nats://127.0.0.1:4222';

/**
 * Adds the NATS connection flags to a command. Each sets one key of the `nats` configuration section and wins
 * over the file and the environment; secrets are better given as environment variables
 * (`CHURNFLOW_NATS_AUTH_PASSWORD`, `CHURNFLOW_NATS_AUTH_TOKEN`) than as flags, which other users can see in `ps`.
 */
export function addNatsOptions(cmd: Command, urlHelp: string): Command {
  cmd
    .option('--nats-url <url>', `${urlHelp} [env: NATS_URL]`)
    .option('--creds <file>', 'NATS credentials file (user JWT + seed) [env: CHURNFLOW_NATS_AUTH_CREDS_FILE]')
    .option('--nkey <file>', 'file holding a user nkey seed [env: CHURNFLOW_NATS_AUTH_NKEY_FILE]')
    .option('--user <name>', 'NATS user, with --password [env: CHURNFLOW_NATS_AUTH_USER]')
    .option('--password <password>', 'NATS password (prefer $CHURNFLOW_NATS_AUTH_PASSWORD: flags show in ps)')
    .option('--token <token>', 'NATS token (prefer $CHURNFLOW_NATS_AUTH_TOKEN: flags show in ps)')
    .option('--tls', 'require TLS [env: CHURNFLOW_NATS_TLS_ENABLED]')
    .option(
      '--tls-ca <file>',
      'CA certificate(s) of the server certificate, PEM [env: CHURNFLOW_NATS_TLS_CA_FILE]',
    )
    .option(
      '--tls-cert <file>',
      'client certificate, PEM, with --tls-key [env: CHURNFLOW_NATS_TLS_CERT_FILE]',
    )
    .option('--tls-key <file>', 'client private key, PEM [env: CHURNFLOW_NATS_TLS_KEY_FILE]');
  // The spellings of the first release, kept so existing scripts run; help lists the `nats` CLI's names only.
  for (const [flag, arg] of LEGACY_FLAGS) cmd.addOption(new Option(`--${flag} <${arg}>`).hideHelp());
  return cmd;
}

const LEGACY_FLAGS = [
  ['nats-user', 'name'],
  ['nats-password', 'password'],
  ['nats-token', 'token'],
  ['nats-nkey', 'file'],
  ['nats-creds', 'file'],
] as const;

/** The configuration overrides the given flags stand for (absent flags set nothing). */
export function natsOverrides(flags: NatsFlags): Record<string, unknown> {
  const pairs: [string, unknown][] = [
    ['nats.url', flags.natsUrl],
    ['nats.auth.user', flags.user ?? flags.natsUser],
    ['nats.auth.password', flags.password ?? flags.natsPassword],
    ['nats.auth.token', flags.token ?? flags.natsToken],
    ['nats.auth.nkeyFile', flags.nkey ?? flags.natsNkey],
    ['nats.auth.credsFile', flags.creds ?? flags.natsCreds],
    ['nats.tls.enabled', flags.tls === true ? true : undefined],
    ['nats.tls.caFile', flags.tlsCa],
    ['nats.tls.certFile', flags.tlsCert],
    ['nats.tls.keyFile', flags.tlsKey],
  ];
  return Object.fromEntries(pairs.filter(([, v]) => v !== undefined));
}

/**
 * Where and how a client command (simulate, model, train) connects: the `nats` section of the configuration file
 * (`--config`, else `$CHURNFLOW_CONFIG`, else defaults), overlaid by `CHURNFLOW_NATS_*` / `NATS_URL` and then the
 * flags — the same keys, checks and precedence as `churnflow start`. An empty URL means {@link DEFAULT_CLIENT_URL}.
 * @throws ChurnflowError CONFIG_INVALID naming the key.
 */
export function clientNats(
  flags: NatsFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { servers: string; access: NatsAccess } {
  const file = flags.config ?? env['CHURNFLOW_CONFIG'];
  const config = loadConfig({
    ...(file === undefined ? {} : { file: resolveProjectPath(file) }),
    env,
    overrides: natsOverrides(flags),
  });
  return { servers: config.nats.url === '' ? DEFAULT_CLIENT_URL : config.nats.url, access: config.nats };
}
