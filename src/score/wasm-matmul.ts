import * as tf from '@tensorflow/tfjs';

type KernelInputs = { a: tf.TensorInfo; b: tf.TensorInfo };
type MatMulAttrs = { transposeA: boolean; transposeB: boolean };

let installed = false;

/**
 * Makes the wasm backend's BatchMatMul transpose its second operand explicitly before multiplying, instead of
 * letting the kernel read it transposed. The kernel's transposed-B path is about 5× slower than its plain path
 * (2,048 × 32 by 32 × 40: 2.6 ms against 0.5 ms here), and it is exactly what every backward pass through a
 * Dense layer does (dx = dy · Kᵀ): reason codes by gradient × input spent ~75% of their time there. Transposing
 * B costs one pass over B (a weight matrix: small), so the same product costs about a quarter. Results are
 * bit-identical (the same products in the same order). Installed once per process, for wasm only.
 */
export function preferUntransposedMatMul(): void {
  if (installed) return;
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (matMul === undefined || transpose === undefined) return;
  installed = true;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...matMul,
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as MatMulAttrs;
      if (!attrs.transposeB) return matMul.kernelFunc(args);
      const { a, b } = args.inputs as unknown as KernelInputs;
      const rank = b.shape.length;
      const perm = Array.from({ length: rank }, (_, i) => i);
      [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
      const bt = transpose.kernelFunc({
        inputs: { x: b },
        backend: args.backend,
        attrs: { perm },
      }) as tf.TensorInfo;
      try {
        return matMul.kernelFunc({
          ...args,
          inputs: { a, b: bt },
          attrs: { ...args.attrs, transposeB: false },
        });
      } finally {
        (args.backend as tf.KernelBackend).disposeData(bt.dataId);
      }
    },
  });
}
