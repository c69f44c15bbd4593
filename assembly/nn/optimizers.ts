// Parameter updates over one contiguous parameter block (all layers at once). SGD's multiply-adds go
// through madd.ts (fused in the relaxed build); vector body and tail round alike.
import { madd, madd1, nmadd, nmadd1 } from '../blas/madd';

@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
@inline function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }

/**
 * SGD, PyTorch convention: with momentum, v = momentum v + g and w -= lr v; without (momentum 0,
 * velocity may be 0), w -= lr g.
 */
export function sgdStep(n: i32, w: usize, g: usize, velocity: usize, lr: f32, momentum: f32): void {
  let i = 0;
  if (momentum == 0) {
    if (ASC_FEATURE_SIMD) {
      const vlr = f32x4.splat(lr);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(w + o, nmadd(vlr, v128.load(g + o), v128.load(w + o)));
      }
    }
    for (; i < n; i++) put(w, i, nmadd1(lr, f(g, i), f(w, i)));
    return;
  }
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vm = f32x4.splat(momentum);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = madd(vm, v128.load(velocity + o), v128.load(g + o));
      v128.store(velocity + o, v);
      v128.store(w + o, nmadd(vlr, v, v128.load(w + o)));
    }
  }
  for (; i < n; i++) {
    const v = madd1(momentum, f(velocity, i), f(g, i));
    put(velocity, i, v);
    put(w, i, nmadd1(lr, v, f(w, i)));
  }
}

/** Adam (Kingma & Ba) with bias correction; `step` counts from 1. */
export function adamStep(
  n: i32, w: usize, g: usize, m: usize, v: usize, lr: f32, beta1: f32, beta2: f32, eps: f32, step: i32,
): void {
  const c1: f32 = 1 - Mathf.pow(beta1, <f32>step);
  const c2: f32 = 1 - Mathf.pow(beta2, <f32>step);
  for (let i = 0; i < n; i++) {
    const gi = f(g, i);
    const mi = beta1 * f(m, i) + (1 - beta1) * gi;
    const vi = beta2 * f(v, i) + (1 - beta2) * gi * gi;
    put(m, i, mi);
    put(v, i, vi);
    put(w, i, f(w, i) - lr * (mi / c1) / (Mathf.sqrt(vi / c2) + eps));
  }
}
