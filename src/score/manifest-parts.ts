/**
 * The manifest's blocks about the probabilistic baselines and the offline evaluation: BG/NBD and Gamma-Gamma
 * parameters with their standard errors, and the holdout comparison of the model with its baselines.
 */
import { Type } from '@sinclair/typebox';

const Positive = Type.Number({ exclusiveMinimum: 0 });

/** BG/NBD parameters (Fader, Hardie & Lee 2005) in the manifest. */
export const BgNbdBlock = Type.Object(
  {
    r: Positive,
    alpha: Positive,
    a: Positive,
    b: Positive,
    timeUnitDays: Type.Number({ exclusiveMinimum: 0, description: 'The time unit of alpha (7 = weeks).' }),
    standardErrors: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), {
        description:
          'Asymptotic standard errors of r, alpha, a, b (inverse Hessian); null when not identified.',
      }),
    ),
    customers: Type.Optional(Type.Integer({ minimum: 0, description: 'Customer summaries fitted on.' })),
  },
  {
    description:
      'BG/NBD parameters fitted on one summary (purchase days, exact recency, age) per training customer who bought.',
  },
);

/** Gamma-Gamma spend parameters (Fader & Hardie 2013) in the manifest. */
export const GammaGammaBlock = Type.Object(
  {
    p: Positive,
    q: Type.Number({ exclusiveMinimum: 1, description: 'Above 1, else the mean spend is infinite.' }),
    gamma: Positive,
    standardErrors: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]))),
    customers: Type.Optional(Type.Integer({ minimum: 0 })),
    frequencySpendCorrelation: Type.Optional(
      Type.Number({
        description:
          'Pearson correlation of repeat purchase days and mean repeat spend over the fitted customers: Gamma-Gamma assumes they are independent (near 0).',
      }),
    ),
  },
  {
    description:
      'Gamma-Gamma spend parameters, fitted on the mean repeat purchase-day amount of training customers with a repeat day.',
  },
);

/** Holdout metrics of one predictor. */
export const EvaluationMetrics = Type.Object({
  name: Type.String({ description: "'model' or the baseline's name, e.g. 'bgnbd_activity'." }),
  rocAuc: Type.Number({ minimum: 0, maximum: 1 }),
  prAuc: Type.Number({ minimum: 0, maximum: 1 }),
  brier: Type.Number({ minimum: 0, maximum: 1 }),
});

const Bound = Type.Union([Type.Number(), Type.Null()]);
const Interval = Type.Object({ estimate: Bound, low: Bound, high: Bound });

/** The model against its baselines on one set of held-out rows. */
const Comparison = Type.Object({
  rows: Type.Integer({ minimum: 0 }),
  customers: Type.Integer({ minimum: 0 }),
  positiveRate: Type.Number({ minimum: 0, maximum: 1 }),
  model: EvaluationMetrics,
  baselines: Type.Array(
    Type.Composite([
      EvaluationMetrics,
      Type.Object({
        description: Type.String(),
        difference: Type.Object(
          { rocAuc: Interval, prAuc: Interval, brier: Interval },
          { description: 'model − baseline with a bootstrap interval resampled by customer.' },
        ),
      }),
    ]),
  ),
  bestFeature: Type.Optional(Type.Object({ name: Type.String(), rocAuc: Type.Number() })),
});

const Calibration = Type.Array(
  Type.Object({
    from: Type.Number({ description: 'Bin lower bound of the predicted probability.' }),
    to: Type.Number({ description: 'Bin upper bound.' }),
    count: Type.Integer({ minimum: 0 }),
    meanPredicted: Type.Number(),
    observedRate: Type.Number(),
  }),
  { description: "The model's calibration on the holdout, by predicted-probability bin." },
);

/** The manifest's `evaluation` block. */
export const EvaluationBlock = Type.Object(
  {
    holdoutRows: Type.Integer({ minimum: 0 }),
    positiveRate: Type.Number({ minimum: 0, maximum: 1 }),
    model: EvaluationMetrics,
    baseline: Type.Optional(EvaluationMetrics),
    calibration: Calibration,
    comparisons: Type.Optional(
      Type.Object({
        all: Comparison,
        active: Type.Optional(Comparison),
        outOfTime: Type.Optional(Comparison),
      }),
    ),
    protocol: Type.Optional(
      Type.Object({
        activeWithinDays: Type.Number({ description: 'Active subset: own activity within this many days.' }),
        replicates: Type.Integer({ description: 'Bootstrap resamples (by customer).' }),
        seed: Type.Optional(Type.Integer({ description: 'Seed of the bootstrap resampling.' })),
        level: Type.Number({ description: 'Confidence level of the intervals.' }),
        outOfTime: Type.Optional(Type.String({ description: 'How the out-of-time split was cut.' })),
      }),
    ),
  },
  { description: 'Offline evaluation on a holdout of customers not seen in training.' },
);
