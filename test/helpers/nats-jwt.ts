import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createUser>;

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** A JWT as nats-server reads it: ed25519-nkey signed by `issuer`, with `nats` claims for `subject`. */
function jwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = b64url(new TextEncoder().encode(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' })));
  const claims = {
    jti: Math.random().toString(36).slice(2).toUpperCase(),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  const payload = b64url(new TextEncoder().encode(JSON.stringify(claims)));
  const signature = b64url(issuer.sign(new TextEncoder().encode(`${header}.${payload}`)));
  return `${header}.${payload}.${signature}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1 };

/**
 * An operator, one account and one user, for a nats-server in operator mode (memory resolver): the server's
 * configuration text and the user's creds file text, as `nsc` would write them. Test fixture only.
 */
export function operatorSetup(): { serverConfig: string; creds: string; strangerCreds: string } {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  // JetStream (the launcher always enables it) needs a system account in operator mode.
  const system = nkeys.createAccount();
  const operatorJwt = jwt(operator, operator.getPublicKey(), 'test-operator', { type: 'operator' });
  const accountJwt = jwt(operator, account.getPublicKey(), 'test-account', {
    type: 'account',
    limits: { ...UNLIMITED, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
  });
  const systemJwt = jwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: UNLIMITED });
  const credsFor = (issuer: KeyPair): string => {
    const user = nkeys.createUser();
    const userJwt = jwt(issuer, user.getPublicKey(), 'test-user', { type: 'user', ...UNLIMITED });
    const seed = new TextDecoder().decode(user.getSeed());
    return [
      '-----BEGIN NATS USER JWT-----',
      userJwt,
      '------END NATS USER JWT------',
      '',
      '-----BEGIN USER NKEY SEED-----',
      seed,
      '------END USER NKEY SEED------',
      '',
    ].join('\n');
  };
  return {
    serverConfig: [
      `operator: "${operatorJwt}"`,
      `system_account: ${system.getPublicKey()}`,
      'resolver: MEMORY',
      `resolver_preload: { ${account.getPublicKey()}: "${accountJwt}", ${system.getPublicKey()}: "${systemJwt}" }`,
      '',
    ].join('\n'),
    creds: credsFor(account),
    // Signed by an account the server does not know: refused.
    strangerCreds: credsFor(nkeys.createAccount()),
  };
}
