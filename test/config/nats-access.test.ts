import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientNats, natsOverrides } from '../../src/cli/nats-options.js';
import { loadConfig } from '../../src/config/index.js';
import { ChurnflowError } from '../../src/contract/codes.js';

function errorOf(fn: () => unknown): ChurnflowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChurnflowError) return err;
    throw err;
  }
  throw new Error('expected a ChurnflowError');
}

describe('nats.auth and nats.tls', () => {
  it('default to no credential and no TLS', () => {
    const { auth, tls } = loadConfig({ env: {} }).nats;
    expect(Object.values(auth).every((v) => v === '')).toBe(true);
    expect(tls).toEqual({ enabled: false, caFile: '', certFile: '', keyFile: '' });
  });

  it('come from CHURNFLOW_NATS_AUTH_* / CHURNFLOW_NATS_TLS_* variables', () => {
    const c = loadConfig({
      env: {
        CHURNFLOW_NATS_AUTH_USER: 'engine',
        CHURNFLOW_NATS_AUTH_PASSWORD: 's3cret',
        CHURNFLOW_NATS_TLS_ENABLED: 'true',
        CHURNFLOW_NATS_TLS_CA_FILE: '/etc/nats/ca.pem',
      },
    });
    expect(c.nats.auth).toMatchObject({ user: 'engine', password: 's3cret' });
    expect(c.nats.tls).toMatchObject({ enabled: true, caFile: '/etc/nats/ca.pem' });
  });

  it('refuse two credential kinds at once, naming both keys', () => {
    const err = errorOf(() =>
      loadConfig({ env: { CHURNFLOW_NATS_AUTH_TOKEN: 't', CHURNFLOW_NATS_AUTH_CREDS_FILE: '/x.creds' } }),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('"nats.auth.token" and "nats.auth.credsFile" are mutually exclusive');
    expect(err.context.key).toBe('nats.auth.token');
  });

  it('refuse a user without a password and a certificate without its key', () => {
    expect(errorOf(() => loadConfig({ env: { CHURNFLOW_NATS_AUTH_USER: 'u' } })).context.key).toBe(
      'nats.auth.password',
    );
    expect(errorOf(() => loadConfig({ env: { CHURNFLOW_NATS_AUTH_PASSWORD: 'p' } })).context.key).toBe(
      'nats.auth.user',
    );
    expect(errorOf(() => loadConfig({ env: { CHURNFLOW_NATS_TLS_CERT_FILE: '/c.pem' } })).context.key).toBe(
      'nats.tls.keyFile',
    );
  });
});

describe('a client command’s NATS settings', () => {
  it('take flags over the environment over the file, and a default URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-client-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ nats: { url: 'nats://file:4222', auth: { token: 'from-file' } } }));
    const fromFile = clientNats({ config: file }, {});
    expect(fromFile.servers).toBe('nats://file:4222');
    expect(fromFile.access.auth.token).toBe('from-file');
    const fromEnv = clientNats(
      { config: file },
      { CHURNFLOW_NATS_AUTH_TOKEN: 'from-env', NATS_URL: 'nats://env:1' },
    );
    expect([fromEnv.servers, fromEnv.access.auth.token]).toEqual(['nats://env:1', 'from-env']);
    const fromFlags = clientNats({ config: file, natsToken: 'from-flag', natsUrl: 'nats://flag:2' }, {});
    expect([fromFlags.servers, fromFlags.access.auth.token]).toEqual(['nats://flag:2', 'from-flag']);
    expect(clientNats({}, {}).servers).toBe('nats://127.0.0.1:4222');
    // A flag of another kind next to a token in the file is two credentials: refused, not silently preferred.
    expect(errorOf(() => clientNats({ config: file, natsUser: 'u', natsPassword: 'p' }, {})).code).toBe(
      'CONFIG_INVALID',
    );
  });

  it('map every flag to its key and set nothing for absent flags', () => {
    expect(natsOverrides({})).toEqual({});
    expect(natsOverrides({ tls: true, tlsCa: 'ca', natsNkey: 'k' })).toEqual({
      'nats.tls.enabled': true,
      'nats.tls.caFile': 'ca',
      'nats.auth.nkeyFile': 'k',
    });
  });
});
