// Plain-JS twin of assembly/nn/privacy.ts, computed the slow, obvious way: one full backward pass
// per example (batch 1), its whole-model norm over the explicit per-example gradient tensors, the
// clipped tensors summed. The oracle the WASM norm trick is tested against.
import { mlpBackward, mlpForward, type ReferenceLayer } from './mlp.js';

export interface ReferenceClipped {
  weight: Float32Array[];
  bias: Float32Array[];
  /** Each example's unclipped whole-model gradient norm. */
  norms: Float64Array;
  /** Each example's clipped gradient, flattened layer by layer (weights then bias), for norm checks. */
  clipped: Float32Array[];
}

export function mlpClippedGradients(
  layers: ReferenceLayer[], batch: number, x: Float32Array, dLogits: Float32Array, lossScale: number, clip: number,
): ReferenceClipped {
  const nIn = layers[0]!.in, out = layers[layers.length - 1]!.out;
  const weight = layers.map((l) => new Float32Array(l.in * l.out)), bias = layers.map((l) => new Float32Array(l.out));
  const norms = new Float64Array(batch), clipped: Float32Array[] = [];
  for (let r = 0; r < batch; r++) {
    const row = layers.map((l) => ({ ...l, mask: l.mask?.slice(r * l.out, (r + 1) * l.out) }));
    const xr = x.slice(r * nIn, (r + 1) * nIn);
    const acts = mlpForward(row, 1, xr);
    const d = dLogits.slice(r * out, (r + 1) * out).map((v) => v * lossScale);
    const g = mlpBackward(row, 1, xr, acts, d);
    const flat = row.flatMap((_, l) => [...g.weight[l]!, ...g.bias[l]!]);
    const norm = Math.sqrt(flat.reduce((s, v) => s + v * v, 0));
    norms[r] = norm;
    const factor = Math.min(1, clip / norm);
    clipped.push(Float32Array.from(flat, (v) => v * factor));
    layers.forEach((_, l) => {
      g.weight[l]!.forEach((v, i) => { weight[l]![i] = weight[l]![i]! + v * factor; });
      g.bias[l]!.forEach((v, i) => { bias[l]![i] = bias[l]![i]! + v * factor; });
    });
  }
  return { weight, bias, norms, clipped };
}
