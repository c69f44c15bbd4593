// Conversion of the public input kinds (ndarray, typed arrays, arrays of rows) to row-major
// Float32Array, with validation that names the offending row and column. Runs once per call,
// never inside a hot loop.
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { MemGuardInputError } from '../errors.js';

/** A matrix of `rows x cols`: an ndarray of shape [rows, cols], a flat row-major typed array or
 * number[], or an array of rows. */
export type MatrixInput = NdArray | Float32Array | Float64Array | ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** Labels or targets, one per row. */
export type VectorInput = NdArray | Int32Array | Float32Array | Float64Array | ArrayLike<number>;

export interface Rows {
  data: Float32Array;
  rows: number;
}

export function isNdArray(x: unknown): x is NdArray {
  return typeof x === 'object' && x !== null && 'shape' in x && 'stride' in x && 'data' in x && 'offset' in x;
}

/**
 * Row-major float32 copy (or view, for a contiguous Float32Array/ndarray) of `input`, checked to
 * have `cols` columns and (unless `checkFinite` is false, for callers that check each row in order
 * themselves) only finite values. `what` names the argument in errors.
 */
export function toRows(input: MatrixInput, cols: number, what: string, checkFinite = true): Rows {
  let data: Float32Array;
  if (isNdArray(input)) {
    const [rows, width] = input.shape;
    if (input.shape.length !== 2) throw new MemGuardInputError(`${what}: expected a 2-d ndarray, got shape [${input.shape}]`);
    if (width !== cols) throw new MemGuardInputError(`${what}: expected ${cols} columns, got shape [${input.shape}]`);
    const contiguous = input.data instanceof Float32Array && input.stride[0] === cols && input.stride[1] === 1;
    if (contiguous) data = (input.data as Float32Array).subarray(input.offset, input.offset + rows! * cols);
    else {
      data = new Float32Array(rows! * cols);
      for (let r = 0; r < rows!; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = input.get(r, c);
    }
  } else if (ArrayBuffer.isView(input) || (Array.isArray(input) && (input.length === 0 || typeof input[0] === 'number'))) {
    const flat = input as ArrayLike<number>;
    if (flat.length % cols !== 0) {
      throw new MemGuardInputError(`${what}: flat length ${flat.length} is not a multiple of ${cols} columns`);
    }
    data = flat instanceof Float32Array ? flat : Float32Array.from(flat);
  } else if (Array.isArray(input) || (typeof input === 'object' && input !== null && 'length' in input)) {
    const rowsIn = input as ArrayLike<ArrayLike<number>>;
    data = new Float32Array(rowsIn.length * cols);
    for (let r = 0; r < rowsIn.length; r++) {
      const row = rowsIn[r];
      if (!row || typeof row !== 'object' || row.length !== cols) {
        throw new MemGuardInputError(`${what}: row ${r} has ${row && typeof row === 'object' ? row.length : typeof row} values, expected ${cols}`);
      }
      for (let c = 0; c < cols; c++) data[r * cols + c] = row[c]!;
    }
  } else {
    throw new MemGuardInputError(`${what}: expected an ndarray, a typed array or an array of rows, got ${typeof input}`);
  }
  for (let i = 0; checkFinite && i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new MemGuardInputError(`${what}: row ${Math.floor(i / cols)}, column ${i % cols} is ${data[i]} (must be finite)`);
    }
  }
  return { data, rows: data.length / cols };
}

/** Integer class labels in [0, classes), one per row. */
export function toLabels(input: VectorInput, rows: number, classes: number, what: string): Int32Array {
  const values = toVector(input, rows, what);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new MemGuardInputError(`${what}: row ${i} is ${v}, expected an integer label in 0..${classes - 1}`);
    }
    out[i] = v;
  }
  return out;
}

/** Float targets in [0, 1] (binary cross-entropy), one per row. */
export function toTargets(input: VectorInput, rows: number, what: string): Float32Array {
  const values = toVector(input, rows, what);
  for (let i = 0; i < rows; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 1)) throw new MemGuardInputError(`${what}: row ${i} is ${v}, expected a target in [0, 1]`);
  }
  return Float32Array.from(values);
}

function toVector(input: VectorInput, rows: number, what: string): ArrayLike<number> {
  let values: ArrayLike<number>;
  if (isNdArray(input)) {
    if (input.shape.length !== 1) throw new MemGuardInputError(`${what}: expected a 1-d ndarray, got shape [${input.shape}]`);
    values = Array.from({ length: input.shape[0]! }, (_, i) => input.get(i));
  } else values = input;
  if (values.length !== rows) throw new MemGuardInputError(`${what}: has ${values.length} entries, expected ${rows} (one per row)`);
  return values;
}

/** Returns `data` (rows x cols) in the kind the caller passed: an ndarray for an ndarray, else flat. */
export function like(input: unknown, data: Float32Array, rows: number, cols: number): Float32Array | NdArray<Float32Array> {
  return isNdArray(input) ? ndarray(data, [rows, cols]) : data;
}
