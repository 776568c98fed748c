import { ChurnflowError } from '../contract/codes.js';
import type { Config } from './schema.js';

/** The credential kinds of `nats.auth`: a connection presents one of them at most. */
const CREDENTIALS = ['user', 'token', 'nkeyFile', 'credsFile'] as const;

function invalid(key: string, message: string): ChurnflowError {
  return new ChurnflowError('CONFIG_INVALID', message, { key });
}

/**
 * Checks what the schema cannot: at most one credential kind in `nats.auth` (the server would see only one, and
 * silently preferring one would hide a mistake), user and password together, TLS certificate and key together.
 * @throws ChurnflowError CONFIG_INVALID naming the keys.
 */
export function checkNatsAccess(nats: Readonly<Config['nats']>): void {
  const { auth, tls } = nats;
  const set = CREDENTIALS.filter((k) => auth[k] !== '').map((k) => `nats.auth.${k}`);
  if (set.length > 1) {
    const named = set.map((k) => `"${k}"`).join(' and ');
    throw invalid(set[0] as string, `config keys ${named} are mutually exclusive: set one credential`);
  }
  if (auth.user !== '' && auth.password === '') {
    throw invalid(
      'nats.auth.password',
      'config key "nats.auth.password": required when nats.auth.user is set',
    );
  }
  if (auth.password !== '' && auth.user === '') {
    throw invalid('nats.auth.user', 'config key "nats.auth.user": required when nats.auth.password is set');
  }
  if (tls.certFile !== '' && tls.keyFile === '') {
    throw invalid(
      'nats.tls.keyFile',
      'config key "nats.tls.keyFile": required when nats.tls.certFile is set',
    );
  }
  if (tls.keyFile !== '' && tls.certFile === '') {
    throw invalid(
      'nats.tls.certFile',
      'config key "nats.tls.certFile": required when nats.tls.keyFile is set',
    );
  }
}
