// The library's typed errors. Every message names what is wrong (the argument, row or field, and
// the offending value) so a caller can fix the input without reading the source.

/** An argument has the wrong shape, type or value. */
export class MemGuardInputError extends RangeError {
  override name = 'MemGuardInputError';
}

/** A model or data file is malformed; the message names the first problem found. */
export class MemGuardFormatError extends TypeError {
  override name = 'MemGuardFormatError';
}

/** The WebAssembly module aborted; message and source location come from the module. */
export class MemGuardWasmError extends Error {
  override name = 'MemGuardWasmError';
}

/** Throws `MemGuardInputError` with a lazily built message when `cond` is false. */
export function check(cond: unknown, message: () => string): asserts cond {
  if (!cond) throw new MemGuardInputError(message());
}
