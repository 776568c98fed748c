import { spawn, type ChildProcess } from 'node:child_process';

/** The built CLI as a user runs it (`npm run build` first): its output, exit code, and a terminal when asked. */

export const CLI = 'dist/src/cli/main.js';

/** What a finished CLI run printed and how it ended (`code` null: it was killed after `timeoutMs`). */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `churnflow <args>` off a terminal (pipes) with `env` on top of the environment; kills it after `timeoutMs`. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return finished(child, timeoutMs);
}

/**
 * Runs `churnflow <args>` on a pseudo-terminal (util-linux `script`), as a person at a terminal would: stdout and
 * stderr are the terminal, read back together as `stdout`. `script` passes the environment through.
 */
export function spawnOnTty(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ');
  return spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess, timeoutMs: number): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Collects a child's stdout and resolves once `pattern` appears in it (rejects after `ms`). */
export function untilOutput(child: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${String(pattern)} within ${ms} ms in:\n${out}`)),
      ms,
    );
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (!pattern.test(out)) reject(new Error(`exited (${code}) before ${String(pattern)} in:\n${out}`));
    });
  });
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Variables Kubernetes writes for Services `churnflow-nats`, `churnflow-http` and `churnflow-metrics`. */
export const SERVICE_LINKS = {
  CHURNFLOW_NATS_SERVICE_HOST: '10.0.0.5',
  CHURNFLOW_NATS_SERVICE_PORT: '4222',
  CHURNFLOW_NATS_SERVICE_PORT_CLIENT: '4222',
  CHURNFLOW_NATS_PORT: 'tcp://10.0.0.5:4222',
  CHURNFLOW_NATS_PORT_4222_TCP: 'tcp://10.0.0.5:4222',
  CHURNFLOW_NATS_PORT_4222_TCP_PROTO: 'tcp',
  CHURNFLOW_NATS_PORT_4222_TCP_PORT: '4222',
  CHURNFLOW_NATS_PORT_4222_TCP_ADDR: '10.0.0.5',
  CHURNFLOW_HTTP_PORT: 'tcp://10.0.0.6:80',
  CHURNFLOW_HTTP_SERVICE_HOST: '10.0.0.6',
  CHURNFLOW_METRICS_PORT: 'tcp://10.0.0.7:9464',
  CHURNFLOW_METRICS_SERVICE_HOST: '10.0.0.7',
  CHURNFLOW_PORT_9464_TCP_ADDR: '10.0.0.8',
};
