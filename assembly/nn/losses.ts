// Losses from logits (numerically stable), returning the mean over rows and writing the gradient
// w.r.t. the logits already divided by the row count (so it feeds straight into backprop).
import { sigmoid } from './activations';

@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
@inline function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }

/**
 * Softmax cross-entropy with integer labels (int32, 0..cols-1). Writes dLogits = (softmax - onehot)
 * / rows when dLogits != 0; dLogits may alias logits. Returns the mean loss.
 */
export function softmaxCrossEntropy(rows: i32, cols: i32, logits: usize, labels: usize, dLogits: usize): f64 {
  let total: f64 = 0;
  const scale: f32 = 1 / <f32>rows;
  for (let r = 0; r < rows; r++) {
    const x = logits + (<usize>(r * cols) << 2);
    const label = load<i32>(labels + (<usize>r << 2));
    let m = f(x, 0);
    for (let j = 1; j < cols; j++) m = max(m, f(x, j));
    let sum: f32 = 0;
    for (let j = 0; j < cols; j++) sum += Mathf.exp(f(x, j) - m);
    const logSum = Mathf.log(sum);
    total += <f64>(logSum - (f(x, label) - m));
    if (dLogits) {
      const d = dLogits + (<usize>(r * cols) << 2);
      const inv: f32 = 1 / sum;
      for (let j = 0; j < cols; j++) {
        const p = Mathf.exp(f(x, j) - m) * inv;
        put(d, j, (j == label ? p - 1 : p) * scale);
      }
    }
  }
  return total / <f64>rows;
}

/**
 * Binary cross-entropy from logits with float targets in [0, 1]:
 * max(x, 0) - x t + log(1 + exp(-|x|)). Writes dLogits = (sigmoid(x) - t) / n when dLogits != 0.
 */
export function sigmoidBinaryCrossEntropy(n: i32, logits: usize, targets: usize, dLogits: usize): f64 {
  let total: f64 = 0;
  const scale: f32 = 1 / <f32>n;
  for (let i = 0; i < n; i++) {
    const x = f(logits, i), t = f(targets, i);
    total += <f64>(max(x, 0) - x * t + Mathf.log(1 + Mathf.exp(-Mathf.abs(x))));
    if (dLogits) put(dLogits, i, (sigmoid(x) - t) * scale);
  }
  return total / <f64>n;
}
