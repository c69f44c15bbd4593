// Mlp -> ONNX: one Gemm per layer (weights [in][out] as stored, so transB = 0) and one node per
// activation, float32 weights in raw_data, at opset 13 / IR version 7 so that every ONNX Runtime of
// the last years and every onnx checker from 1.8 on take it.
import { create, toBinary } from '@bufbuild/protobuf';
import { check } from '../errors.js';
import type { Activation, Mlp } from '../nn/mlp.js';
import { DataType, ModelProtoSchema } from './schema.js';

/**
 * The opset and IR version `toOnnx` writes.
 *
 * @example
 * console.log(ONNX_EXPORT.opset, ONNX_EXPORT.irVersion); // 13 7
 */
export const ONNX_EXPORT = { opset: 13, irVersion: 7 } as const;

/**
 * Options of `toOnnx`.
 *
 * @example
 * const options: ToOnnxOptions = { head: false, outputName: 'logits' }; // a graph that returns logits
 */
export interface ToOnnxOptions {
  /** Apply the last layer's activation (default true: the graph computes `predict`; false: `logits`). */
  head?: boolean;
  /** Name of the graph input (default "input"). */
  inputName?: string;
  /** Name of the graph output (default "output"). */
  outputName?: string;
}

const OP: Record<Exclude<Activation, 'linear'>, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' };

/**
 * Writes an `Mlp` as an ONNX model (the bytes of a `.onnx` file) whose output equals `mlp.predict`
 * (or `mlp.logits` with `head: false`) on a [batch, inputSize] float32 input.
 *
 * @example
 * import { Mlp } from 'memguard';
 * import { loadOnnx, toOnnx } from 'memguard/onnx';
 * const bytes = toOnnx(Mlp.create([4, 8, 3], { seed: 1 }));  // Uint8Array; write it to model.onnx
 * console.log(loadOnnx(bytes).outputSize);                   // 3
 */
export function toOnnx(mlp: Mlp, options: ToOnnxOptions = {}): Uint8Array {
  const inputName = options.inputName ?? 'input', outputName = options.outputName ?? 'output';
  check(inputName !== '' && outputName !== '' && inputName !== outputName,
    () => `toOnnx: inputName and outputName must be two different non-empty names, got "${inputName}" and "${outputName}"`);
  const layers = mlp.parameters();
  const nodes: object[] = [], initializer: object[] = [];
  let current = inputName;
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
    const activation = last && options.head === false ? 'linear' : l.activation;
    const weight = `layer${i}.weight`, bias = `layer${i}.bias`;
    initializer.push(tensor(weight, [l.in, l.out], l.weight), tensor(bias, [l.out], l.bias));
    const linearOut = last && activation === 'linear' ? outputName : `layer${i}.linear`;
    nodes.push({ name: `layer${i}.gemm`, opType: 'Gemm', input: [current, weight, bias], output: [linearOut] });
    current = linearOut;
    if (activation !== 'linear') {
      const out = last ? outputName : `layer${i}.${activation}`;
      nodes.push({
        name: `layer${i}.${activation}`, opType: OP[activation], input: [current], output: [out],
        // Softmax over the features, stated rather than left to the opset's default.
        attribute: activation === 'softmax' ? [{ name: 'axis', type: 2, i: 1n }] : [],
      });
      current = out;
    }
  });
  const valueInfo = (name: string, width: number) => ({
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: BigInt(width) }] } } },
  });
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(ONNX_EXPORT.irVersion),
    opsetImport: [{ domain: '', version: BigInt(ONNX_EXPORT.opset) }],
    producerName: 'memguard',
    graph: {
      name: 'memguard_mlp', node: nodes, initializer,
      input: [valueInfo(inputName, mlp.inputSize)], output: [valueInfo(outputName, mlp.outputSize)],
    },
  } as never);
  return toBinary(ModelProtoSchema, model);
}

function tensor(name: string, dims: number[], values: Float32Array): object {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true); // ONNX raw_data is little-endian
  return { name, dims: dims.map(BigInt), dataType: DataType.FLOAT, rawData: raw };
}
