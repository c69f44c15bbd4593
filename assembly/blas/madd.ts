// Multiply-add, the one place that decides how a product is added onto a running sum.
//
// The relaxed build (--enable simd,relaxed-simd) uses f32x4.relaxed_madd: one instruction, and on a
// CPU with FMA (V8 on x64 with FMA3, arm64) a single rounding of a * b + c. The proposal lets an
// engine compute it either fused or as mul then add, but the same way every time on one machine,
// so within the relaxed build every path still gives bit-identical results for a row whatever its
// batch, as long as every path accumulates through these helpers. Across engines or CPUs the
// relaxed build may differ in the last bits; the simd and scalar builds (mul, then add) agree
// exactly everywhere. WebAssembly has no scalar FMA, so madd1 runs one lane of the vector form:
// scalar tails must round like the vector body or the batch invariance breaks at the ragged edges.

/** c + a * b per lane (fused where the relaxed build's engine fuses). */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** c - a * b per lane (fused where the relaxed build's engine fuses). */
@inline export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/** c + a * b for one float, rounded exactly like a lane of `madd`. */
@inline export function madd1(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return c + a * b;
}

/** c - a * b for one float, rounded exactly like a lane of `nmadd`. */
@inline export function nmadd1(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_nmadd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return c - a * b;
}
