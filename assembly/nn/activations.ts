// Elementwise activations and their backward passes. Backward functions take the activation's
// OUTPUT y (what the MLP keeps) and may run in place (dx == dy).

export const LINEAR: i32 = 0;
export const RELU: i32 = 1;
export const SIGMOID: i32 = 2;
export const SOFTMAX: i32 = 3;
export const TANH: i32 = 4;

@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
@inline function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }

/** y = max(x, 0); y may alias x. */
export function reluForward(n: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.max(v128.load(x + (<usize>i << 2)), zero));
  }
  for (; i < n; i++) put(y, i, max(f(x, i), 0));
}

/** dx = dy where y > 0, else 0; dx may alias dy. */
export function reluBackward(n: i32, y: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
    }
  }
  for (; i < n; i++) put(dx, i, f(y, i) > 0 ? f(dy, i) : 0);
}

/** y = 1 / (1 + exp(-x)), evaluated without overflow for large |x|; y may alias x. */
export function sigmoidForward(n: i32, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) put(y, i, sigmoid(f(x, i)));
}

@inline export function sigmoid(v: f32): f32 {
  if (v >= 0) return 1 / (1 + Mathf.exp(-v));
  const e = Mathf.exp(v);
  return e / (1 + e);
}

/** dx = dy * y * (1 - y); dx may alias dy. */
export function sigmoidBackward(n: i32, y: usize, dy: usize, dx: usize): void {
  for (let i = 0; i < n; i++) {
    const v = f(y, i);
    put(dx, i, f(dy, i) * v * (1 - v));
  }
}

/** y = tanh(x); y may alias x. */
export function tanhForward(n: i32, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) put(y, i, Mathf.tanh(f(x, i)));
}

/** dx = dy * (1 - y^2); dx may alias dy. */
export function tanhBackward(n: i32, y: usize, dy: usize, dx: usize): void {
  for (let i = 0; i < n; i++) {
    const v = f(y, i);
    put(dx, i, f(dy, i) * (1 - v * v));
  }
}

/** Row-wise softmax, max-shifted for stability, normalized in float64; y may alias x. */
export function softmaxForward(rows: i32, cols: i32, x: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * cols) << 2), yr = y + (<usize>(r * cols) << 2);
    let m = f(xr, 0);
    for (let j = 1; j < cols; j++) m = max(m, f(xr, j));
    // The sum and the division in float64: a float32 running sum drifts by ~k ulps, and at k = 1000
    // the rows then missed design §5's |sum - 1| <= 1e-6 (found by the fuzzer, stress/fuzz.ts).
    let sum: f64 = 0;
    for (let j = 0; j < cols; j++) { const e = Mathf.exp(f(xr, j) - m); put(yr, j, e); sum += <f64>e; }
    for (let j = 0; j < cols; j++) put(yr, j, <f32>(<f64>f(yr, j) / sum));
  }
}

/** Row-wise dx = y * (dy - <dy, y>); dx may alias dy. */
export function softmaxBackward(rows: i32, cols: i32, y: usize, dy: usize, dx: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    let dot: f32 = 0;
    for (let j = 0; j < cols; j++) dot += f(dy + o, j) * f(y + o, j);
    for (let j = 0; j < cols; j++) put(dx + o, j, f(y + o, j) * (f(dy + o, j) - dot));
  }
}

/** Applies activation `act` to rows x cols values in place. */
export function activate(act: i32, rows: i32, cols: i32, x: usize): void {
  if (act == RELU) reluForward(rows * cols, x, x);
  else if (act == SIGMOID) sigmoidForward(rows * cols, x, x);
  else if (act == SOFTMAX) softmaxForward(rows, cols, x, x);
  else if (act == TANH) tanhForward(rows * cols, x, x);
}

/** Turns d(loss)/d(output) into d(loss)/d(pre-activation) in place, given the output y. */
export function activateBackward(act: i32, rows: i32, cols: i32, y: usize, d: usize): void {
  if (act == RELU) reluBackward(rows * cols, y, d, d);
  else if (act == SIGMOID) sigmoidBackward(rows * cols, y, d, d);
  else if (act == SOFTMAX) softmaxBackward(rows, cols, y, d, d);
  else if (act == TANH) tanhBackward(rows * cols, y, d, d);
}
