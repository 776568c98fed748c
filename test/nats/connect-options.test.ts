import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { ChurnflowError } from '../../src/contract/codes.js';
import { connectNats, natsAccessOptions, startNatsServer, type NatsAccess } from '../../src/nats/index.js';
import { operatorSetup } from '../helpers/nats-jwt.js';

const log = pino({ level: 'silent' });

/** The `nats` section as the loader builds it from these keys (file, env and flags all end here). */
function access(overrides: Record<string, unknown>): NatsAccess {
  return loadConfig({ env: {}, overrides }).nats;
}

/** Connects once, fails fast (one-shot), and reports whether a round trip works. */
async function roundTrip(url: string, a: NatsAccess): Promise<'ok'> {
  const nc = await connectNats({
    servers: url,
    name: 'connect-options-test',
    log,
    access: a,
    persistent: false,
  });
  try {
    await nc.flush();
    return 'ok';
  } finally {
    await nc.close();
  }
}

describe('NATS credentials built in one place, against a real nats-server', () => {
  it('connects with a token and is refused without it', async () => {
    await using server = await startNatsServer({ config: 'authorization { token: "t0ken-s3cret" }\n' });
    expect(await roundTrip(server.url, access({ 'nats.auth.token': 't0ken-s3cret' }))).toBe('ok');
    await expect(roundTrip(server.url, access({}))).rejects.toThrow();
    await expect(roundTrip(server.url, access({ 'nats.auth.token': 'wrong' }))).rejects.toThrow();
  });

  it('connects with an nkey seed file (the server knows only the public key)', async () => {
    const user = nkeys.createUser();
    const dir = mkdtempSync(join(tmpdir(), 'cf-nkey-'));
    const seedFile = join(dir, 'user.nk');
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()) + '\n', { mode: 0o600 });
    await using server = await startNatsServer({
      config: `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`,
    });
    expect(await roundTrip(server.url, access({ 'nats.auth.nkeyFile': seedFile }))).toBe('ok');
    const other = join(dir, 'other.nk');
    writeFileSync(other, new TextDecoder().decode(nkeys.createUser().getSeed()));
    await expect(roundTrip(server.url, access({ 'nats.auth.nkeyFile': other }))).rejects.toThrow();
  });

  it('connects with a creds file (user JWT + seed) to a server in operator mode', async () => {
    const setup = operatorSetup();
    const dir = mkdtempSync(join(tmpdir(), 'cf-creds-'));
    writeFileSync(join(dir, 'user.creds'), setup.creds, { mode: 0o600 });
    writeFileSync(join(dir, 'stranger.creds'), setup.strangerCreds, { mode: 0o600 });
    await using server = await startNatsServer({ config: setup.serverConfig });
    expect(await roundTrip(server.url, access({ 'nats.auth.credsFile': join(dir, 'user.creds') }))).toBe(
      'ok',
    );
    await expect(
      roundTrip(server.url, access({ 'nats.auth.credsFile': join(dir, 'stranger.creds') })),
    ).rejects.toThrow();
  });

  it('connects over TLS with a CA and a client certificate the server verifies', async () => {
    const dir = tlsMaterial();
    await using server = await startNatsServer({
      config: [
        'tls {',
        `  cert_file: "${join(dir, 'server.pem')}"`,
        `  key_file: "${join(dir, 'server.key')}"`,
        `  ca_file: "${join(dir, 'ca.pem')}"`,
        '  verify: true',
        '}',
        '',
      ].join('\n'),
    });
    const withClientCert = access({
      'nats.tls.caFile': join(dir, 'ca.pem'),
      'nats.tls.certFile': join(dir, 'client.pem'),
      'nats.tls.keyFile': join(dir, 'client.key'),
    });
    expect(await roundTrip(server.url, withClientCert)).toBe('ok');
    // The server verifies clients: the CA alone (no client certificate) is not enough.
    await expect(roundTrip(server.url, access({ 'nats.tls.caFile': join(dir, 'ca.pem') }))).rejects.toThrow();
  }, 30_000);

  it('names the key of a credential file that cannot be read or holds no seed, before connecting', () => {
    const codeAndKey = (overrides: Record<string, unknown>) => {
      try {
        natsAccessOptions(access(overrides));
      } catch (err) {
        if (err instanceof ChurnflowError) return [err.code, err.context.key];
        throw err;
      }
      return undefined;
    };
    const dir = mkdtempSync(join(tmpdir(), 'cf-creds-'));
    const notASeed = join(dir, 'not-a-seed');
    writeFileSync(notASeed, 'hello');
    expect(codeAndKey({ 'nats.auth.nkeyFile': join(dir, 'missing') })).toEqual([
      'CONFIG_INVALID',
      'nats.auth.nkeyFile',
    ]);
    expect(codeAndKey({ 'nats.auth.nkeyFile': notASeed })).toEqual(['CONFIG_INVALID', 'nats.auth.nkeyFile']);
    expect(codeAndKey({ 'nats.auth.credsFile': join(dir, 'missing') })).toEqual([
      'CONFIG_INVALID',
      'nats.auth.credsFile',
    ]);
    expect(codeAndKey({ 'nats.tls.caFile': join(dir, 'missing') })).toEqual([
      'CONFIG_INVALID',
      'nats.tls.caFile',
    ]);
    expect(natsAccessOptions(access({ 'nats.tls.enabled': true }))).toEqual({ tls: {} });
    expect(natsAccessOptions(access({}))).toEqual({});
  });
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in a temp dir. */
function tlsMaterial(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=churnflow-test-ca',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
  return dir;
}
