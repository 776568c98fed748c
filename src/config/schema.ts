import { Type, type Static } from '@sinclair/typebox';

const ms = (def: number, description: string, minimum = 0) =>
  Type.Integer({ default: def, minimum, description: `${description} Milliseconds.` });

/** Where events come from. */
export const SourceKind = Type.Union([Type.Literal('nats'), Type.Literal('file'), Type.Literal('simulator')]);
/** Where score updates go. */
export const SinkKind = Type.Union([Type.Literal('nats'), Type.Literal('file'), Type.Literal('console')]);

/**
 * The configuration schema: every key, its default and meaning. `config/default.json` holds the shipped values;
 * environment variables `CHURNFLOW_<SECTION>_<KEY>` (upper snake case) override single keys, and `NATS_URL` sets
 * `nats.url`. Unknown keys are errors.
 */
export const ConfigSchema = Type.Object(
  {
    source: Type.Union([SourceKind], {
      default: 'nats',
      description: 'Event source: nats (JetStream), file (ingest.file) or simulator (in process).',
    }),
    sink: Type.Union([SinkKind], {
      default: 'nats',
      description: 'Where score updates go: nats, file (publish.file) or console.',
    }),
    nats: Type.Object(
      {
        url: Type.String({
          default: '',
          description:
            'NATS server URL(s), comma separated. Empty: start an embedded nats-server (the default).',
        }),
        stream: Type.String({
          default: 'EVENTS',
          minLength: 1,
          description: 'JetStream stream holding events.',
        }),
        consumer: Type.String({
          default: 'churnflow',
          minLength: 1,
          description: 'Durable pull consumer name.',
        }),
        pullBatch: Type.Integer({ default: 2000, minimum: 1, description: 'Messages per pull request.' }),
        maxAckPending: Type.Integer({
          default: 50_000,
          minimum: 1,
          description: 'Unacknowledged messages the server lets the consumer hold.',
        }),
        ackWaitMs: ms(30_000, 'Redelivery delay of an unacknowledged message.', 1000),
        auth: Type.Object(
          {
            user: Type.String({
              default: '',
              description: 'User name (with nats.auth.password). One credential kind at most.',
            }),
            password: Type.String({ default: '', description: 'Password of nats.auth.user.' }),
            token: Type.String({ default: '', description: 'Authentication token.' }),
            nkeyFile: Type.String({
              default: '',
              description: 'File holding a user nkey seed (SU…); the server knows the public key.',
            }),
            credsFile: Type.String({
              default: '',
              description: 'Credentials file (user JWT and nkey seed, as `nsc` writes it).',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
        tls: Type.Object(
          {
            enabled: Type.Boolean({
              default: false,
              description:
                'Require TLS even without files below (a server certificate the system CAs trust).',
            }),
            caFile: Type.String({
              default: '',
              description: 'PEM file of the CA(s) that signed the server certificate; set: TLS required.',
            }),
            certFile: Type.String({
              default: '',
              description: 'PEM client certificate (with nats.tls.keyFile) for servers that verify clients.',
            }),
            keyFile: Type.String({ default: '', description: 'PEM private key of nats.tls.certFile.' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    requests: Type.Object(
      {
        maxBodyBytes: Type.Integer({
          default: 65_536,
          minimum: 1024,
          description: 'Largest request body; a larger one is refused (body_too_large) before it is parsed.',
        }),
        maxRuleLength: Type.Integer({
          default: 4096,
          minimum: 64,
          description: 'Longest dry-run rule, in characters; a longer one is refused (invalid_rule).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    ingest: Type.Object(
      {
        subjectPrefix: Type.String({ default: 'events', minLength: 1, description: 'Event subject prefix.' }),
        maxPayloadBytes: Type.Integer({
          default: 65_536,
          minimum: 64,
          description: 'Largest accepted event.',
        }),
        maxFutureMs: ms(300_000, 'How far ahead of the time the stream stored it an event time may be.'),
        file: Type.String({
          default: '',
          description: 'Event file (.jsonl or .msgpack) when source is "file".',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    partitions: Type.Object(
      {
        count: Type.Integer({
          default: 1,
          minimum: 1,
          maximum: 1024,
          description:
            'Partitions P that the nats-server mapping partition(P, customer token) spreads customers over (docs/partitions.md); 1: no mapping.',
        }),
        subjectPrefix: Type.String({
          default: 'pevents',
          pattern: '^[-\\w]+(\\.[-\\w]+)*$',
          description:
            'Prefix of the mapped subjects <prefix>.<partition>.<customer>.<type> the stream stores when count > 1.',
        }),
        instanceId: Type.String({
          default: '',
          pattern: '^[-=\\w]{0,128}$',
          description:
            "This instance's name in the lease bucket, unique among running instances. Empty: <hostname>-<pid>.",
        }),
        leaseBucket: Type.String({
          default: '',
          pattern: '^[-\\w]*$',
          description:
            'NATS KV bucket of partition leases shared by every instance (created when missing). Empty: no leases, this instance owns every partition.',
        }),
        leaseTtlMs: ms(
          10_000,
          "A lease unrenewed this long (on the observer's clock) may be taken over; at least 3 × partitions.renewMs.",
          1_000,
        ),
        renewMs: ms(
          3_000,
          'How often leases and the heartbeat are renewed and partitions claimed or released.',
          100,
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    state: Type.Object(
      {
        horizonDays: Type.Integer({
          default: 400,
          minimum: 91,
          description: 'Events older than the watermark by more than this are dead-lettered (too_old).',
        }),
        idleAfterMs: ms(
          2_000,
          'Quiet time (no message at all) after which an engine with a due timer writes a clock tick into the stream.',
        ),
        tickLagMs: ms(
          1_000,
          'How far behind the wall clock a clock tick stays, leaving room for slightly late events.',
        ),
        retentionDays: Type.Integer({
          default: 365,
          minimum: 0,
          description:
            'Customers silent this many days (event time) are evicted from the state with a last update marked evicted; 0: never.',
        }),
        rescoreIntervalMs: ms(
          86_400_000,
          'Every customer is re-evaluated at least this often in event time, besides its rule and window timers.',
          60_000,
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    score: Type.Object(
      {
        modelsDir: Type.String({ default: 'models', description: 'Directory of model directories.' }),
        model: Type.String({
          default: 'churn-default',
          minLength: 1,
          description:
            'Champion model: its highest admissible version in <modelsDir>/<model>/<version>/ scores.',
        }),
        shadowModel: Type.String({
          default: '',
          description:
            'Challenger scored in shadow on the same micro-batches (a name under modelsDir); empty: none.',
        }),
        publishShadow: Type.Boolean({
          default: false,
          description: 'Also publish shadow scores on <prefix>.shadow.scores.<customer>.',
        }),
        watchModels: Type.Boolean({
          default: true,
          description:
            'Watch modelsDir: admit new versions and fall back when one is removed, without restart.',
        }),
        latencyBudgetMs: ms(50, 'Longest a new model may take for a 1024-row batch before it is refused.', 1),
        reasons: Type.Integer({
          default: 3,
          minimum: 0,
          maximum: 10,
          description: 'Reasons (top features behind the churn risk) per score update; 0 turns them off.',
        }),
        bgnbdHorizonDays: Type.Integer({
          default: 90,
          minimum: 1,
          description: 'Horizon of the BG/NBD expected purchases and the predicted CLV in score updates.',
        }),
        clvAnnualDiscountRate: Type.Number({
          default: 0,
          minimum: 0,
          maximum: 1,
          description:
            'Annual discount rate of the predicted CLV (0.1 = 10%), applied monthly; 0 = undiscounted.',
        }),
        maxBatch: Type.Integer({
          default: 2048,
          minimum: 1,
          description: 'Customers per model call, at most.',
        }),
        maxDelayMs: ms(10, 'Longest a touched customer waits for its micro-batch.'),
      },
      { additionalProperties: false, default: {} },
    ),
    publish: Type.Object(
      {
        prefix: Type.String({ default: 'churnflow', minLength: 1, description: 'Output subject prefix.' }),
        encoding: Type.Union([Type.Literal('msgpack'), Type.Literal('json')], {
          default: 'msgpack',
          description: 'Payload encoding of score updates.',
        }),
        minRiskDelta: Type.Number({
          default: 0.01,
          minimum: 0,
          maximum: 1,
          description: 'Smallest churn-risk change that publishes an update.',
        }),
        minEngagementDelta: Type.Integer({
          default: 1,
          minimum: 0,
          description: 'Smallest engagement change that publishes an update.',
        }),
        catchUpBehindMs: Type.Integer({
          default: 10_000,
          minimum: 0,
          description:
            'While the messages being applied were stored more than this long ago and more wait behind them (a replay or a backlog), score updates are held: each customer gets one update with its latest scores once the engine has caught up. Lifecycle events are never held. 0: never hold. Milliseconds.',
        }),
        deadLetterStream: Type.String({
          default: 'CHURNFLOW_DLQ',
          minLength: 1,
          description: 'JetStream stream that keeps dead letters (created when missing; NATS sink only).',
        }),
        file: Type.String({ default: '', description: 'Output file (JSONL) when sink is "file".' }),
      },
      { additionalProperties: false, default: {} },
    ),
    segments: Type.Object(
      {
        file: Type.String({
          default: 'config/segments.json',
          description: 'Segment rules file (CEL rules; see docs/segments.md). Empty: no segments.',
        }),
        watch: Type.Boolean({
          default: true,
          description: 'Reload the rules file on change, without restart.',
        }),
        dryRunTimeoutMs: ms(
          30_000,
          'Longest a dry run may take (waiting behind another included); then it is answered DRY_RUN_TIMEOUT.',
          100,
        ),
        dryRunSliceMs: Type.Integer({
          default: 5,
          minimum: 1,
          maximum: 100,
          description:
            'Wall time a dry run evaluates customers before it yields to the event loop (ingestion keeps its turn). Milliseconds.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    snapshot: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description:
            'Snapshot the state into a JetStream Object Store bucket and restore it at start (NATS source only).',
        }),
        bucket: Type.String({
          default: 'churnflow_snapshots',
          pattern: '^[-\\w]+$',
          description: 'Object Store bucket of the snapshots (created when missing).',
        }),
        intervalMs: ms(60_000, 'A snapshot at least this often.', 1_000),
        everyEvents: Type.Integer({
          default: 1_000_000,
          minimum: 1,
          description: 'A snapshot after this many events, if that comes before intervalMs.',
        }),
        keep: Type.Integer({ default: 3, minimum: 1, description: 'Snapshots kept per partition.' }),
        sliceCustomers: Type.Integer({
          default: 65_536,
          minimum: 1,
          description:
            'Customers copied per pause of ingestion while a snapshot is taken (one pause per slice, a few tens of ms each).',
        }),
        onGap: Type.Union([Type.Literal('replay'), Type.Literal('refuse')], {
          default: 'replay',
          description:
            'When the stream no longer holds the message after the newest usable snapshot: replay the whole stream, or refuse to start.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    aggregates: Type.Object(
      {
        retentionPeriodDays: Type.Integer({
          default: 30,
          minimum: 1,
          description: 'Period of the retention rate (CE − CN) / CS × 100, days.',
        }),
        passMs: ms(10_000, 'Wall time one pass of the live aggregates over every customer takes.', 1000),
      },
      { additionalProperties: false, default: {} },
    ),
    simulator: Type.Object(
      {
        customers: Type.Integer({ default: 5_000, minimum: 1, description: 'Simulated customers.' }),
        ratePerSec: Type.Integer({ default: 2_000, minimum: 1, description: 'Live events per second.' }),
        historyDays: Type.Integer({
          default: 60,
          minimum: 0,
          description: 'Days of history sent before live.',
        }),
        seed: Type.Integer({ default: 42, description: 'PRNG seed.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0', description: 'Metrics/health listen address.' }),
        port: Type.Integer({
          default: 9464,
          minimum: 0,
          maximum: 65535,
          description: 'Metrics port (0: any).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    health: Type.Object(
      {
        maxPendingMessages: Type.Integer({
          default: 10_000,
          minimum: 0,
          description:
            '/readyz is 503 (lagging) while more messages than this are not yet acknowledged (undelivered or unapplied): replaying after a start, or behind.',
        }),
        stallAfterMs: ms(
          10_000,
          "/readyz is 503 (stalled) while messages are pending and the consumer's acknowledged position has not moved for this long.",
          100,
        ),
        pollIntervalMs: ms(
          2_000,
          "How often the consumer's pending count and acknowledged position are read (JetStream consumer info).",
          50,
        ),
        deadLetterFailureHoldMs: ms(
          60_000,
          '/readyz is 503 (dead_letters) for this long after storing a dead letter failed, unless one is stored meanwhile.',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info', description: 'pino log level.' },
        ),
        summaryEveryMs: ms(5_000, 'Console summary interval; 0 turns it off.'),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

/** The validated configuration. Durations carry their unit in their name. */
export type Config = Static<typeof ConfigSchema>;
