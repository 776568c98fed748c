import { Command } from 'commander';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '../log/index.js';
import { connectNats } from '../nats/index.js';
import { exitCodeOf } from './exit-codes.js';
import { addNatsOptions, clientNats, type NatsFlags } from './nats-options.js';

const ACTIONS = {
  status: 'current, previous, pinned and refused model versions',
  rollback: 'return to the previous admitted version and pin it until a newer one appears',
  unpin: 'leave a rollback pin: follow the newest admitted version again',
} as const;

/**
 * `churnflow model status|rollback|unpin`: asks a running engine over NATS (request/reply on
 * `<prefix>.models.<action>`) and prints its JSON answer. Exit code 1 when the engine answered with an error
 * (e.g. nothing to roll back to) or did not answer (no engine, or NATS refused the request: no permission).
 */
export function modelCommand(): Command {
  const cmd = new Command('model').description("inspect, roll back or unpin a running engine's churn model");
  for (const [action, description] of Object.entries(ACTIONS)) {
    const sub = cmd
      .command(action)
      .description(description)
      .option('-c, --config <file>', 'configuration file for the nats.* keys (default: $CHURNFLOW_CONFIG)')
      .option('--prefix <subject>', 'output subject prefix of the engine', 'churnflow');
    addNatsOptions(sub, `NATS server (default: $NATS_URL or nats://127.0.0.1:4222)`).action(
      async (opts: NatsFlags & { prefix: string }) => {
        process.exitCode = await runModelAction(action, opts);
      },
    );
  }
  return cmd;
}

/** Sends one model request and prints the answer; returns the exit code. */
export async function runModelAction(
  action: string,
  opts: NatsFlags & { prefix: string },
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const { servers, access } = clientNats(opts);
  // Quiet by default: a refused or unanswered request is said once, on stderr, below.
  const log = createLogger(process.env['CHURNFLOW_LOG_LEVEL'] ?? 'fatal');
  const fail = (what: string, err: unknown): number => {
    process.stderr.write(
      `churnflow model ${action}: ${what}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  };
  let nc: NatsConnection;
  try {
    nc = await connectNats({ servers, access, name: `churnflow-model-${action}`, log, persistent: false });
  } catch (err) {
    fail(`cannot connect to ${servers}`, err);
    return exitCodeOf(err); // 3: not reachable, 4: refused
  }
  try {
    const reply = await nc.request(`${opts.prefix}.models.${action}`, undefined, { timeout: 10_000 });
    const answer = reply.json<{ error?: unknown }>();
    stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return answer.error === undefined ? 0 : 1;
  } catch (err) {
    // No responders, a timeout, or a permissions violation: the request never reached an engine allowed to answer.
    return fail('no answer', err);
  } finally {
    await nc.close();
  }
}
