// Plain-JS twins of assembly/blas: the test oracle and the benchmark baseline. Same names and
// argument order as the kernels, with Float32Arrays plus element offsets in place of pointers.

// The float64 row accumulator, kept across calls (allocating it per call, or reassigning a module
// `let`, deoptimizes gemm again and again in V8: the baseline measured ~35% slower).
const scratch = { row: new Float64Array(1024) };

/**
 * General matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C, written over
 * `c[cOff..]`. op(A) is m x k (A stored k x m when `transA`), op(B) is k x n (B stored n x k when
 * `transB`). `beta == 0` never reads C, so C may hold garbage (NaN) on entry. Sums accumulate in
 * float64 (JS numbers) per output row and are rounded to float32 once, when stored.
 *
 * @example
 * const c = new Float32Array(4);
 * gemm(0, 0, 2, 2, 1, 1, new Float32Array([1, 2]), 0, 1, new Float32Array([3, 4]), 0, 2, 0, c, 0, 2);
 * // c = [3, 4, 6, 8]
 */
export function gemm(
  transA: number, transB: number, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number,
  b: Float32Array, bOff: number, ldb: number,
  beta: number, c: Float32Array, cOff: number, ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  if (scratch.row.length < n) scratch.row = new Float64Array(n);
  const acc = scratch.row;
  for (let i = 0; i < m; i++) {
    acc.fill(0, 0, n);
    if (k > 0 && alpha !== 0) {
      if (!transB) {
        // i-k-j: the inner loop streams one row of B into the row accumulator.
        for (let p = 0; p < k; p++) {
          const av = transA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!;
          const bRow = bOff + p * ldb;
          for (let j = 0; j < n; j++) acc[j]! += av * b[bRow + j]!;
        }
      } else {
        // B stored n x k: each output is a dot product along contiguous rows of B.
        for (let j = 0; j < n; j++) {
          const bRow = bOff + j * ldb;
          let s = 0;
          if (transA) for (let p = 0; p < k; p++) s += a[aOff + p * lda + i]! * b[bRow + p]!;
          else {
            const aRow = aOff + i * lda;
            for (let p = 0; p < k; p++) s += a[aRow + p]! * b[bRow + p]!;
          }
          acc[j] = s;
        }
      }
    }
    const cRow = cOff + i * ldc;
    if (beta === 0) for (let j = 0; j < n; j++) c[cRow + j] = alpha * acc[j]!;
    else for (let j = 0; j < n; j++) c[cRow + j] = alpha * acc[j]! + beta * c[cRow + j]!;
  }
}
