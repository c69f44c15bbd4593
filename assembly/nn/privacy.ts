// DP-SGD's per-example clipping without per-example gradient tensors (design §10). For a fixed
// forward pass backprop is linear in dLogits, row by row, and a dense layer's per-example weight
// gradient is the outer product a_i delta_i, whose norm is ||a_i|| ||delta_i||. So one pass of
// deltas gives every row's whole-model norm, the deltas are rescaled per row by min(1, C / norm),
// and the weight gradients are formed once from the rescaled deltas: the cost of one plain backward.
import { gemm } from '../blas/gemm';
import { actsOffset, field, hiddenBackward } from './mlp';

@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }

@inline function rowSquares(cols: i32, x: usize): f32 {
  let s: f32 = 0;
  for (let j = 0; j < cols; j++) { const v = f(x, j); s += v * v; }
  return s;
}

/**
 * Sum over the batch of per-example gradients, each clipped to L2 norm <= clip over the whole
 * model. dLogits holds the batch-mean loss gradient (as the losses write it); lossScale (the batch
 * size) turns a row into its own example's gradient. Writes (accumulate = 0) or adds (accumulate =
 * 1) the clipped sum into the gradient block, and each row's unclipped norm into norms (batch).
 * deltas: batch * (sum of layer widths) floats.
 */
export function mlpClippedGradients(
  desc: usize, nLayers: i32, batch: i32, x: usize, acts: usize, dLogits: usize,
  lossScale: f32, clip: f32, deltas: usize, norms: usize, accumulate: i32,
): void {
  const last = nLayers - 1;
  const lastOut = field(desc, last, 1);
  const top = deltas + actsOffset(desc, last, batch);
  for (let i = 0; i < batch * lastOut; i++) store<f32>(top + (<usize>i << 2), f(dLogits, i) * lossScale);
  for (let l = last; l > 0; l--) {
    const nIn = field(desc, l, 0), nOut = field(desc, l, 1);
    const d = deltas + actsOffset(desc, l, batch), below = deltas + actsOffset(desc, l - 1, batch);
    gemm(0, 1, batch, nIn, nOut, 1, d, nOut, <usize>field(desc, l, 3), nOut, 0, below, nIn);
    hiddenBackward(desc, l - 1, batch, acts + actsOffset(desc, l - 1, batch), below);
  }
  for (let r = 0; r < batch; r++) {
    let sq: f32 = 0;
    for (let l = 0; l <= last; l++) {
      const nIn = field(desc, l, 0), nOut = field(desc, l, 1);
      const input = l == 0 ? x : acts + actsOffset(desc, l - 1, batch);
      const d = deltas + actsOffset(desc, l, batch) + (<usize>(r * nOut) << 2);
      sq += rowSquares(nOut, d) * (rowSquares(nIn, input + (<usize>(r * nIn) << 2)) + 1);
    }
    const norm = Mathf.sqrt(sq);
    store<f32>(norms + (<usize>r << 2), norm);
    // norm 0 gives clip / 0 = inf and factor 1; clip = inf keeps every row (plain summed SGD).
    const factor = min<f32>(1, clip / norm);
    if (factor < 1) {
      for (let l = 0; l <= last; l++) {
        const nOut = field(desc, l, 1);
        const d = deltas + actsOffset(desc, l, batch) + (<usize>(r * nOut) << 2);
        for (let j = 0; j < nOut; j++) store<f32>(d + (<usize>j << 2), f(d, j) * factor);
      }
    }
  }
  for (let l = 0; l <= last; l++) {
    const nIn = field(desc, l, 0), nOut = field(desc, l, 1);
    const input = l == 0 ? x : acts + actsOffset(desc, l - 1, batch);
    const d = deltas + actsOffset(desc, l, batch);
    const gw = <usize>field(desc, l, 5), gb = <usize>field(desc, l, 6);
    gemm(1, 0, nIn, nOut, batch, 1, input, nIn, d, nOut, accumulate ? 1 : 0, gw, nOut);
    if (!accumulate) memory.fill(gb, 0, <usize>nOut << 2);
    for (let r = 0; r < batch; r++) {
      const dr = d + (<usize>(r * nOut) << 2);
      for (let j = 0; j < nOut; j++) {
        const o = <usize>j << 2;
        store<f32>(gb + o, load<f32>(gb + o) + f(dr, j));
      }
    }
  }
}
