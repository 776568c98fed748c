import type * as tf from '@tensorflow/tfjs';
import { ChurnflowError } from '../contract/codes.js';

/** A model.json made loadable by TF.js 4.22, and what was rewritten to get there (empty: nothing). */
export interface KerasModelJsonFix {
  /** A rewritten copy (the input is never mutated); the input itself when nothing needed rewriting. */
  readonly json: tf.io.ModelJSON;
  /** One short line per kind of rewrite made, e.g. `InputLayer batch_shape -> batch_input_shape`. */
  readonly rewrites: readonly string[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rewrites the Keras 3 forms of a LayersModel `model.json` (as the tensorflowjs converter writes it from a
 * Keras 3 model, `generatedBy: "keras v3..."`) into the Keras 2 forms TF.js 4.22 reads. Keras 2 and
 * TF.js-written files pass through unchanged. The rewrites:
 * - `InputLayer` config `batch_shape` -> `batch_input_shape` (TF.js: "An InputLayer should be passed either a
 *   `batchInputShape` or an `inputShape`");
 * - a `DTypePolicy` object as `dtype` -> its name (`mixed_*` policies -> `float32`: TF.js computes in float32);
 * - functional `inbound_nodes` entries `{ args: [{ class_name: "__keras_tensor__", config: { keras_history } }],
 *   kwargs }` -> `[[layer, node, tensor, kwargs]]` (TF.js: "Corrupted configuration, expected array");
 * - `input_layers` / `output_layers` given as one triple or a dict -> a list of triples;
 * - weight names prefixed with the model's own name (`sequential/dense/kernel`) -> `dense/kernel` (TF.js:
 *   "Provided weight data has no target variable").
 * @throws ChurnflowError MODEL_INVALID naming `file` when a layer's input names a layer the model lacks (TF.js
 * would loop forever waiting for it).
 */
export function normalizeKerasModelJson(json: tf.io.ModelJSON, file: string): KerasModelJsonFix {
  const topology = json.modelTopology as unknown;
  if (!isObject(topology)) return { json, rewrites: [] };
  const copy = structuredClone(json);
  const top = copy.modelTopology as Json;
  const model = isObject(top.model_config) ? top.model_config : top;
  const config = model.config;
  if (typeof model.class_name !== 'string' || !isObject(config)) return { json, rewrites: [] };

  const rewrites = new Set<string>();
  rewriteTree(config, rewrites);
  const layers = Array.isArray(config.layers) ? config.layers.filter(isObject) : [];
  const names = new Set(layers.map(layerName).filter((n): n is string => n !== undefined));
  for (const layer of layers) checkInbound(layer, names, file);
  for (const key of ['input_layers', 'output_layers'] as const) {
    const list = tripleList(config[key]);
    if (list !== config[key]) {
      config[key] = list;
      rewrites.add(`${key} as a list of [layer, node, tensor]`);
    }
  }
  if (typeof config.name === 'string') stripModelPrefix(copy, config.name, names, rewrites);
  return rewrites.size === 0 ? { json, rewrites: [] } : { json: copy, rewrites: [...rewrites] };
}

/** Depth-first over the config: every rewrite that applies to one object at a time. */
function rewriteTree(node: unknown, rewrites: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteTree(item, rewrites);
    return;
  }
  if (!isObject(node)) return;
  const policy = node.dtype;
  if (isObject(policy) && /DTypePolicy$|^Policy$/.test(String(policy.class_name))) {
    const name = isObject(policy.config) ? String(policy.config.name) : 'float32';
    node.dtype = name.startsWith('mixed_') ? 'float32' : name;
    rewrites.add('DTypePolicy dtype -> dtype name');
  }
  if (node.class_name === 'InputLayer' && isObject(node.config)) {
    const c = node.config;
    if (c.batch_shape !== undefined && c.batch_input_shape === undefined) {
      c.batch_input_shape = c.batch_shape;
      delete c.batch_shape;
      rewrites.add('InputLayer batch_shape -> batch_input_shape');
    }
  }
  if (Array.isArray(node.inbound_nodes) && node.inbound_nodes.some(isObject)) {
    node.inbound_nodes = (node.inbound_nodes as unknown[]).map((n) => (isObject(n) ? keras3Node(n) : n));
    rewrites.add('Keras 3 inbound_nodes (keras_history) -> [layer, node, tensor, kwargs]');
  }
  for (const [key, value] of Object.entries(node)) if (key !== 'dtype') rewriteTree(value, rewrites);
}

/** One Keras 3 call `{ args, kwargs }` as a TF.js node: the input tensors in argument order. */
function keras3Node(call: Json): unknown[] {
  const inputs: unknown[][] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config)) {
      const h = v.config.keras_history;
      if (Array.isArray(h)) inputs.push([h[0], h[1], h[2]]);
    } else if (isObject(v)) Object.values(v).forEach(visit);
  };
  visit(call.args);
  // TF.js passes a node's kwargs to Layer.call; only plain values mean anything there (tensors in kwargs,
  // e.g. Keras 3 masks, have no TF.js counterpart), so the rest are dropped.
  const kwargs: Json = {};
  if (isObject(call.kwargs)) {
    for (const [k, v] of Object.entries(call.kwargs)) {
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) kwargs[k] = v;
    }
  }
  return inputs.map((t) => [...t, kwargs]);
}

function layerName(layer: Json): string | undefined {
  if (typeof layer.name === 'string') return layer.name;
  return isObject(layer.config) && typeof layer.config.name === 'string' ? layer.config.name : undefined;
}

function checkInbound(layer: Json, names: ReadonlySet<string>, file: string): void {
  if (!Array.isArray(layer.inbound_nodes)) return;
  for (const node of layer.inbound_nodes) {
    if (!Array.isArray(node)) continue;
    for (const input of node) {
      const from: unknown = Array.isArray(input) ? input[0] : undefined;
      if (typeof from === 'string' && !names.has(from)) {
        const name = layerName(layer) ?? '?';
        throw new ChurnflowError(
          'MODEL_INVALID',
          `${file}: layer "${name}" takes its input from "${from}", which is not a layer of this model`,
          { file, key: name },
        );
      }
    }
  }
}

/** `["a", 0, 0]` or `{ x: ["a", 0, 0] }` as `[["a", 0, 0]]`; a list of triples as itself. */
function tripleList(value: unknown): unknown {
  if (Array.isArray(value) && typeof value[0] === 'string') return [value];
  if (isObject(value)) return Object.values(value);
  return value;
}

function stripModelPrefix(
  json: tf.io.ModelJSON,
  modelName: string,
  layers: ReadonlySet<string>,
  rewrites: Set<string>,
): void {
  if (!Array.isArray(json.weightsManifest) || layers.has(modelName)) return;
  for (const group of json.weightsManifest) {
    if (!Array.isArray(group.weights)) continue;
    for (const w of group.weights) {
      const parts = typeof w.name === 'string' ? w.name.split('/') : [];
      if (parts.length >= 3 && parts[0] === modelName && layers.has(parts[1]!)) {
        w.name = parts.slice(1).join('/');
        rewrites.add(`weight names without the model prefix "${modelName}/"`);
      }
    }
  }
}
