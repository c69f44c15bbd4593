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

/**
 * Softmax cross-entropy against a target distribution per row (soft labels: label smoothing,
 * distillation): -sum_j t_j log softmax(x)_j. Writes dLogits = (softmax * sum(t) - t) / rows when
 * dLogits != 0 (sum(t) is 1 for a distribution; kept so the gradient is exact for any targets);
 * dLogits may alias logits. Returns the mean loss.
 */
export function softmaxCrossEntropySoft(rows: i32, cols: i32, logits: usize, targets: usize, dLogits: usize): f64 {
  let total: f64 = 0;
  const scale: f32 = 1 / <f32>rows;
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const x = logits + o, t = targets + o;
    let m = f(x, 0);
    for (let j = 1; j < cols; j++) m = max(m, f(x, j));
    let sum: f32 = 0;
    for (let j = 0; j < cols; j++) sum += Mathf.exp(f(x, j) - m);
    const logSum = Mathf.log(sum);
    let rowLoss: f32 = 0, mass: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const tj = f(t, j);
      // A zero target contributes nothing, even where log p underflows to -inf.
      if (tj != 0) rowLoss += tj * (logSum - (f(x, j) - m));
      mass += tj;
    }
    total += <f64>rowLoss;
    if (dLogits) {
      const d = dLogits + o;
      const inv: f32 = 1 / sum;
      for (let j = 0; j < cols; j++) put(d, j, (Mathf.exp(f(x, j) - m) * inv * mass - f(t, j)) * scale);
    }
  }
  return total / <f64>rows;
}

/**
 * Entropy penalty on the softmax of the logits: adds weight * (-H(p)) per row, H(p) = -sum p log p
 * (weight > 0 penalizes confident outputs: the confidence penalty; HAMP's regularizer). ADDS its
 * gradient weight * p_j (log p_j + H) / rows into dLogits (so it composes with a loss already
 * written there) and returns the mean of -weight * H over rows.
 */
export function entropyPenalty(rows: i32, cols: i32, logits: usize, weight: f32, dLogits: usize): f64 {
  let total: f64 = 0;
  const scale: f32 = weight / <f32>rows;
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const x = logits + o, d = dLogits + o;
    let m = f(x, 0);
    for (let j = 1; j < cols; j++) m = max(m, f(x, j));
    let sum: f32 = 0;
    for (let j = 0; j < cols; j++) sum += Mathf.exp(f(x, j) - m);
    const logSum = Mathf.log(sum);
    // log p_j = x_j - m - logSum exactly, so no log(0) where p_j underflows.
    let h: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const logP = f(x, j) - m - logSum;
      h -= Mathf.exp(logP) * logP;
    }
    total -= <f64>(weight * h);
    for (let j = 0; j < cols; j++) {
      const logP = f(x, j) - m - logSum;
      put(d, j, f(d, j) + scale * Mathf.exp(logP) * (logP + h));
    }
  }
  return total / <f64>rows;
}
