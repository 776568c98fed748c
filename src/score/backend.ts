import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { preferUntransposedMatMul } from './wasm-matmul.js';

/** The TF.js backends churnflow runs on: native TensorFlow when available, else WebAssembly. */
export type TfBackendName = 'tensorflow' | 'wasm';

/** The logger {@link selectBackend} reports to (a pino logger fits). */
export interface BackendLog {
  info(obj: object, msg: string): void;
}

/**
 * The optional native package. Held in a variable so TypeScript does not resolve it at build time: the
 * build must not need it, and it is not a dependency (its install downloads a native library).
 */
const TFJS_NODE = '@tensorflow/tfjs-node';

// The TF.js engine is process-wide state (one registry of backends, one active backend), so the choice
// is made once per process; a second call returns the first call's answer instead of re-initialising.
let selected: Promise<TfBackendName> | undefined;

/**
 * Picks and initialises the TF.js backend, once per process: `@tensorflow/tfjs-node` ('tensorflow') when
 * that optional package is installed and its native library loads, otherwise the WebAssembly backend
 * with its `.wasm` binaries read from `@tensorflow/tfjs-backend-wasm/dist` on disk. Logs which backend
 * runs and its version. Idempotent: later calls resolve to the same backend without logging again.
 * Rejects only when no backend can start (then a later call tries again).
 */
export function selectBackend(log: BackendLog): Promise<TfBackendName> {
  selected ??= pick(log).catch((err: unknown) => {
    selected = undefined;
    throw err;
  });
  return selected;
}

async function pick(log: BackendLog): Promise<TfBackendName> {
  const native = await tryNative();
  if (native.ok) {
    log.info(
      { backend: 'tensorflow', version: native.version, tfjs: tf.version_core },
      'TF.js backend: tensorflow (native, @tensorflow/tfjs-node)',
    );
    return 'tensorflow';
  }
  const wasm = await startWasm();
  log.info(
    {
      backend: 'wasm',
      version: version_wasm,
      tfjs: tf.version_core,
      simd: wasm.simd,
      threads: wasm.threads,
      nativeUnavailable: native.reason,
    },
    'TF.js backend: wasm (@tensorflow/tfjs-node not available)',
  );
  return 'wasm';
}

type NativeResult = { ok: true; version: string } | { ok: false; reason: string };

async function tryNative(): Promise<NativeResult> {
  let mod: unknown;
  try {
    // A missing package and a native library that fails to load (wrong glibc, missing libtensorflow)
    // both surface here as an import error: either way we fall back.
    mod = await import(TFJS_NODE);
  } catch (err) {
    return { ok: false, reason: firstLine(err) };
  }
  // tfjs-node registers 'tensorflow' on the tfjs-core it resolves; when npm gave it a different copy of
  // tfjs-core than ours, our engine never sees the backend and we must not pretend it runs.
  if (!tf.findBackendFactory('tensorflow')) {
    return { ok: false, reason: 'tfjs-node loaded but registered no tensorflow backend on this tfjs-core' };
  }
  try {
    if (!(await tf.setBackend('tensorflow')))
      return { ok: false, reason: 'tensorflow backend failed to start' };
    await tf.ready();
  } catch (err) {
    return { ok: false, reason: firstLine(err) };
  }
  return { ok: true, version: nativeVersion(mod) };
}

function nativeVersion(mod: unknown): string {
  const versions = (mod as { version?: Record<string, string> }).version;
  return versions?.['tfjs-node'] ?? 'unknown';
}

async function startWasm(): Promise<{ simd: boolean; threads: boolean }> {
  // In Node the binaries are files, not URLs: a directory prefix ending in a separator makes the
  // Emscripten loader read `<dist>/tfjs-backend-wasm*.wasm` from disk (the default would look next to
  // the bundled script, which breaks once the code is bundled or run from dist/). usePlatformFetch
  // stays false: Node's global fetch cannot read plain file paths (tensorflow/tfjs#6857).
  const pkgJson = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  setWasmPaths(path.join(path.dirname(pkgJson), 'dist') + path.sep);
  if (!(await tf.setBackend('wasm'))) {
    throw new Error('the TF.js wasm backend failed to initialise (see the TF.js warning above)');
  }
  await tf.ready();
  preferUntransposedMatMul();
  const [simd, threads] = await Promise.all([
    tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  ]);
  return { simd: simd === true, threads: threads === true };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n', 1)[0] ?? msg;
}
