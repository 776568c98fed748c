import * as tf from '@tensorflow/tfjs';

/**
 * One loaded TF.js network behind a churn model, whatever its format: the tensor-level calls the churn model
 * (predict) and its reason codes (explain) need. Every function returns new tensors: call inside `tf.tidy`.
 */
export interface ModelRunner {
  /** The manifest format the runner was built for. */
  readonly format: 'layers' | 'graph';
  /** The number of input columns the network declares, or undefined when it declares none (then only a
   *  forward pass tells). */
  readonly inputWidth: number | undefined;
  /** The number of inputs the network takes (a churn model needs exactly one). */
  readonly inputCount: number;
  /** P(churn), shape [rows, 1], for normalised inputs of shape [rows, inputWidth]. */
  probability(x: tf.Tensor2D): tf.Tensor;
  /**
   * The log-odds before the network's final sigmoid, shape [rows, 1], when that sigmoid can be split off
   * (a Dense or Activation layer with sigmoid last; a Sigmoid node last in a graph); else undefined.
   */
  readonly logit: ((x: tf.Tensor2D) => tf.Tensor) | undefined;
  /** Names of float weights holding NaN or ±Infinity (empty when all are finite). */
  nonFiniteWeights(): string[];
  /** Releases the network's weights (and the logit head's, if any). */
  dispose(): void;
}

/** A {@link ModelRunner} over a LayersModel (TF.js or Keras-converted). */
export function layersRunner(model: tf.LayersModel): ModelRunner {
  const head = layersLogitHead(model);
  const shape = model.inputs[0]?.shape;
  return {
    format: 'layers',
    inputWidth: typeof shape?.[1] === 'number' && shape.length === 2 ? shape[1] : undefined,
    inputCount: model.inputs.length,
    // predictOnBatch, not predict: predict splits its input into batches of 32 and concatenates, which made
    // 4096 rows ~18x slower (wasm).
    probability: (x) => model.predictOnBatch(x) as tf.Tensor,
    logit: head?.logit,
    nonFiniteWeights: () =>
      model.weights.filter((w) => w.dtype === 'float32' && !allFinite(w.read())).map((w) => w.originalName),
    dispose: () => {
      head?.dispose();
      model.dispose();
    },
  };
}

/**
 * A {@link ModelRunner} over a GraphModel. `nodes` is the GraphDef's node list (model.json `modelTopology.node`),
 * read to find the Sigmoid that ends the graph, if one does.
 */
export function graphRunner(
  model: tf.GraphModel,
  nodes: readonly GraphNode[],
  signature?: GraphSignature,
): ModelRunner {
  const logitNode = graphLogitNode(model.outputNodes[0], nodes);
  return {
    format: 'graph',
    inputWidth: graphInputWidth(model, signature),
    inputCount: model.inputs.length,
    probability: (x) => model.execute(x) as tf.Tensor,
    logit: logitNode === undefined ? undefined : (x) => model.execute(x, logitNode) as tf.Tensor,
    nonFiniteWeights: () =>
      Object.entries(model.weights)
        .filter(([, ts]) => ts.some((t) => t.dtype === 'float32' && !allFinite(t)))
        .map(([name]) => name),
    dispose: () => model.dispose(),
  };
}

/** The part of a GraphDef node this file reads. */
export interface GraphNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
}

/** The part of a converter-written `signature` this file reads (dims are strings, -1 = any). */
export interface GraphSignature {
  readonly inputs?: Record<string, { tensorShape?: { dim?: readonly { size?: string | number }[] } }>;
}

/** Columns of the single input: from the Placeholder's shape, else from the signature, else unknown. */
function graphInputWidth(model: tf.GraphModel, signature: GraphSignature | undefined): number | undefined {
  const shape = model.inputs[0]?.shape;
  if (shape?.length === 2 && typeof shape[1] === 'number' && shape[1] > 0) return shape[1];
  const dims = Object.values(signature?.inputs ?? {})[0]?.tensorShape?.dim;
  const cols = dims?.length === 2 ? Number(dims[1]?.size) : NaN;
  return cols > 0 ? cols : undefined;
}

function allFinite(t: tf.Tensor): boolean {
  return tf.tidy(() => tf.isFinite(t).all().dataSync()[0] === 1);
}

/** Follows Identity nodes back from the output; the input of a Sigmoid found there is the logit node. */
function graphLogitNode(output: string | undefined, nodes: readonly GraphNode[]): string | undefined {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const strip = (ref: string | undefined): string | undefined => ref?.replace(/^\^/, '').replace(/:0$/, '');
  let node = byName.get(strip(output) ?? '');
  for (let hops = 0; node?.op === 'Identity' && hops < 8; hops++)
    node = byName.get(strip(node.input?.[0]) ?? '');
  return node?.op === 'Sigmoid' ? strip(node.input?.[0]) : undefined;
}

/**
 * A second head on the same network that stops before the final sigmoid. For a Dense layer with a sigmoid
 * activation that means a linear twin of that layer (its own copy of the last kernel and bias only; every
 * earlier layer is shared, not copied).
 */
function layersLogitHead(
  model: tf.LayersModel,
): { logit: (x: tf.Tensor2D) => tf.Tensor; dispose: () => void } | undefined {
  if (model.outputs.length !== 1) return undefined;
  const layer = model.outputs[0]!.sourceLayer;
  const config = layer.getConfig();
  if (config.activation !== 'sigmoid') return undefined;
  let input: tf.SymbolicTensor;
  try {
    // A layer called more than once has no single input; such a model simply gets no logit head.
    input = layer.input as tf.SymbolicTensor;
  } catch {
    return undefined;
  }
  if (Array.isArray(input)) return undefined;
  const className = layer.getClassName();
  if (className === 'Activation') {
    const sub = tf.model({ inputs: model.inputs, outputs: input });
    return { logit: (x) => sub.predictOnBatch(x) as tf.Tensor, dispose: () => undefined };
  }
  if (className !== 'Dense') return undefined;
  const twin = tf.layers.dense({
    units: config.units as number,
    useBias: config.useBias as boolean,
    activation: 'linear',
    name: `${layer.name}_churnflow_logit`,
  });
  const sub = tf.model({ inputs: model.inputs, outputs: twin.apply(input) as tf.SymbolicTensor });
  twin.setWeights(layer.getWeights());
  // Only the twin's own kernel and bias are released here: the shared layers go with the model.
  return { logit: (x) => sub.predictOnBatch(x) as tf.Tensor, dispose: () => twin.dispose() };
}
