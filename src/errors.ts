// The library's typed errors. Every message names what is wrong (the argument, row or field, and
// the offending value) so a caller can fix the input without reading the source.

/**
 * An argument has the wrong shape, type or value.
 *
 * @example
 * try {
 *   new MemGuard({ defenseClassifier: Mlp.create([3, 1], { head: 'sigmoid' }), epsilon: -1, coin: { mode: 'seed', seed: 1 } });
 * } catch (err) {
 *   console.log(err instanceof MemGuardInputError, (err as Error).message); // true, names the bad epsilon
 * }
 */
export class MemGuardInputError extends RangeError {
  override name = 'MemGuardInputError';
}

/**
 * A model or data file is malformed; the message names the first problem found.
 *
 * @example
 * try {
 *   parseModel('{"format":"memguard-mlp","version":99,"layers":[]}');
 * } catch (err) {
 *   console.log(err instanceof MemGuardFormatError, (err as Error).message); // true, names the version
 * }
 */
export class MemGuardFormatError extends TypeError {
  override name = 'MemGuardFormatError';
}

/**
 * The WebAssembly module aborted; message and source location come from the module.
 *
 * @example
 * try {
 *   loadEngine({ build: 'simd' }); // throws MemGuardWasmError where WebAssembly SIMD is unsupported
 * } catch (err) {
 *   console.log(err instanceof MemGuardWasmError);
 * }
 */
export class MemGuardWasmError extends Error {
  override name = 'MemGuardWasmError';
}

/** Throws `MemGuardInputError` with a lazily built message when `cond` is false. */
export function check(cond: unknown, message: () => string): asserts cond {
  if (!cond) throw new MemGuardInputError(message());
}
