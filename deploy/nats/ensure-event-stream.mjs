/* global process */
// One-shot set-up of the compose stack (service nats-setup, run by the churnflow image's node from /app): makes the
// event stream capture the subjects the server's partition mapping stores, `<prefix>.>` (default `pevents.>`).
//
// Why a job of its own: the simulator creates the stream when it is missing, capturing what it publishes
// (`events.>`); behind the mapping nothing is ever stored there, so its publishes would find no stream until an
// engine added `pevents.>`. Creating the stream first removes that race. The engines' own start-up call is the
// same function (ensureStreamCaptures), so an existing stream keeps its settings and only gains missing subjects.
//
// Environment: NATS_URL (default nats://127.0.0.1:4222), CHURNFLOW_NATS_STREAM (EVENTS),
// CHURNFLOW_PARTITIONS_SUBJECT_PREFIX (pevents). Exit code 0 once the stream captures the subjects, 1 otherwise.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureStreamCaptures } from '../../dist/src/ingest/index.js';

const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const stream = process.env.CHURNFLOW_NATS_STREAM ?? 'EVENTS';
const prefix = process.env.CHURNFLOW_PARTITIONS_SUBJECT_PREFIX ?? 'pevents';

try {
  // The server is reported healthy before this runs (depends_on), so one attempt suffices; no reconnect loop.
  const nc = await connect({ servers, name: 'churnflow-nats-setup', reconnect: false });
  await ensureStreamCaptures(await jetstreamManager(nc), stream, [`${prefix}.>`]);
  await nc.close();
  process.stdout.write(`stream ${stream} captures ${prefix}.>\n`);
} catch (err) {
  process.stderr.write(`cannot set up stream ${stream} on ${servers}: ${String(err)}\n`);
  process.exitCode = 1;
}
