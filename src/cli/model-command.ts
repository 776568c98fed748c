import { Command } from 'commander';
import { connect } from '@nats-io/transport-node';

/**
 * `churnflow model status|rollback`: asks a running engine over NATS (request/reply on
 * `<prefix>.models.status|rollback`) and prints its JSON answer. Exit code 1 when the rollback was refused.
 */
export function modelCommand(): Command {
  const cmd = new Command('model').description("inspect or roll back a running engine's churn model");
  for (const action of ['status', 'rollback'] as const) {
    cmd
      .command(action)
      .description(
        action === 'status'
          ? 'current, previous and refused model versions'
          : 'return to the previous admitted version and pin it until a newer one appears',
      )
      .option('--nats-url <url>', 'NATS server (default: $NATS_URL or nats://127.0.0.1:4222)')
      .option('--prefix <subject>', 'output subject prefix of the engine', 'churnflow')
      .action(async (opts: { natsUrl?: string; prefix: string }) => {
        const nc = await connect({
          servers: opts.natsUrl ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
        });
        try {
          const reply = await nc.request(`${opts.prefix}.models.${action}`, undefined, { timeout: 10_000 });
          const answer = reply.json<{ ok?: boolean }>();
          process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
          if (answer.ok === false) process.exitCode = 1;
        } finally {
          await nc.close();
        }
      });
  }
  return cmd;
}
