import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ChurnflowError } from '../contract/codes.js';
import { normalizeKerasModelJson } from './keras-topology.js';

/** The topology file of a TF.js LayersModel directory. */
export const MODEL_JSON = 'model.json';

/** The single weights file {@link saveLayersModelToDir} writes (the name tfjs-node's file:// saver uses). */
export const WEIGHTS_BIN = 'weights.bin';

// Bytes per stored element; quantized weights are stored in their quantization dtype.
const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** A model directory read from disk: what TF.js builds a model from, and where each weight came from. */
export interface ModelDirArtifacts {
  /** model.json with its weights, Keras 3 forms already rewritten (see {@link normalizeKerasModelJson}). */
  readonly artifacts: tf.io.ModelArtifacts;
  /** `'layers-model'`, `'graph-model'`, or undefined when model.json does not say. */
  readonly format: string | undefined;
  /** Path of model.json. */
  readonly jsonFile: string;
  /** For each weight name, the shard file(s) of its group (the file to name when that weight is bad). */
  readonly weightFiles: ReadonlyMap<string, string>;
  /** The Keras 3 rewrites made to model.json (empty when none were needed). */
  readonly rewrites: readonly string[];
}

/**
 * Reads a model directory: `model.json` plus every weight file its `weightsManifest` names, checking sizes.
 * Works for LayersModels (as TF.js and the Keras converter write them, Keras 2 or 3) and GraphModels.
 * @throws ChurnflowError MODEL_INVALID naming the file when model.json or a weights file is missing,
 * unreadable, malformed or of the wrong size.
 */
export async function readModelDir(dir: string): Promise<ModelDirArtifacts> {
  const jsonFile = path.join(dir, MODEL_JSON);
  let modelJson = parseModelJson(await readOrRefuse(jsonFile, 'model.json'), jsonFile);
  let rewrites: readonly string[] = [];
  if (modelJson.format !== 'graph-model') {
    ({ json: modelJson, rewrites } = normalizeKerasModelJson(modelJson, jsonFile));
  }
  const weightFiles = new Map<string, string>();
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, (manifest) =>
    readWeights(dir, jsonFile, manifest, weightFiles),
  );
  return { artifacts, format: modelJson.format, jsonFile, weightFiles, rewrites };
}

/**
 * A TF.js IOHandler reading and writing a model directory on local disk (`model.json` plus the weight files
 * named in its `weightsManifest`), the format written by TF.js and by the Keras→TF.js converter; loads go
 * through {@link readModelDir}. Unlike tfjs-node's `file://` handler it works on every backend, wasm included.
 * Load errors are `ChurnflowError` `MODEL_INVALID` with `context.file` naming the offending file.
 */
export function modelDirHandler(dir: string): tf.io.IOHandler {
  return { load: async () => (await readModelDir(dir)).artifacts, save: (a) => saveArtifacts(dir, a) };
}

/**
 * Loads a LayersModel from a directory on disk (see {@link modelDirHandler}).
 * @throws ChurnflowError MODEL_INVALID naming the file when model.json or a weights file is missing,
 * unreadable, malformed or of the wrong size, or when TF.js refuses the topology.
 */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  return buildLayersModel(await readModelDir(dir));
}

/** Builds the LayersModel of artifacts read by {@link readModelDir}; refusals name model.json. */
export async function buildLayersModel(read: ModelDirArtifacts): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel({ load: () => Promise.resolve(read.artifacts) });
  } catch (err) {
    throw invalid(
      `${read.jsonFile}: TF.js cannot build a LayersModel from it: ${String(err)}`,
      read.jsonFile,
      err,
    );
  }
}

/**
 * Loads a GraphModel (`format: "graph-model"`, a GraphDef topology, as `tensorflowjs_converter
 * --output_format tfjs_graph_model` writes it) from a directory on disk.
 * @throws ChurnflowError MODEL_INVALID naming the file, as {@link loadLayersModelFromDir}.
 */
export async function loadGraphModelFromDir(dir: string): Promise<tf.GraphModel> {
  return buildGraphModel(await readModelDir(dir));
}

/** Builds the GraphModel of artifacts read by {@link readModelDir}; refusals name model.json. */
export async function buildGraphModel(read: ModelDirArtifacts): Promise<tf.GraphModel> {
  try {
    return await tf.loadGraphModel({ load: () => Promise.resolve(read.artifacts) });
  } catch (err) {
    throw invalid(
      `${read.jsonFile}: TF.js cannot build a GraphModel from it: ${String(err)}`,
      read.jsonFile,
      err,
    );
  }
}

/**
 * Saves a LayersModel into `dir` (created if missing) as `model.json` plus one `weights.bin`, the same
 * layout TF.js writes. model.json is written last through a rename, so a reader never sees a
 * model.json whose weights are not yet on disk.
 */
export async function saveLayersModelToDir(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  return model.save(modelDirHandler(dir));
}

function parseModelJson(bytes: Buffer, file: string): tf.io.ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(`${file}: not valid JSON (${String(err)})`, file, err);
  }
  if (typeof parsed !== 'object' || parsed === null || !('modelTopology' in parsed)) {
    throw invalid(`${file}: no modelTopology; not a TF.js model.json`, file);
  }
  const m = parsed as tf.io.ModelJSON;
  if (m.weightsManifest !== undefined && !Array.isArray(m.weightsManifest)) {
    throw invalid(`${file}: weightsManifest is not an array`, file);
  }
  return m;
}

async function readWeights(
  dir: string,
  jsonFile: string,
  manifest: tf.io.WeightsManifestConfig,
  weightFiles: Map<string, string>,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  const root = path.resolve(dir);
  for (const group of manifest) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw invalid(`${jsonFile}: a weightsManifest group lacks paths or weights`, jsonFile);
    }
    let got = 0;
    const files: string[] = [];
    for (const rel of group.paths) {
      const file = path.resolve(root, rel);
      // A manifest must not reach outside its own directory (e.g. "../../etc/passwd").
      const inside = path.relative(root, file);
      if (path.isAbsolute(rel) || inside === '..' || inside.startsWith(`..${path.sep}`)) {
        throw invalid(`${jsonFile}: weight path "${rel}" leaves the model directory`, jsonFile);
      }
      const bytes = await readOrRefuse(file, 'weights file');
      got += bytes.byteLength;
      files.push(file);
      // Copy out of Node's pooled Buffer: TF.js decodes from the ArrayBuffer starting at offset 0.
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
    const want = groupBytes(group.weights, jsonFile);
    if (want !== undefined && got !== want) {
      const last = files[files.length - 1] ?? jsonFile;
      throw invalid(
        `${files.join(', ')}: ${got} bytes of weights where ${MODEL_JSON} declares ${want} (truncated or wrong file)`,
        last,
      );
    }
    specs.push(...group.weights);
    for (const w of group.weights) weightFiles.set(w.name, files.join(', '));
  }
  return [specs, tf.io.concatenateArrayBuffers(buffers)];
}

/** Byte size a group's weights declare, or undefined when a string weight makes it data-dependent. */
function groupBytes(weights: readonly tf.io.WeightsManifestEntry[], jsonFile: string): number | undefined {
  let total = 0;
  for (const w of weights) {
    const dtype = w.quantization?.dtype ?? w.dtype;
    if (dtype === 'string') return undefined;
    const size = BYTES[dtype];
    if (size === undefined || !Array.isArray(w.shape)) {
      throw invalid(`${jsonFile}: weight "${w.name}" has an unknown dtype or no shape`, jsonFile);
    }
    total += w.shape.reduce((a, b) => a * b, 1) * size;
  }
  return total;
}

async function saveArtifacts(dir: string, a: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (a.modelTopology instanceof ArrayBuffer) {
    throw new Error('saveLayersModelToDir saves JSON topologies only (a LayersModel has one)');
  }
  await mkdir(dir, { recursive: true });
  const weights =
    a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
  const json: tf.io.ModelJSON = {
    modelTopology: a.modelTopology as object,
    format: a.format ?? 'layers-model',
    generatedBy: a.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
  };
  if (a.trainingConfig !== undefined) json.trainingConfig = a.trainingConfig;
  if (a.userDefinedMetadata !== undefined) json.userDefinedMetadata = a.userDefinedMetadata;
  await writeFile(path.join(dir, WEIGHTS_BIN), new Uint8Array(weights));
  const tmp = path.join(dir, `.${MODEL_JSON}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(json));
  await rename(tmp, path.join(dir, MODEL_JSON));
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...a, weightData: weights }) };
}

async function readOrRefuse(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'missing' : `unreadable (${code ?? String(err)})`;
    throw invalid(`${file}: ${what} ${why}`, file, err);
  }
}

function invalid(message: string, file: string, cause?: unknown): ChurnflowError {
  return new ChurnflowError('MODEL_INVALID', message, { file }, cause === undefined ? undefined : { cause });
}
