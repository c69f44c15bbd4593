// General matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C.
// op(A) is m x k (A stored k x m when transA), op(B) is k x n (B stored n x k when transB).
// beta == 0 never reads C, so C may hold garbage (NaN) on entry.
// PLACEHOLDER body: correct but naive; the tiled SIMD kernel replaces it behind the same signature.

@inline function at(p: usize, row: i32, col: i32, ld: i32): f32 {
  return load<f32>(p + ((<usize>row * <usize>ld + <usize>col) << 2));
}

export function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc: f32 = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? at(a, p, i, lda) : at(a, i, p, lda);
        const bv = transB ? at(b, j, p, ldb) : at(b, p, j, ldb);
        acc += av * bv;
      }
      const cp = c + ((<usize>i * <usize>ldc + <usize>j) << 2);
      store<f32>(cp, beta == 0 ? alpha * acc : alpha * acc + beta * load<f32>(cp));
    }
  }
}
