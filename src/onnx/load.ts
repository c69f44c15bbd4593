// ONNX -> Mlp: walks an MLP graph (the chain PyTorch's torch.onnx and Keras' tf2onnx emit for dense
// networks) from its input to its output and turns it into layers. Anything outside that shape is
// refused with a MemGuardFormatError naming the first node (or tensor) it cannot take: nothing is
// guessed, approximated or skipped except the ops that are the identity at inference.
import { fromBinary } from '@bufbuild/protobuf';
import { MemGuardFormatError, MemGuardInputError } from '../errors.js';
import { Mlp, type Activation, type LayerParameters } from '../nn/mlp.js';
import type { Engine } from '../wasm/engine.js';
import { AttributeType, DataType, ModelProtoSchema, type Attribute, type Graph, type Model, type Node, type Tensor } from './schema.js';

/**
 * The default-domain opsets `loadOnnx` reads: every op it takes has the same inference semantics
 * across them (Softmax's default axis, which changed at 13, is read per opset).
 *
 * @example
 * console.log(ONNX_OPSETS.min, ONNX_OPSETS.max); // 9 23
 */
export const ONNX_OPSETS = { min: 9, max: 23 } as const;

/** Elements one tensor may hold (2^28 float32 = 1 GiB): larger dims are refused before allocating. */
const MAX_ELEMENTS = 2 ** 28;

const TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};
const typeName = (t: number): string => `${TYPE_NAMES[t] ?? 'unknown'} (${t})`;

const ACTIVATION_OPS: Record<string, Activation> = { Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh', Softmax: 'softmax' };
const SKIPPED_OPS = new Set(['Identity', 'Dropout', 'Flatten']);
const TAKEN = 'memguard takes MLP graphs: Gemm, or MatMul + Add; Relu, Sigmoid, Tanh, Softmax; Flatten, Identity and Dropout are skipped';

/**
 * Options of `loadOnnx` / `parseOnnx`.
 *
 * @example
 * const options: LoadOnnxOptions = { output: 'logits' }; // which graph output, when there are several
 */
export interface LoadOnnxOptions {
  /** The graph output to read when the graph has several (default: its only output). */
  output?: string;
  /** The engine the Mlp lives in (default: the default engine). */
  engine?: Engine;
}

interface Constant { dims: number[]; values: Float64Array }
interface Building { in: number; out: number; weight: Float64Array; bias: Float64Array; activation: Activation | undefined }

/** A name from the file as shown in an error: quoted, escaped (no raw newlines) and short. */
function q(name: string): string {
  const text = JSON.stringify(name);
  return text.length > 66 ? `${text.slice(0, 60)}..." (${name.length} characters)` : text;
}

/** An op type as shown in an error: bare when it looks like one, else quoted like a name. */
function opName(op: string): string {
  return /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(op) ? op : q(op);
}

function fail(message: string): never {
  throw new MemGuardFormatError(`ONNX model: ${message}`);
}

/**
 * Reads an ONNX model (the bytes of a `.onnx` file) into layers, without building the Mlp; the
 * error names the first node or tensor it cannot take.
 *
 * @example
 * import { Mlp } from 'memguard';
 * import { parseOnnx, toOnnx } from 'memguard/onnx';
 * const layers = parseOnnx(toOnnx(Mlp.create([4, 8, 3], { seed: 1 })));
 * console.log(layers.map((l) => `${l.in}->${l.out} ${l.activation}`)); // ['4->8 relu', '8->3 softmax']
 */
export function parseOnnx(bytes: Uint8Array | ArrayBuffer, options: Pick<LoadOnnxOptions, 'output'> = {}): LayerParameters[] {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new MemGuardInputError(`loadOnnx: expected the bytes of a .onnx file (Uint8Array or ArrayBuffer), got ${bytes === null ? 'null' : typeof bytes}`);
  }
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (data.length === 0) fail('the file is empty');
  let model: Model;
  try {
    model = fromBinary(ModelProtoSchema, data) as unknown as Model;
  } catch (e) {
    fail(`not a valid ONNX (protobuf) file: ${(e as Error).message}`);
  }
  const opset = defaultOpset(model);
  const graph = model.graph;
  if (!graph || (graph.node.length === 0 && graph.input.length === 0)) fail('the file has no graph (is it an ONNX model?)');
  if (graph.sparseInitializer.length > 0) fail('sparse initializers are not supported; store the weights dense');

  const constants = new Map<string, Constant>();
  for (const t of graph.initializer) {
    if (constants.has(t.name)) fail(`initializer ${q(t.name)} is defined twice`);
    constants.set(t.name, readTensor(t, `initializer ${q(t.name)}`));
  }
  const nodes = graph.node.map((node, index) => ({ node, index, label: `node ${index} ${q(node.name || node.output[0] || '?')} (${opName(node.opType)})` }));
  for (const { node, label } of nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') fail(`${label}: operator domain ${q(node.domain)} is not supported; ${TAKEN}`);
    if (node.opType === 'Constant') {
      if (node.output.length !== 1) fail(`${label}: expected 1 output`);
      if (constants.has(node.output[0]!)) fail(`${label}: its output ${q(node.output[0]!)} is already defined`);
      constants.set(node.output[0]!, constantNode(node, label));
    }
  }
  // Exporters sometimes pass a weight through Identity (tied weights) or Transpose (torch.onnx's
  // dynamo exporter without constant folding): such nodes of a constant are constants themselves.
  const folded = new Set<number>();
  for (let changed = true; changed;) {
    changed = false;
    for (const { node, index, label } of nodes) {
      if (folded.has(index) || (node.opType !== 'Identity' && node.opType !== 'Transpose')) continue;
      const named = node.input.filter((name) => name !== '');
      if (named.length !== 1 || !constants.has(named[0]!) || node.output.length !== 1) continue;
      if (constants.has(node.output[0]!)) fail(`${label}: its output ${q(node.output[0]!)} is already defined`);
      const c = constants.get(named[0]!)!;
      constants.set(node.output[0]!, node.opType === 'Identity' ? c : transposed(c, node, label));
      folded.add(index);
      changed = true;
    }
  }

  const inputs = graph.input.filter((v) => !constants.has(v.name));
  if (inputs.length !== 1) {
    fail(`the graph must take exactly one input (the feature rows), it takes ${inputs.length}${inputs.length ? `: ${inputs.map((v) => `${q(v.name)}`).join(', ')}` : ''}`);
  }
  const input = inputs[0]!;
  const inputWidth = checkInput(input);
  const outputName = chooseOutput(graph, options.output);
  const order = topologicalOrder(nodes.filter((n) => n.node.opType !== 'Constant' && !folded.has(n.index)), new Set([input.name, ...constants.keys()]));

  const layers: Building[] = [];
  let current = input.name;
  let width = inputWidth;
  const constant = (name: string, label: string): Constant => constants.get(name) ?? fail(`${label}: ${q(name)} must be a constant (an initializer)`);
  for (const { node, label } of order) {
    const named = node.input.filter((name) => name !== '');
    const data = named.filter((name) => !constants.has(name));
    if (data.length !== 1 || data[0] !== current) {
      fail(`${label} is not on the single path from the input ${q(input.name)} (it reads ${data.map((d) => `${q(d)}`).join(', ') || 'only constants'}, the path is at ${q(current)}); ${TAKEN}`);
    }
    const op = node.opType;
    const last = layers[layers.length - 1];
    const open = last !== undefined && last.activation === undefined; // a linear step may still add a bias or activation
    if (op === 'Gemm' || op === 'MatMul') {
      if (node.input[0] !== current) fail(`${label}: the feature rows must be the first operand (x W), not the second`);
      const w = constant(node.input[1]!, label);
      if (w.dims.length !== 2) fail(`${label}: the weight ${q(node.input[1])} must be 2-D, has dims [${w.dims}]`);
      const gemm = op === 'Gemm' ? gemmAttributes(node, label) : { alpha: 1, beta: 1, transA: 0, transB: 0 };
      if (gemm.transA !== 0) fail(`${label}: transA = 1 (transposed feature rows) is not supported`);
      const [nIn, nOut] = gemm.transB ? [w.dims[1]!, w.dims[0]!] : [w.dims[0]!, w.dims[1]!];
      if (nIn === 0 || nOut === 0) fail(`${label}: the weight ${q(node.input[1])} has an empty dimension [${w.dims}]`);
      if (width !== undefined && nIn !== width) fail(`${label}: takes ${nIn} features but the rows reaching it have ${width}`);
      const weight = new Float64Array(nIn * nOut);
      for (let i = 0; i < nIn; i++) {
        for (let o = 0; o < nOut; o++) weight[i * nOut + o] = gemm.alpha * w.values[gemm.transB ? o * nIn + i : i * nOut + o]!;
      }
      const bias = new Float64Array(nOut);
      const c = op === 'Gemm' ? node.input[2] : undefined;
      if (c) addBias(bias, constant(c, label), gemm.beta, label, c);
      layers.push({ in: nIn, out: nOut, weight, bias, activation: undefined });
      width = nOut;
    } else if (op === 'Add') {
      if (!open) fail(`${label}: an Add must follow a MatMul or Gemm (a bias), here it follows ${last ? 'an activation' : 'the input'}`);
      if (named.length !== 2) fail(`${label}: expected 2 inputs, has ${named.length}`);
      const b = named.find((name) => constants.has(name))!; // the other one is the path (checked above)
      addBias(last.bias, constant(b, label), 1, label, b);
    } else if (op in ACTIVATION_OPS) {
      if (!open) fail(`${label}: an activation must follow a Gemm or MatMul (+ Add), here it follows ${last ? 'another activation' : 'the input'}`);
      if (op === 'Softmax') softmaxAxis(node, opset, label);
      last.activation = ACTIVATION_OPS[op]!;
    } else if (SKIPPED_OPS.has(op)) {
      if (op === 'Flatten') flattenAxis(node, label);
      if (op === 'Dropout' && node.input[2]) fail(`${label}: a training_mode input is not supported; export the model in eval mode`);
    } else {
      fail(`${label}: operator ${opName(op)} is not supported; ${TAKEN}`);
    }
    current = node.output[0] ?? fail(`${label}: has no output`);
  }
  if (layers.length === 0) fail(`the graph has no Gemm or MatMul layer; ${TAKEN}`);
  if (current !== outputName) fail(`the graph output ${q(outputName)} is not the end of the path from the input (which ends at ${q(current)})`);
  return layers.map((l) => ({
    in: l.in, out: l.out, activation: l.activation ?? 'linear', weight: Float32Array.from(l.weight), bias: Float32Array.from(l.bias),
  }));
}

/**
 * Builds an `Mlp` from an ONNX model (the bytes of a `.onnx` file): Gemm or MatMul + Add layers,
 * Relu / Sigmoid / Tanh / Softmax activations, float32 or float64 weights (read into float32).
 *
 * @example
 * import { Mlp } from 'memguard';
 * import { loadOnnx, toOnnx } from 'memguard/onnx';
 * const g = loadOnnx(toOnnx(Mlp.create([30, 8, 1], { head: 'sigmoid', seed: 1 })));
 * console.log(g.inputSize, g.head); // 30 'sigmoid'
 */
export function loadOnnx(bytes: Uint8Array | ArrayBuffer, options: LoadOnnxOptions = {}): Mlp {
  const layers = parseOnnx(bytes, options);
  try {
    return Mlp.fromParameters(layers, options.engine);
  } catch (e) {
    // float64 weights beyond float32's range become infinite: say which layer, in the file's terms.
    if (e instanceof Error && /is (-?Infinity|NaN)/.test(e.message)) fail(`${e.message.replace(/^setParameters: /, '')} after conversion to float32`);
    throw e;
  }
}

function defaultOpset(model: Model): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry) {
    fail(model.opsetImport.length === 0 ? 'no opset_import (is it an ONNX model?)' : 'no default-domain (ai.onnx) opset_import');
  }
  const v = Number(entry.version);
  if (v < ONNX_OPSETS.min || v > ONNX_OPSETS.max) fail(`opset ${entry.version} is not supported (memguard reads opsets ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max})`);
  return v;
}

/** The feature width from the input's declared type, when it is declared; refuses non-float tensors. */
function checkInput(input: Graph['input'][number]): number | undefined {
  const where = `the graph input ${q(input.name)}`;
  const type = input.type;
  if (!type) return undefined;
  if (!type.tensorType) fail(`${where} is not a tensor (a sequence, map, optional or sparse tensor)`);
  const elem = type.tensorType.elemType;
  if (elem !== DataType.FLOAT && elem !== DataType.DOUBLE) fail(`${where} has element type ${typeName(elem)}; memguard takes FLOAT or DOUBLE rows`);
  const dims = type.tensorType.shape?.dim;
  if (!dims) return undefined;
  if (dims.length !== 2) fail(`${where} has rank ${dims.length}; memguard takes [batch, features] rows (rank 2)`);
  const d = dims[1]!;
  if (d.dimParam !== '' || d.dimValue === 0n) return undefined;
  if (d.dimValue < 0n || d.dimValue > BigInt(MAX_ELEMENTS)) fail(`${where} has ${d.dimValue} features`);
  return Number(d.dimValue);
}

function chooseOutput(graph: Graph, wanted: string | undefined): string {
  const names = graph.output.map((o) => o.name);
  if (wanted !== undefined) {
    if (!names.includes(wanted)) fail(`the graph has no output ${q(wanted)} (its outputs: ${names.map((n) => `${q(n)}`).join(', ') || 'none'})`);
    return wanted;
  }
  if (names.length !== 1) {
    fail(`the graph has ${names.length} outputs${names.length ? ` (${names.map((n) => `${q(n)}`).join(', ')})` : ''}; say which to read (option output)`);
  }
  return names[0]!;
}

type Indexed = { node: Node; index: number; label: string };

/** Kahn's order over the nodes; names a value nothing produces, or a node on a cycle. */
function topologicalOrder(nodes: Indexed[], available: Set<string>): Indexed[] {
  const producer = new Map<string, Indexed>();
  for (const n of nodes) {
    for (const out of n.node.output) {
      if (out === '') continue;
      if (producer.has(out) || available.has(out)) fail(`${n.label}: its output ${q(out)} is already defined`);
      producer.set(out, n);
    }
  }
  for (const n of nodes) {
    for (const name of n.node.input) {
      if (name !== '' && !available.has(name) && !producer.has(name)) fail(`${n.label}: reads ${q(name)}, which no node, initializer or input defines`);
    }
  }
  const ready = new Set(available);
  const order: Indexed[] = [];
  const waiting = [...nodes];
  let progressed = true;
  while (waiting.length > 0 && progressed) {
    progressed = false;
    for (let i = 0; i < waiting.length; i++) {
      const n = waiting[i]!;
      if (n.node.input.every((name) => name === '' || ready.has(name))) {
        order.push(n);
        for (const out of n.node.output) ready.add(out);
        waiting.splice(i--, 1);
        progressed = true;
      }
    }
  }
  if (waiting.length > 0) fail(`the graph has a cycle through ${waiting[0]!.label}`);
  return order;
}

function attribute(node: Node, name: string): Attribute | undefined {
  return node.attribute.find((a) => a.name === name);
}

function intAttribute(node: Node, name: string, fallback: number, label: string): number {
  const a = attribute(node, name);
  if (!a) return fallback;
  if (a.refAttrName !== '') fail(`${label}: attribute ${name} refers to a function attribute`);
  if (a.type !== AttributeType.INT && a.type !== 0) fail(`${label}: attribute ${name} must be an INT`);
  if (a.i < -(2n ** 31n) || a.i >= 2n ** 31n) fail(`${label}: attribute ${name} = ${a.i} is out of range`);
  return Number(a.i);
}

function floatAttribute(node: Node, name: string, fallback: number, label: string): number {
  const a = attribute(node, name);
  if (!a) return fallback;
  if (a.type !== AttributeType.FLOAT && a.type !== 0) fail(`${label}: attribute ${name} must be a FLOAT`);
  if (!Number.isFinite(a.f)) fail(`${label}: attribute ${name} is ${a.f}`);
  return a.f;
}

function gemmAttributes(node: Node, label: string): { alpha: number; beta: number; transA: number; transB: number } {
  const transA = intAttribute(node, 'transA', 0, label), transB = intAttribute(node, 'transB', 0, label);
  if ((transA !== 0 && transA !== 1) || (transB !== 0 && transB !== 1)) fail(`${label}: transA and transB must be 0 or 1`);
  return { alpha: floatAttribute(node, 'alpha', 1, label), beta: floatAttribute(node, 'beta', 1, label), transA, transB };
}

function softmaxAxis(node: Node, opset: number, label: string): void {
  const axis = intAttribute(node, 'axis', opset >= 13 ? -1 : 1, label);
  if (axis !== 1 && axis !== -1) fail(`${label}: axis ${axis}; memguard takes a softmax over the features (axis 1 or -1)`);
}

function flattenAxis(node: Node, label: string): void {
  const axis = intAttribute(node, 'axis', 1, label);
  if (axis !== 1 && axis !== -1) fail(`${label}: axis ${axis}; only a Flatten that keeps [batch, features] (axis 1) is skipped`);
}

/** Adds scale * c to the bias, c broadcast along the batch: [out], [1, out], [1], [] or [1, 1]. */
function addBias(bias: Float64Array, c: Constant, scale: number, label: string, name: string): void {
  const n = bias.length;
  const rowShaped = c.dims.length <= 2 && c.dims.slice(0, -1).every((d) => d === 1);
  const count = c.values.length;
  if (!rowShaped || (count !== n && count !== 1)) fail(`${label}: the bias ${q(name)} has dims [${c.dims}]; expected [${n}] (or [1, ${n}], or one value)`);
  for (let o = 0; o < n; o++) bias[o]! += scale * c.values[count === 1 ? 0 : o]!;
}

/** A 2-D constant transposed (perm [1, 0], the default); a 1-D one is its own transpose. */
function transposed(c: Constant, node: Node, label: string): Constant {
  const perm = attribute(node, 'perm')?.ints.map(Number);
  if (c.dims.length <= 1 && (perm === undefined || perm.length === c.dims.length)) return c;
  if (c.dims.length !== 2 || (perm !== undefined && (perm[0] !== 1 || perm[1] !== 0))) {
    fail(`${label}: only a 2-D transpose of a constant is supported (dims [${c.dims}], perm [${perm ?? 'default'}])`);
  }
  const [rows, cols] = c.dims as [number, number];
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) values[j * rows + r] = c.values[r * cols + j]!;
  return { dims: [cols, rows], values };
}

function constantNode(node: Node, label: string): Constant {
  if (node.attribute.length !== 1) fail(`${label}: expected exactly one value attribute`);
  const a = node.attribute[0]!;
  if (a.name === 'value' && a.t) return readTensor(a.t, `${label} value`);
  if (a.name === 'value_float') return { dims: [], values: Float64Array.of(a.f) };
  if (a.name === 'value_floats') return { dims: [a.floats.length], values: Float64Array.from(a.floats) };
  return fail(`${label}: a constant given as ${a.name} is not supported (use a float tensor)`);
}

/** A FLOAT or DOUBLE tensor's dims and values; sizes are checked before anything is allocated. */
function readTensor(t: Tensor, where: string): Constant {
  if (t.dataLocation === 1 || t.externalData.length > 0) {
    fail(`${where} is stored in an external file; save the model with its weights inside (e.g. onnx.save(model, path, save_as_external_data=False))`);
  }
  if (t.segment !== undefined && t.segment.length > 0) fail(`${where} is a segment of a tensor, which is not supported`);
  let count = 1;
  const dims = t.dims.map((d) => {
    if (d < 0n || d > BigInt(MAX_ELEMENTS)) fail(`${where} has dimension ${d}`);
    count *= Number(d);
    if (count > MAX_ELEMENTS) fail(`${where} has dims [${t.dims}]: more than ${MAX_ELEMENTS} values`);
    return Number(d);
  });
  const kind = t.dataType;
  if (kind !== DataType.FLOAT && kind !== DataType.DOUBLE) fail(`${where} has data type ${typeName(kind)}; memguard takes FLOAT or DOUBLE weights`);
  const bytesPer = kind === DataType.FLOAT ? 4 : 8;
  const typed = kind === DataType.FLOAT ? t.floatData : t.doubleData;
  const other = kind === DataType.FLOAT ? t.doubleData.length : t.floatData.length;
  if (other > 0 || t.int32Data.length > 0 || t.int64Data.length > 0) fail(`${where}: its values are in a field that does not match its data type ${typeName(kind)}`);
  const values = new Float64Array(count);
  if (t.rawData.length > 0) {
    if (typed.length > 0) fail(`${where} has both raw_data and typed values`);
    if (t.rawData.length !== count * bytesPer) fail(`${where} has ${t.rawData.length} bytes of data, dims [${dims}] need ${count * bytesPer}`);
    // raw_data is little-endian and need not be aligned: read through a DataView.
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    for (let i = 0; i < count; i++) values[i] = bytesPer === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
  } else {
    if (typed.length !== count) fail(`${where} has ${typed.length} values, dims [${dims}] need ${count}`);
    values.set(typed);
  }
  for (let i = 0; i < count; i++) if (!Number.isFinite(values[i])) fail(`${where} has a non-finite value at ${i} (${values[i]})`);
  return { dims, values };
}
