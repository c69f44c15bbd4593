// Plain-JS twins of assembly/nn/{activations,losses,optimizers}.ts and assembly/blas/vector.ts:
// same names and argument order, with Float32Array views in place of pointers. Test oracle and
// benchmark baseline; written as a competent JS programmer would, not deliberately slow.

export const LINEAR = 0, RELU = 1, SIGMOID = 2, SOFTMAX = 3, TANH = 4;

export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function reluForward(n: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < n; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
}

export function reluBackward(n: number, y: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < n; i++) dx[i] = y[i]! > 0 ? dy[i]! : 0;
}

export function sigmoidForward(n: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < n; i++) y[i] = sigmoid(x[i]!);
}

export function sigmoidBackward(n: number, y: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
}

export function tanhForward(n: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
}

export function tanhBackward(n: number, y: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < n; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
}

export function softmaxForward(rows: number, cols: number, x: Float32Array, y: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[o + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) { y[o + j] = Math.exp(x[o + j]! - m); sum += y[o + j]!; }
    for (let j = 0; j < cols; j++) y[o + j] = y[o + j]! / sum;
  }
}

export function softmaxBackward(rows: number, cols: number, y: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j]! * y[o + j]!;
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j]! * (dy[o + j]! - dot);
  }
}

export function activate(act: number, rows: number, cols: number, x: Float32Array): void {
  if (act === RELU) reluForward(rows * cols, x, x);
  else if (act === SIGMOID) sigmoidForward(rows * cols, x, x);
  else if (act === SOFTMAX) softmaxForward(rows, cols, x, x);
  else if (act === TANH) tanhForward(rows * cols, x, x);
}

export function activateBackward(act: number, rows: number, cols: number, y: Float32Array, d: Float32Array): void {
  if (act === RELU) reluBackward(rows * cols, y, d, d);
  else if (act === SIGMOID) sigmoidBackward(rows * cols, y, d, d);
  else if (act === SOFTMAX) softmaxBackward(rows, cols, y, d, d);
  else if (act === TANH) tanhBackward(rows * cols, y, d, d);
}

/** A row's largest logit m and sum of exp(logit - m): the stable log-sum-exp is m + log(sum). */
function shiftedExpSum(logits: Float32Array, o: number, cols: number): { m: number; sum: number } {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) m = Math.max(m, logits[o + j]!);
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(logits[o + j]! - m);
  return { m, sum };
}

export function softmaxCrossEntropy(
  rows: number, cols: number, logits: Float32Array, labels: Int32Array, dLogits: Float32Array | null,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols, label = labels[r]!;
    const { m, sum } = shiftedExpSum(logits, o, cols);
    total += Math.log(sum) - (logits[o + label]! - m);
    if (dLogits) {
      for (let j = 0; j < cols; j++) {
        const p = Math.exp(logits[o + j]! - m) / sum;
        dLogits[o + j] = (j === label ? p - 1 : p) / rows;
      }
    }
  }
  return total / rows;
}

export function sigmoidBinaryCrossEntropy(
  n: number, logits: Float32Array, targets: Float32Array, dLogits: Float32Array | null,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = logits[i]!, t = targets[i]!;
    total += Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    if (dLogits) dLogits[i] = (sigmoid(x) - t) / n;
  }
  return total / n;
}

export function sgdStep(
  n: number, w: Float32Array, g: Float32Array, velocity: Float32Array | null, lr: number, momentum: number,
): void {
  if (momentum === 0 || !velocity) {
    for (let i = 0; i < n; i++) w[i] = w[i]! - lr * g[i]!;
    return;
  }
  for (let i = 0; i < n; i++) {
    velocity[i] = momentum * velocity[i]! + g[i]!;
    w[i] = w[i]! - lr * velocity[i]!;
  }
}

export function adamStep(
  n: number, w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  lr: number, beta1: number, beta2: number, eps: number, step: number,
): void {
  const c1 = 1 - beta1 ** step, c2 = 1 - beta2 ** step;
  for (let i = 0; i < n; i++) {
    m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
    v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
    w[i] = w[i]! - lr * (m[i]! / c1) / (Math.sqrt(v[i]! / c2) + eps);
  }
}

export function broadcastRow(rows: number, cols: number, bias: Float32Array, y: Float32Array): void {
  for (let r = 0; r < rows; r++) y.set(bias.subarray(0, cols), r * cols);
}

export function columnSum(rows: number, cols: number, x: Float32Array, out: Float32Array): void {
  out.fill(0, 0, cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j] = out[j]! + x[r * cols + j]!;
}

export function softmaxCrossEntropySoft(
  rows: number, cols: number, logits: Float32Array, targets: Float32Array, dLogits: Float32Array | null,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const { m, sum } = shiftedExpSum(logits, o, cols);
    let mass = 0;
    for (let j = 0; j < cols; j++) {
      const t = targets[o + j]!;
      if (t !== 0) total += t * (Math.log(sum) - (logits[o + j]! - m));
      mass += t;
    }
    if (dLogits) for (let j = 0; j < cols; j++) dLogits[o + j] = ((Math.exp(logits[o + j]! - m) / sum) * mass - targets[o + j]!) / rows;
  }
  return total / rows;
}

export function entropyPenalty(rows: number, cols: number, logits: Float32Array, weight: number, dLogits: Float32Array): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const { m, sum } = shiftedExpSum(logits, o, cols);
    const logP = Array.from({ length: cols }, (_, j) => logits[o + j]! - m - Math.log(sum));
    const h = -logP.reduce((s, l) => s + Math.exp(l) * l, 0);
    total -= weight * h;
    for (let j = 0; j < cols; j++) dLogits[o + j] = dLogits[o + j]! + (weight / rows) * Math.exp(logP[j]!) * (logP[j]! + h);
  }
  return total / rows;
}
