import { CustomerEventSchema } from './event.js';
import { ModelManifestSchema } from '../score/manifest.js';
import { ScoreUpdateSchema } from './score-update.js';
import { SegmentChangeSchema, StageTransitionSchema } from './lifecycle-events.js';

const SCHEMA_BASE = 'https://churnflow.dev/schemas/';

/** The JSON Schema dialect the shipped files declare (TypeBox emits draft-07 compatible keywords). */
export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

// TypeBox, like JavaScript, counts string lengths (and matches patterns) in UTF-16 code units, while a strict
// JSON Schema validator counts code points; the two differ only for characters outside the BMP (emoji).
const LENGTH_NOTE =
  'String lengths are counted in UTF-16 code units, as JavaScript counts them (a character outside the Basic ' +
  'Multilingual Plane, such as most emoji, counts as 2). Configure validators accordingly (ajv: unicode: false, ' +
  'unicodeRegExp: false).';

function shipped(schema: object): object {
  // JSON round trip: drops TypeBox's symbol-keyed metadata and leaves plain JSON values only.
  const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return { $schema: JSON_SCHEMA_DIALECT, ...plain, $comment: LENGTH_NOTE };
}

/**
 * The JSON Schemas churnflow ships in `schemas/`, by file name: the input event, the score update payload and
 * the model manifest (`models/<name>/<version>/manifest.json`).
 * Generated from the TypeBox schemas (the single source of truth) by `npm run schemas`; a test checks the
 * committed files equal this.
 */
export function schemaFiles(): Record<string, object> {
  return {
    'customer-event.json': shipped(CustomerEventSchema),
    'score-update.json': shipped(ScoreUpdateSchema),
    // The TypeBox schema's $id is the short name 'ModelManifest'; the shipped file carries its URL like the rest.
    'model-manifest.json': shipped({ ...ModelManifestSchema, $id: `${SCHEMA_BASE}model-manifest.json` }),
    'segment-change.json': shipped(SegmentChangeSchema),
    'stage-transition.json': shipped(StageTransitionSchema),
  };
}

/** The text of one shipped schema file: pretty JSON (2-space indent) and a final newline. */
export function schemaFileText(schema: object): string {
  return JSON.stringify(schema, null, 2) + '\n';
}
