// The MLP model file: a documented, versioned JSON format (README "Model files"):
// {"format":"memguard-mlp","version":1,"layers":[{"in":N,"out":M,"activation":"relu"|"sigmoid"|
//  "softmax"|"linear","weight":[N*M numbers, row-major [in][out]],"bias":[M numbers]}]}
import { MemGuardFormatError } from '../errors.js';
import type { Engine } from '../wasm/engine.js';
import { ACTIVATIONS, Mlp, type Activation, type LayerParameters } from './mlp.js';

/**
 * The `format` field of a model file.
 *
 * @example
 * console.log(JSON.parse(serializeModel(Mlp.create([2, 1]))).format === MODEL_FORMAT); // true
 */
export const MODEL_FORMAT = 'memguard-mlp';
/**
 * The `version` field of the model files this library writes and reads.
 *
 * @example
 * console.log(JSON.parse(serializeModel(Mlp.create([2, 1]))).version === MODEL_VERSION); // true
 */
export const MODEL_VERSION = 1;

/**
 * The model-file JSON (README \"Model files\"): layers with row-major `[in][out]` weights.
 *
 * @example
 * const file: ModelFile = {
 *   format: 'memguard-mlp', version: 1,
 *   layers: [{ in: 2, out: 1, activation: 'sigmoid', weight: [0.5, -0.5], bias: [0] }],
 * };
 * const g = loadModel(file);
 */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  layers: Array<{ in: number; out: number; activation: Activation; weight: number[]; bias: number[] }>;
}

/** Shortest decimal that reads back as the same float32, so files stay small and load exactly. */
function float32Text(v: number): string {
  for (let p = 6; p < 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

/**
 * Serializes a model to the model-file JSON text.
 *
 * @example
 * const text = serializeModel(Mlp.create([3, 2], { seed: 1 }));
 * console.log(loadModel(text).layers); // the same layers and weights, bit for bit
 */
export function serializeModel(mlp: Mlp): string {
  const layers = mlp.parameters().map((l) =>
    `{"in":${l.in},"out":${l.out},"activation":"${l.activation}",` +
    `"weight":[${Array.from(l.weight, float32Text).join(',')}],"bias":[${Array.from(l.bias, float32Text).join(',')}]}`);
  return `{"format":"${MODEL_FORMAT}","version":${MODEL_VERSION},"layers":[\n${layers.join(',\n')}\n]}\n`;
}

/**
 * Validates model-file JSON (text or parsed) and returns its layers; the error names the first problem.
 *
 * @example
 * const layers = parseModel('{"format":"memguard-mlp","version":1,"layers":[{"in":1,"out":1,"activation":"linear","weight":[2],"bias":[0]}]}');
 * console.log(layers[0].weight); // Float32Array [2]
 */
export function parseModel(json: string | unknown): LayerParameters[] {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (e) {
      throw new MemGuardFormatError(`model file: not valid JSON (${(e as Error).message})`);
    }
  }
  const fail = (msg: string): never => { throw new MemGuardFormatError(`model file: ${msg}`); };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('top level must be an object');
  const d = doc as Record<string, unknown>;
  if (d.format !== MODEL_FORMAT) fail(`"format" must be "${MODEL_FORMAT}", got ${JSON.stringify(d.format)}`);
  if (d.version !== MODEL_VERSION) {
    fail(`"version" ${JSON.stringify(d.version)} is not supported (this library reads version ${MODEL_VERSION})`);
  }
  if (!Array.isArray(d.layers) || d.layers.length === 0) fail('"layers" must be a non-empty array');
  return (d.layers as unknown[]).map((raw, i) => {
    const where = `layers[${i}]`;
    if (typeof raw !== 'object' || raw === null) fail(`${where} must be an object`);
    const l = raw as Record<string, unknown>;
    for (const key of ['in', 'out'] as const) {
      if (!Number.isInteger(l[key]) || (l[key] as number) <= 0) fail(`${where}.${key} must be a positive integer, got ${JSON.stringify(l[key])}`);
    }
    const nIn = l.in as number, nOut = l.out as number;
    if (i > 0) {
      const prevOut = ((d.layers as Array<Record<string, unknown>>)[i - 1]!).out;
      if (nIn !== prevOut) fail(`${where}.in is ${nIn} but layers[${i - 1}].out is ${prevOut}`);
    }
    if (!ACTIVATIONS.includes(l.activation as Activation)) {
      fail(`${where}.activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(l.activation)}`);
    }
    const numbers = (key: 'weight' | 'bias', size: number, shape: string): Float32Array => {
      const v = l[key];
      if (!Array.isArray(v)) fail(`${where}.${key} must be an array`);
      const arr = v as unknown[];
      if (arr.length !== size) fail(`${where}.${key} has ${arr.length} values, expected ${size} (${shape})`);
      const out = new Float32Array(size);
      for (let j = 0; j < size; j++) {
        const x = arr[j];
        if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${where}.${key}[${j}] is ${JSON.stringify(x)} (must be a finite number)`);
        out[j] = x as number;
      }
      return out;
    };
    return {
      in: nIn, out: nOut, activation: l.activation as Activation,
      weight: numbers('weight', nIn * nOut, `in ${nIn} x out ${nOut}`),
      bias: numbers('bias', nOut, `out ${nOut}`),
    };
  });
}

/**
 * Builds a model from model-file JSON (text or parsed).
 *
 * @example
 * const g = loadModel(serializeModel(Mlp.create([30, 8, 1], { head: 'sigmoid', seed: 1 })));
 * console.log(g.inputSize, g.head); // 30 'sigmoid'
 */
export function loadModel(json: string | unknown, engine?: Engine): Mlp {
  return Mlp.fromParameters(parseModel(json), engine);
}
