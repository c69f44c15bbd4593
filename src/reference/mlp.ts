// Plain-JS twin of assembly/nn/mlp.ts on ordinary Float32Arrays: the oracle for the WASM MLP and
// the baseline its training benchmark is measured against.
import { gemm } from './blas.js';
import { activate, activateBackward, broadcastRow, columnSum, LINEAR, RELU, SIGMOID } from './nn.js';

export interface ReferenceLayer {
  in: number;
  out: number;
  /** 0 linear, 1 relu, 2 sigmoid, 3 softmax (as in assembly/nn/activations.ts). */
  activation: number;
  weight: Float32Array; // [in][out]
  bias: Float32Array;
  /** A hidden layer's inverted-dropout mask (batch x out), as the descriptor's maskPtr. */
  mask?: Float32Array;
}

/** Layer outputs; the last entry holds the pre-activation logits, as in mlpForward. */
export function mlpForward(layers: ReferenceLayer[], batch: number, x: Float32Array): Float32Array[] {
  const acts: Float32Array[] = [];
  let input = x;
  layers.forEach((layer, l) => {
    const out = new Float32Array(batch * layer.out);
    broadcastRow(batch, layer.out, layer.bias, out);
    gemm(0, 0, batch, layer.out, layer.in, 1, input, 0, layer.in, layer.weight, 0, layer.out, 1, out, 0, layer.out);
    if (l < layers.length - 1) {
      activate(layer.activation, batch, layer.out, out);
      if (layer.mask) for (let i = 0; i < out.length; i++) out[i] = out[i]! * layer.mask[i]!;
    }
    acts.push(out);
    input = out;
  });
  return acts;
}

export interface ReferenceGradients {
  weight: Float32Array[];
  bias: Float32Array[];
  input: Float32Array;
}

/** d(hidden output) -> d(pre-activation) in place, through the layer's dropout mask if any. */
export function hiddenBackward(layer: ReferenceLayer, batch: number, y: Float32Array, d: Float32Array): void {
  const mask = layer.mask;
  if (!mask) { activateBackward(layer.activation, batch, layer.out, y, d); return; }
  for (let i = 0; i < batch * layer.out; i++) {
    const m = mask[i]!;
    if (m === 0) { d[i] = 0; continue; }
    const v = Math.fround(y[i]! / m);
    let g = Math.fround(d[i]! * m);
    if (layer.activation === RELU) g = v > 0 ? g : 0;
    else if (layer.activation === SIGMOID) g *= v * (1 - v);
    else if (layer.activation !== LINEAR) throw new Error('dropout on a softmax hidden layer');
    d[i] = g;
  }
}

/** Back-propagates dLogits (batch x out_last) to every parameter and to the input. */
export function mlpBackward(
  layers: ReferenceLayer[], batch: number, x: Float32Array, acts: Float32Array[], dLogits: Float32Array,
): ReferenceGradients {
  const weight: Float32Array[] = [], bias: Float32Array[] = [];
  let d = Float32Array.from(dLogits);
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const input = l === 0 ? x : acts[l - 1]!;
    const gw = new Float32Array(layer.in * layer.out), gb = new Float32Array(layer.out);
    gemm(1, 0, layer.in, layer.out, batch, 1, input, 0, layer.in, d, 0, layer.out, 0, gw, 0, layer.out);
    columnSum(batch, layer.out, d, gb);
    weight[l] = gw;
    bias[l] = gb;
    const dIn = new Float32Array(batch * layer.in);
    gemm(0, 1, batch, layer.in, layer.out, 1, d, 0, layer.out, layer.weight, 0, layer.out, 0, dIn, 0, layer.in);
    if (l > 0) hiddenBackward(layers[l - 1]!, batch, input, dIn);
    d = dIn;
  }
  return { weight, bias, input: d };
}
