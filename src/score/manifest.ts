import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ChurnflowError } from '../contract/codes.js';
import { featureIndex } from '../state/feature-catalog.js';
import { BgNbdBlock, EvaluationBlock, GammaGammaBlock } from './manifest-parts.js';

/** The manifest file of a model directory, beside model.json. */
export const MANIFEST_JSON = 'manifest.json';

/**
 * The JSON Schema of a model manifest: what the model is, which engine features it reads in which
 * order, how they are normalised, what "churn" it was trained to predict, and its offline metrics.
 */
export const ModelManifestSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'Model name, carried by every score update.',
    }),
    version: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Model version, carried by every score update.',
    }),
    format: Type.Union([Type.Literal('layers'), Type.Literal('graph')], {
      description:
        "'layers': TF.js LayersModel (as TF.js or the Keras converter writes it); 'graph': TF.js GraphModel.",
    }),
    features: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Engine feature names (FEATURES) in the order of the model input columns.',
    }),
    normalization: Type.Object(
      {
        mean: Type.Array(Type.Number(), { description: 'Per input column, subtracted first.' }),
        std: Type.Array(Type.Number({ minimum: 0 }), {
          description: 'Per input column, divided by; 0 means 1.',
        }),
      },
      { description: 'Input x becomes (x - mean) / std, column by column.' },
    ),
    churnDefinition: Type.Object(
      {
        kind: Type.Union([Type.Literal('no_activity'), Type.Literal('no_purchase'), Type.Literal('cancel')]),
        days: Type.Integer({ minimum: 1, maximum: 3650 }),
      },
      { description: 'The label the model predicts: no activity / no purchase / a cancel within `days`.' },
    ),
    trainedAt: Type.String({ minLength: 10, description: 'When training finished, ISO 8601.' }),
    trainingWindow: Type.Optional(
      Type.Object(
        {
          from: Type.String({ description: 'Earliest event time replayed, ISO 8601.' }),
          to: Type.String({ description: 'Latest event time replayed, ISO 8601.' }),
          cutoffs: Type.Array(Type.String(), { description: 'Feature snapshot times, ISO 8601.' }),
        },
        { description: 'The history the model was trained on.' },
      ),
    ),
    bgnbd: Type.Optional(BgNbdBlock),
    gammaGamma: Type.Optional(GammaGammaBlock),
    evaluation: Type.Optional(EvaluationBlock),
    metrics: Type.Optional(
      Type.Record(Type.String(), Type.Number(), {
        description: 'Further offline metrics, e.g. { log_loss: 0.08 }.',
      }),
    ),
  },
  { $id: 'ModelManifest', additionalProperties: true },
);

/** A validated model manifest (see {@link ModelManifestSchema}). */
export type ModelManifest = Static<typeof ModelManifestSchema>;

/**
 * Reads `<dir>/manifest.json` and validates it with {@link checkManifest}.
 * @throws ChurnflowError MODEL_INVALID naming the file (and the feature or field) when it is missing,
 * not JSON, or refused.
 */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const file = path.join(dir, MANIFEST_JSON);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw refuse(file, code === 'ENOENT' ? 'missing' : `unreadable (${code ?? String(err)})`, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw refuse(file, `not valid JSON (${String(err)})`, err);
  }
  return checkManifest(value, file);
}

/**
 * Validates a parsed manifest: the schema, then every feature against the engine's feature catalog
 * (unknown or repeated names are refused), normalisation arrays as long as the feature list, finite
 * numbers, and a parseable `trainedAt`. `file` only names the source in error messages.
 * @throws ChurnflowError MODEL_INVALID naming the file and the first problem.
 */
export function checkManifest(value: unknown, file: string): ModelManifest {
  if (!Value.Check(ModelManifestSchema, value)) {
    const first = Value.Errors(ModelManifestSchema, value).First();
    const where = first === undefined ? '' : `${first.path || '/'}: ${first.message}`;
    throw refuse(file, `does not match the manifest schema (${where})`);
  }
  const m = value;
  const seen = new Set<string>();
  for (const name of m.features) {
    if (featureIndex(name) < 0) {
      throw refuse(file, `feature "${name}" is not computed by this engine (see FEATURES)`, undefined, name);
    }
    if (seen.has(name)) throw refuse(file, `feature "${name}" is listed twice`, undefined, name);
    seen.add(name);
  }
  const n = m.features.length;
  for (const key of ['mean', 'std'] as const) {
    const arr = m.normalization[key];
    if (arr.length !== n) {
      throw refuse(file, `normalization.${key} has ${arr.length} values for ${n} features`, undefined, key);
    }
    const bad = arr.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      const feature = m.features[bad] ?? String(bad);
      throw refuse(file, `normalization.${key} of feature "${feature}" is not finite`, undefined, feature);
    }
  }
  if (!Number.isFinite(Date.parse(m.trainedAt))) {
    throw refuse(file, `trainedAt "${m.trainedAt}" is not an ISO 8601 date`, undefined, 'trainedAt');
  }
  return m;
}

function refuse(file: string, why: string, cause?: unknown, key?: string): ChurnflowError {
  return new ChurnflowError(
    'MODEL_INVALID',
    `${file}: ${why}`,
    key === undefined ? { file } : { file, key },
    cause === undefined ? undefined : { cause },
  );
}
