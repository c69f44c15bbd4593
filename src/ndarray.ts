// memguard/ndarray: the whole main API, plus ndarray results for ndarray inputs. Importing this
// module registers the `ndarray` package as the factory for returned ndarrays. It is a separate
// entry because `ndarray` is CommonJS and builds its classes with `new Function`: fine in Node,
// Deno, Bun and bundlers, impossible as a native browser module under a strict CSP, so the main
// entry ('memguard') must not load it.
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { setNdarrayFactory } from './nn/matrix.js';

export * from './index.js';

/**
 * The factory 'memguard/ndarray' registers: wraps a row-major result in an `ndarray` of its shape.
 *
 * @example
 * import { ndarrayOf } from 'memguard/ndarray';
 * ndarrayOf(new Float32Array([0.2, 0.8, 0.6, 0.4]), [2, 2]).get(1, 0); // 0.6000000238418579
 */
export function ndarrayOf(data: Float32Array, shape: [number, number]): NdArray<Float32Array> {
  return ndarray(data, shape);
}

setNdarrayFactory(ndarrayOf);

// Results for ndarray inputs are typed as the ndarray package's NdArray wherever this module is imported.
declare module './nn/matrix.js' {
  interface NdarrayOutputTypes {
    ndarray: NdArray<Float32Array>;
  }
}
