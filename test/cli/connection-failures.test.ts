import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/engine-process.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { runCli, SERVICE_LINKS } from './cli-process.js';

// The built CLI as users and scripts meet it: `npm run build` first (the `pretest` script does).

/** A one-line failure: a single line on stderr, no stack frames. */
function expectOneLine(stderr: string): void {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

let nats: NatsFixture;
let deadUrl = '';
beforeAll(async () => {
  nats = await natsFixture({
    server: { config: 'authorization { users = [ { user: "sim", password: "right" } ] }' },
    client: { user: 'sim', pass: 'right' },
  });
  deadUrl = `nats://127.0.0.1:${await freePort()}`;
});
afterAll(async () => {
  await nats[Symbol.asyncDispose]();
});

describe('churnflow CLI', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const run = await runCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(pkg.version);
  });

  it('refuses an unknown flag with exit code 2', async () => {
    const run = await runCli(['simulate', '--no-such-flag']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('says in one line that NATS is unreachable, exit code 3, without waiting', async () => {
    const run = await runCli(['simulate', '--nats-url', deadUrl, '--customers', '10']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`churnflow simulate: cannot reach NATS ${deadUrl}`);
    expect(run.stderr).toContain('ECONNREFUSED');
    expectOneLine(run.stderr);
  });

  it('fails train --source nats and model at once on an unreachable server, exit code 3', async () => {
    const train = await runCli(['train', '--source', 'nats', '--nats-url', deadUrl, '--out', '/tmp/cf-none']);
    expect(train.code).toBe(3);
    expect(train.stderr).toMatch(/^churnflow train: .*connection refused/m);
    const model = await runCli(['model', 'status', '--nats-url', deadUrl]);
    expect(model.code).toBe(3);
    expectOneLine(model.stderr);
  });

  it('takes the nats CLI credential flags; refused credentials are one line, exit code 4', async () => {
    const common = ['simulate', '--nats-url', nats.server.url, '--customers', '5', '--history-days', '1'];
    const refused = await runCli([...common, '--user', 'sim', '--password', 'wrong']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(
      /^churnflow simulate: NATS .* refused the connection .*Authorization Violation/,
    );
    expectOneLine(refused.stderr);
    const accepted = await runCli([...common, '--live-seconds', '1', '--stream', 'CLI_FLAGS'], {
      CHURNFLOW_NATS_AUTH_USER: 'sim',
      CHURNFLOW_NATS_AUTH_PASSWORD: 'right',
    });
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
  });

  it('passes over Kubernetes service-link variables but refuses a misspelled key, naming it', async () => {
    const links = await runCli(['simulate', '--nats-url', deadUrl], SERVICE_LINKS);
    // Reaching the connection means the configuration was accepted (before: exit code 2, unknown variable).
    expect(links.code).toBe(3);
    const typo = await runCli(['simulate', '--nats-url', deadUrl], { CHURNFLOW_NATS_URLL: deadUrl });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown environment variable CHURNFLOW_NATS_URLL');
    expect(typo.stderr).toContain('did you mean CHURNFLOW_NATS_URL?');
    expectOneLine(typo.stderr);
    // A port of the user's own (no such key) is not mistaken for a service link: its value is not tcp://host:port.
    const ownPort = await runCli(['simulate', '--nats-url', deadUrl], { CHURNFLOW_NATS_PORT: '4222' });
    expect(ownPort.code).toBe(2);
    expect(ownPort.stderr).toContain('CHURNFLOW_NATS_PORT');
  });
});
