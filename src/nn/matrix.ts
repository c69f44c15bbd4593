// Conversion of the public input kinds (ndarray, typed arrays, arrays of rows) to row-major
// Float32Array, with validation that names the offending row and column. Runs once per call,
// never inside a hot loop.
//
// ndarray (the scijs package) is the public interchange type, but this module never imports it: the
// package is CommonJS (a browser cannot import it natively) and compiles its classes with
// `new Function` (forbidden by a strict Content-Security-Policy). Input ndarrays are read by duck
// typing (shape, stride, offset, data); output ndarrays come from a factory the caller registers
// (`setNdarrayFactory`, done on import by 'memguard/ndarray' and 'memguard/node').
import { MemGuardInputError } from '../errors.js';

/**
 * What memguard reads from an ndarray (scijs `ndarray`, or anything with the same layout): element
 * `[i, j]` is `data[offset + i * stride[0] + j * stride[1]]` (or `data.get(...)` for ndarray's
 * generic arrays). Any `NdArray` from the `ndarray` package fits.
 *
 * @example
 * const m = Mlp.create([3, 2], { seed: 1 });
 * // A hand-made 2 x 3 view stored column-major: read by its strides, no ndarray package needed.
 * const view = { shape: [2, 3], stride: [1, 2], offset: 0, data: new Float32Array([1, 0, 0, 1, 0, 0]) };
 * m.fit(view, [0, 1], { epochs: 1 });
 */
export interface NdArrayLike<D = unknown> {
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly offset: number;
  readonly data: D;
}

/**
 * Builds the ndarray returned for an ndarray input: row-major `data` of the given `[rows, cols]`
 * shape. `ndarray` itself (`(data, shape) => ndarray(data, shape)`) is the intended one.
 *
 * @example
 * import ndarray from 'ndarray';
 * import { setNdarrayFactory } from 'memguard';
 * setNdarrayFactory((data, shape) => ndarray(data, shape));
 */
export type NdarrayFactory = (data: Float32Array, shape: [number, number]) => NdArrayLike<Float32Array>;

/**
 * The type of the ndarrays memguard returns. 'memguard/ndarray' (and 'memguard/node') augment this
 * interface with `{ ndarray: NdArray<Float32Array> }`, so importing either types results as the
 * `ndarray` package's `NdArray`; otherwise they are typed as `NdArrayLike<Float32Array>`.
 *
 * @example
 * import ndarray from 'ndarray';
 * import { Mlp } from 'memguard/ndarray'; // this import augments the interface: results are NdArray<Float32Array>
 * const out = Mlp.create([2, 2], { seed: 1 }).predict(ndarray(new Float32Array([0, 1]), [1, 2]));
 * console.log(out.get(0, 1));
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NdarrayOutputTypes {}

/**
 * An ndarray result: `NdArray<Float32Array>` once 'memguard/ndarray' is imported, else its layout.
 *
 * @example
 * import ndarray from 'ndarray';
 * import { Mlp, type NdarrayOutput } from 'memguard/ndarray';
 * const out: NdarrayOutput = Mlp.create([2, 2], { seed: 1 }).predict(ndarray(new Float32Array([0, 1]), [1, 2]));
 */
export type NdarrayOutput = NdarrayOutputTypes extends { ndarray: infer T } ? T : NdArrayLike<Float32Array>;

/**
 * What a function returns for input `X`: an ndarray for an ndarray, else a flat row-major Float32Array.
 *
 * @example
 * const m = Mlp.create([2, 2], { seed: 1 });
 * const flat: MatrixOutput<number[]> = m.predict([0, 1]);       // Float32Array
 */
export type MatrixOutput<X> = X extends NdArrayLike ? NdarrayOutput : Float32Array;

/**
 * A matrix of `rows x cols`: an ndarray of shape [rows, cols], a flat row-major typed array or
 * number[], or an array of rows.
 *
 * @example
 * const m = Mlp.create([3, 2], { seed: 1 });
 * m.predict([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);                   // flat row-major: 2 rows
 * m.predict(new Float64Array([0.1, 0.2, 0.3]));                 // a typed array: 1 row
 * m.predict([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);                // an array of rows
 */
export type MatrixInput = NdArrayLike | Float32Array | Float64Array | ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/**
 * Labels or targets, one per row.
 *
 * @example
 * const m = Mlp.create([2, 2], { seed: 1 });
 * m.fit([0, 1, 1, 0], new Int32Array([1, 0]), { epochs: 1 });   // labels: number[], Int32Array, ...
 */
export type VectorInput = NdArrayLike | Int32Array | Float32Array | Float64Array | ArrayLike<number>;

let ndarrayFactory: NdarrayFactory | undefined;

/**
 * Registers how to build the ndarrays returned for ndarray inputs (`undefined` unregisters).
 * Without one, passing an ndarray to a function that returns a matrix throws a
 * `MemGuardInputError` before any work. 'memguard/ndarray' and 'memguard/node' register `ndarray`
 * on import; in a browser, pass your own (bundled) `ndarray`.
 *
 * @example
 * import ndarray from 'ndarray';
 * import { Mlp, setNdarrayFactory } from 'memguard';
 * setNdarrayFactory((data, shape) => ndarray(data, shape));
 * const out = Mlp.create([3, 2], { seed: 1 }).predict(ndarray(new Float32Array(6), [2, 3]));
 * out.shape; // [2, 2]
 */
export function setNdarrayFactory(factory: NdarrayFactory | undefined): void {
  if (factory !== undefined && typeof factory !== 'function') {
    throw new MemGuardInputError(`setNdarrayFactory: expected a function (data, shape) => ndarray, got ${typeof factory}`);
  }
  ndarrayFactory = factory;
}

export interface Rows {
  data: Float32Array;
  rows: number;
}

export function isNdArray(x: unknown): x is NdArrayLike {
  return typeof x === 'object' && x !== null && 'shape' in x && 'stride' in x && 'data' in x && 'offset' in x;
}

/** Reads element `i` of an ndarray's storage: an indexable array, or ndarray's `{ get(i) }` generic arrays. */
function storageReader(data: unknown): (i: number) => number {
  if (ArrayBuffer.isView(data) || Array.isArray(data)) return (i) => (data as ArrayLike<number>)[i]!;
  if (typeof data === 'object' && data !== null && typeof (data as { get?: unknown }).get === 'function') {
    return (i) => (data as { get(i: number): number }).get(i);
  }
  if (typeof data === 'object' && data !== null && 'length' in data) return (i) => (data as ArrayLike<number>)[i]!;
  throw new MemGuardInputError(`ndarray data must be an array, a typed array or have get(i), got ${typeof data}`);
}

/**
 * Row-major float32 copy (or view, for a contiguous Float32Array/ndarray) of `input`, checked to
 * have `cols` columns and only finite values. `what` names the argument in errors.
 */
export function toRows(input: MatrixInput, cols: number, what: string): Rows {
  let data: Float32Array;
  if (isNdArray(input)) {
    const [rows, width] = input.shape;
    if (input.shape.length !== 2) throw new MemGuardInputError(`${what}: expected a 2-d ndarray, got shape [${input.shape}]`);
    if (width !== cols) throw new MemGuardInputError(`${what}: expected ${cols} columns, got shape [${input.shape}]`);
    const [s0, s1] = input.stride as [number, number];
    const contiguous = input.data instanceof Float32Array && s0 === cols && s1 === 1;
    if (contiguous) data = (input.data as Float32Array).subarray(input.offset, input.offset + rows! * cols);
    else {
      const read = storageReader(input.data);
      data = new Float32Array(rows! * cols);
      for (let r = 0; r < rows!; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = read(input.offset + r * s0 + c * s1);
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
  for (let i = 0; i < data.length; i++) {
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
    const read = storageReader(input.data), stride = input.stride[0]!;
    values = Array.from({ length: input.shape[0]! }, (_, i) => read(input.offset + i * stride));
  } else values = input;
  if (values.length !== rows) throw new MemGuardInputError(`${what}: has ${values.length} entries, expected ${rows} (one per row)`);
  return values;
}

/**
 * How to return a result (rows x cols, row-major) in the kind the caller passed: an ndarray for an
 * ndarray (built by the registered factory), else the flat Float32Array. Called before the work, so
 * an ndarray input without a factory fails at once.
 */
export function outputLike<X>(input: X, what: string): (data: Float32Array, rows: number, cols: number) => MatrixOutput<X> {
  if (!isNdArray(input)) return (data) => data as MatrixOutput<X>;
  const factory = ndarrayFactory;
  if (!factory) {
    throw new MemGuardInputError(`${what}: an ndarray input is answered with an ndarray, but no ndarray factory is registered: ` +
      "import from 'memguard/ndarray' (or 'memguard/node'), or call setNdarrayFactory((data, shape) => ndarray(data, shape))");
  }
  return (data, rows, cols) => factory(data, [rows, cols]) as MatrixOutput<X>;
}
