import {
  AuthorizationError,
  ConnectionError,
  PermissionViolationError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';
import { ChurnflowError } from '../contract/codes.js';

/**
 * The exit codes of every `churnflow` command, documented in the README ("Exit codes"). Scripts and supervisors
 * tell "fix the command or the configuration" (2) from "NATS is not there" (3, worth a retry) and "NATS said no"
 * (4, fix the credentials) by them.
 */
export const EXIT_CODES = {
  /** Done, or stopped by a signal after an orderly drain. */
  ok: 0,
  /** Failed while running (the engine failed, a request was answered with an error, nothing was published). */
  failed: 1,
  /** A bad flag, configuration key, configuration file or credential file: nothing was started. */
  usage: 2,
  /** NATS could not be reached: connection refused, timed out, unknown host, TLS not offered or not accepted. */
  natsUnreachable: 3,
  /** NATS refused the credentials (authorization violation, expired user) or the permissions. */
  natsRefused: 4,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** System error codes of a server that is not there (yet): DNS, refused, unreachable, timed out. */
const UNREACHABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/** The exit code a failure stands for, told apart by class and system error code, never by message text. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof ChurnflowError && err.code.startsWith('CONFIG_')) return EXIT_CODES.usage;
  if (
    err instanceof AuthorizationError ||
    err instanceof UserAuthenticationExpiredError ||
    err instanceof PermissionViolationError
  ) {
    return EXIT_CODES.natsRefused;
  }
  if (err instanceof ConnectionError || err instanceof TimeoutError) return EXIT_CODES.natsUnreachable;
  const errno = (err as { code?: unknown } | undefined)?.code;
  if (typeof errno === 'string' && UNREACHABLE_ERRNO.has(errno)) return EXIT_CODES.natsUnreachable;
  return EXIT_CODES.failed;
}

/** An error as one line (nested causes joined with ": "), never a stack trace. */
export function errorLine(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  // Causes say why (e.g. ECONNREFUSED under a ConnectionError); three levels are plenty and stop any cycle.
  for (let depth = 0; e !== undefined && depth < 3; depth++) {
    const text = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    if (text !== '' && !parts.some((p) => p.includes(text))) parts.push(text);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ').replace(/\s*\n\s*/g, ' ');
}

/**
 * The one line a command prints on stderr when it gives up, and its exit code: `churnflow <command>: <what>:
 * <why>`, plus the fix for the common cases.
 */
export function failure(command: string, err: unknown, servers?: string): { line: string; code: ExitCode } {
  const code = exitCodeOf(err);
  const where = servers === undefined ? '' : ` ${servers}`;
  const what =
    code === EXIT_CODES.natsUnreachable
      ? `cannot reach NATS${where}`
      : code === EXIT_CODES.natsRefused
        ? `NATS${where} refused the connection (check --creds/--nkey/--user/--token)`
        : undefined;
  const line = `churnflow ${command}: ${what === undefined ? '' : `${what}: `}${errorLine(err)}`;
  return { line, code };
}
