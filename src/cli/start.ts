import { Registry, collectDefaultMetrics } from 'prom-client';
import { loadConfig, type Config } from '../config/index.js';
import { createPartitionHost, type PartitionHost } from '../host/index.js';
import { compilePartitionOptions, createPartitionOwnership } from '../partitions/index.js';
import { createLogger, type Logger } from '../log/index.js';
import {
  createEngineMetrics,
  createModelMetrics,
  createReadiness,
  startOpsServer,
  type NotReady,
} from '../metrics/index.js';
import {
  createModelRegistry,
  createShadowScorer,
  selectBackend,
  type ModelRegistry,
} from '../score/index.js';
import { customerEraser } from './erase-wiring.js';
import { serveEngineRequests } from './engine-requests.js';
import { exitAfter, watchFatal } from './fatal.js';
import { natsOverrides, type NatsFlags } from './nats-options.js';
import { loadSegmentRules, watchSegmentRules } from '../segment/index.js';
import { resolveProjectPath } from './paths.js';
import { openRuntime, type Runtime } from './runtime.js';
import { createSnapshotMetrics } from '../snapshot/index.js';
import { formatSummary, startSummaryPrinter } from './summary.js';
import { startupBanner } from './startup-banner.js';
import { paint, ttyDestination, useColor } from './tty-log.js';
import { packageVersion } from './version.js';

/** Options of the `start` command: the config file and the NATS connection flags (they win over file and env). */
export interface StartOptions extends NatsFlags {
  /** Config file (default: $CHURNFLOW_CONFIG, else config/default.json). */
  readonly config?: string;
}

/** How long the orderly stop after a fatal event may take before the process exits anyway. */
const FATAL_STOP_DEADLINE_MS = 30_000;

/** A running churnflow: the engines of its partitions, its runtime (sources and sink) and the ops HTTP server. */
export interface Churnflow {
  /** The engines of the partitions this instance owns, answering as one. */
  readonly engine: PartitionHost;
  readonly runtime: Runtime;
  /** The champion model's versions: current, previous, refused; rollback. */
  readonly models: ModelRegistry;
  /** The port of `/metrics`, `/healthz`, `/readyz`. */
  readonly opsPort: number;
  /** Drains and closes everything, in order. */
  stop(): Promise<void>;
}

/**
 * Starts churnflow from a validated configuration: TF.js backend, churn model, runtime, engine, ops server.
 */
export async function startChurnflow(config: Readonly<Config>, log: Logger): Promise<Churnflow> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createEngineMetrics(registry);
  const snapshotMetrics = createSnapshotMetrics(registry);

  const backend = await selectBackend(log);
  const models = await openModels(config, log, registry);
  const loaded = models.champion.current();
  log.info({ backend, model: loaded.name, version: loaded.version, dir: loaded.dir }, 'churn model loaded');

  // The ops server comes up first, so /healthz and /readyz answer (503 "starting") while NATS is out of reach.
  const live: { host?: PartitionHost; runtime?: Runtime } = {};
  const readiness = createReadiness(registry, (): NotReady[] => {
    const { host, runtime } = live;
    if (runtime === undefined || host === undefined) {
      // Before NATS answers the engine waits here (reconnecting forever); the log says where it is waiting.
      return [{ reason: 'starting', detail: 'connecting to NATS, opening the pipeline' }];
    }
    const stopped: NotReady[] = [{ reason: 'engine_not_running', detail: `engine ${host.state}` }];
    return [...runtime.notReady(), ...host.notReady(), ...(host.state === 'running' ? [] : stopped)];
  });
  const ops = await startOpsServer(
    registry,
    { live: () => live.host?.state !== 'failed', readiness: () => readiness.check() },
    config.http.host,
    config.http.port,
  );
  const opened = await openRuntime({ config, log, metrics, snapshotMetrics }).catch(async (err: unknown) => {
    await ops.close();
    throw err;
  });
  const rulesFile = config.segments.file === '' ? undefined : resolveProjectPath(config.segments.file);
  const rules = rulesFile === undefined ? undefined : await loadSegmentRules(rulesFile);
  const shadowScorer =
    models.shadow === undefined
      ? undefined
      : createShadowScorer({ model: models.shadow.registry.current(), metrics: models.metrics });
  const partitions = compilePartitionOptions(config.partitions);
  const nc = opened.nc;
  // From here to the onChange registrations nothing awaits: a version the registry admitted meanwhile is the one
  // taken, and no swap can dispose a model between being taken and being followed.
  const host = createPartitionHost({
    config,
    log,
    metrics,
    registry,
    sink: opened.sink,
    snapshotMetrics,
    count: opened.partitionCount,
    model: models.champion.current(),
    ...(rules === undefined ? {} : { rules }),
    ...(shadowScorer === undefined ? {} : { shadow: shadowScorer }),
    shared: config.partitions.leaseBucket !== '',
    openInput: (partition, views, owned) => opened.openPartition(partition, views, owned),
    ownership: (onRelease) =>
      createPartitionOwnership(
        { ...partitions, count: opened.partitionCount },
        { ...(nc === undefined ? {} : { nc }), onRelease, log },
      ),
    ...(nc === undefined ? {} : { eraserFor: (parts) => customerEraser({ ...parts, config, nc, log }) }),
  });
  // Hot swaps happen between micro-batches; the registry disposes the old model once the scorer lets go of it.
  models.champion.onChange((change) => host.swapModel(change.model));
  models.shadow?.registry.onChange((change) => shadowScorer?.swapModel(change.model));
  await host.start().catch(async (err: unknown) => {
    await host.stop().catch(() => undefined);
    await opened.close();
    await ops.close();
    throw err;
  });
  // Rules edited while running take effect at once; a bad edit keeps the rules in force and says why.
  const rulesWatch =
    rulesFile === undefined || !config.segments.watch
      ? undefined
      : watchSegmentRules(
          rulesFile,
          (next) => host.swapSegmentRules(next),
          (err) =>
            log.error({ err, file: rulesFile }, 'segment rules refused; the previous rules stay in force'),
          { metrics },
        );
  const stopControl =
    nc === undefined ? () => undefined : serveEngineRequests(config, nc, host, models, registry, log);
  // The request subscriptions are registered with the server before anyone is told the engine is up.
  await nc?.flush();
  Object.assign(live, { runtime: opened, host });
  log.info(
    {
      mode: opened.mode,
      partitions: host.ownership.owned(),
      metrics: `http://${config.http.host}:${ops.port}/metrics`,
    },
    'churnflow started',
  );
  return {
    engine: host,
    runtime: opened,
    models: models.champion,
    opsPort: ops.port,
    async stop() {
      // Every partition drained and snapshotted, so a restart (or the next owner) resumes exactly here.
      await host.stop().catch(() => undefined);
      rulesWatch?.close();
      stopControl();
      await opened.close();
      await models.close();
      await ops.close();
      log.info({ events: host.totals.events, scoreUpdates: host.totals.scoreUpdates }, 'stopped');
    },
  };
}

/**
 * Runs the engine until SIGINT/SIGTERM, then drains: stop input, score and publish what is in flight, flush,
 * close. Returns the process exit code.
 */
export async function runStart(opts: StartOptions): Promise<number> {
  const serviceLinks: string[] = [];
  const config = loadConfig({
    file: resolveProjectPath(opts.config ?? process.env['CHURNFLOW_CONFIG'] ?? 'config/default.json'),
    overrides: natsOverrides(opts),
    onIgnoredEnv: (name) => serviceLinks.push(name),
  });
  // A person at a terminal reads lines; anything else (a collector, a pipe) gets pino's JSON as before.
  const tty = process.stdout.isTTY === true;
  const color = useColor(process.stdout);
  const log = createLogger(config.log.level, tty ? ttyDestination(process.stdout, color) : undefined);
  if (serviceLinks.length > 0) {
    log.debug({ names: serviceLinks }, 'environment: Kubernetes service links passed over (not config keys)');
  }
  // Installed before anything starts: a rejection nobody handles, anywhere, is logged and stops the engine in
  // order with exit code 1 instead of killing it mid-batch (or, worse, being ignored).
  const guard = watchFatal(log);
  const fatal = guard.fatal.then(() => {
    exitAfter(FATAL_STOP_DEADLINE_MS);
    return 'fatal' as const;
  });
  const app = await startChurnflow(config, log);
  if (tty) {
    const facts = {
      version: packageVersion(),
      mode: app.runtime.mode,
      opsPort: app.opsPort,
      partitions: app.engine.ownership.owned(),
    };
    const connectedTo = app.runtime.nc?.getServer();
    process.stdout.write(
      startupBanner(config, connectedTo === undefined ? facts : { ...facts, connectedTo }, paint(color)),
    );
  }
  const stopSummary = startSummaryPrinter(app.engine, config.log.summaryEveryMs, (summary) => {
    if (tty) process.stdout.write(`[churnflow] ${formatSummary(summary)}\n`);
    else log.info({ summary }, 'summary');
  });
  const outcome = await Promise.race([
    onceSignal(log).then(() => 'signal' as const),
    app.engine.done.then(() => 'ended' as const),
    fatal,
  ]).catch((err: unknown) => {
    log.fatal({ err }, 'engine failed');
    return 'failed' as const;
  });
  log.info({ outcome }, 'shutting down: draining');
  stopSummary();
  await app.stop();
  return outcome === 'failed' || outcome === 'fatal' ? 1 : 0;
}

function onceSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      log.info({ signal }, 'signal received');
      resolve();
    };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

/** The champion's registry and, when configured, the shadow's registry and scorer. */
async function openModels(config: Readonly<Config>, log: Logger, registry: Registry) {
  const modelMetrics = createModelMetrics(registry);
  const common = {
    modelsDir: resolveProjectPath(config.score.modelsDir),
    log,
    metrics: modelMetrics,
    gate: { latencyBudgetMs: config.score.latencyBudgetMs },
    watch: config.score.watchModels,
  };
  const champion = await createModelRegistry({ ...common, name: config.score.model, role: 'champion' });
  let shadow: { registry: ModelRegistry } | undefined;
  if (config.score.shadowModel !== '') {
    const shadowRegistry = await createModelRegistry({
      ...common,
      name: config.score.shadowModel,
      role: 'shadow',
    });
    shadow = { registry: shadowRegistry };
  }
  return {
    champion,
    shadow,
    metrics: modelMetrics,
    close: async () => {
      await champion.close();
      await shadow?.registry.close();
    },
  };
}
