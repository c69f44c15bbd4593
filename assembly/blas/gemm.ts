// General matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C.
// op(A) is m x k (A stored k x m when transA), op(B) is k x n (B stored n x k when transB).
// beta == 0 never reads C, so C may hold garbage (NaN) on entry.
//
// Layout (GotoBLAS/BLIS style, one core): op(B) is cut into KC x NC blocks packed into a static
// panel as NR-column strips; op(A) into MC x KC blocks packed as MR-row strips. Both are zero-padded
// to whole strips, so ragged edges (any m, n) cost nothing in the inner loop: a partial tile computes
// on zeros and only its valid corner is written back (through a small static tile). Packing absorbs
// all four trans combinations, so the register tile (4 x 8; 6 x 8 in the relaxed build, 4 x 8 for
// its last strip of a block when that has at most 4 rows) only ever reads contiguous memory. In the
// SIMD build each A value is packed already splatted to a v128, which keeps the inner loop at plain
// loads, 8 multiplies and 8 adds per depth step. A few rows (inference on a few samples) skip
// packing: NN/TN below 8 rows stream B row by row, NT below 4 rows takes dot products (TT, rare,
// stays on the packed path); a single output column is computed as its transpose, a single row.
// A mostly-zero op(A) (at most 1/5 nonzero: the binary Location features of a first layer, forward
// and weight gradient) skips packing too and adds only the rows of B its nonzeros select (sparseRows).
// No heap allocation: the panels are static (memory.data), so the signature stays pointer-only.
//
// One arithmetic order on every path: each entry is summed depth after depth (madd.ts: mul then
// add in the simd and scalar builds, relaxed_madd in the relaxed build; no reassociation) within blocks of KC depths, and block b is folded in as c = alpha*sum + beta*c
// (b = 0; c is not read when beta == 0), then c = c + alpha*sum. So a row of C is bit for bit the
// same whatever batch (m) it is computed in (within each build), and the SIMD and scalar builds
// agree exactly; the defense relies on the first (a query's answer must not depend on its batch).
// The relaxed build differs from them in the last bits (fused rounding) but is batch-invariant too.
//
// Measured on one core of the AMD EPYC machines, Node 20: 27-33 GFLOP/s at batch 64 on the large model
// layers in all three backprop layouts, ~7 GFLOP/s for the scalar build. Node 22: SIMD ~37, relaxed
// ~50 GFLOP/s (1.3-1.5x; with the SIMD build's 4 x 8 tile it was ~47, 1.25-1.29x: 8 accumulators
// are exactly the 2 pipes x 4 cycles of FMA latency, so any stall idled a pipe). The core peaks at
// ~57 GFLOP/s of 128-bit FMAs. The sparse path: ~3x the dense tiles on the first layer at
// Location's 12 % density (BENCHMARKS.md).

import { madd, madd1 } from './madd';

// The relaxed build's 6 x 8 tile keeps 12 accumulators in flight, enough to cover the FMA latency
// on both pipes; the SIMD build's multiply and add need a temporary, which leaves room for 8 only.
const MR = ASC_FEATURE_RELAXED_SIMD ? 6 : 4; // rows of a register tile (one splatted A value each)
const NR = 8; // columns of a register tile (two v128)
const KC = 256; // depth of a block: an MR x KC and a KC x NR strip stay in L1
const MC = ASC_FEATURE_RELAXED_SIMD ? 66 : 64; // rows of a packed A block (64 KiB compact, 256 KiB splatted: L2)
const NC = 256; // columns of a packed B block (KC x NC, 256 KiB, L2)

const SMALL_M = 8; // NN/TN with fewer rows than two register tiles: no packing (streamRows)
const SMALL_M_NT = 4; // NT with fewer rows than one register tile: no packing (dotRows)
const JB = NC; // columns per pass of streamRows: 4 rows of B (4 KiB) stay in L1 across the rows of C

// The SIMD build packs A pre-splatted when a block has at least SPLAT_MIN_N columns. The relaxed
// build never does: its tile loads A with load32_splat (a plain broadcast load), and the compact
// panel measured faster there.
const SPLAT_A = ASC_FEATURE_SIMD && !ASC_FEATURE_RELAXED_SIMD;
const SPLAT_MIN_N = 64;
const SPARSE_MIN_N = 32; // sparseRows needs columns enough to amortize finding a row's nonzeros
const SPARSE_MAX_DENSITY_INV = 5; // ... and op(A) at most 1/5 nonzero (Location's features: 12 %)

const packA: usize = memory.data(MC * KC * (SPLAT_A ? 16 : 4), 64);
const packB: usize = memory.data(KC * NC * 4, 64);
const streamAcc: usize = memory.data(SMALL_M * JB * 4, 64); // streamRows' per-block sums
const edgeTile: usize = memory.data(MR * NR * 4, 64);
const sparseIndex: usize = memory.data(KC * 4, 64); // sparseRows: a row's nonzero depths in a block
const sparseValue: usize = memory.data(KC * 4, 64); // ... and their values

export function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    scaleC(m, n, beta, c, ldc);
    return;
  }
  if (n == 1 && ldc == 1 && (transB || ldb == 1) && m >= SMALL_M) {
    // One output column (a 1-unit layer), C and op(B) contiguous: C^T = op(B)^T op(A)^T is a single
    // row, which the few-rows paths handle without packing a 1-column panel padded to 8. (m >= 8
    // keeps the swapped call, m' = 1, from coming back here.)
    gemm(0, transA ? 0 : 1, 1, m, k, alpha, b, k, a, lda, beta, c, m);
    return;
  }
  if (!transB && n >= SPARSE_MIN_N && mostlyZero(transA, m, k, a, lda)) {
    sparseRows(transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (m < SMALL_M && !transB) {
    streamRows(transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (m < SMALL_M_NT && !transA) {
    dotRows(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      // op(B)[pc.., jc..] is stored at B[pc][jc] (plain) or B[jc][pc] (transposed).
      if (transB) packBTransposed(b + ((<usize>jc * ldb + pc) << 2), ldb, kc, nc);
      else packBRows(b + ((<usize>pc * ldb + jc) << 2), ldb, kc, nc);
      const betaBlock: f32 = pc == 0 ? beta : 1; // later depth blocks accumulate
      // Splatting A costs 4x the packing stores; it pays off once each A strip meets enough B strips.
      const splat = SPLAT_A && nc >= SPLAT_MIN_N;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        // op(A)[ic.., pc..] is stored at A[ic][pc] (plain) or A[pc][ic] (transposed).
        const a0 = transA ? a + ((<usize>pc * lda + ic) << 2) : a + ((<usize>ic * lda + pc) << 2);
        const ldaBytes = <usize>lda << 2;
        packAStrips(a0, transA ? 4 : ldaBytes, transA ? ldaBytes : 4, mc, kc, splat);
        macroKernel(kc, mc, nc, alpha, betaBlock, c + ((<usize>ic * ldc + jc) << 2), ldc, splat);
      }
    }
  }
}

// C = beta * C (beta == 0 writes zeros without reading): the k == 0 or alpha == 0 case.
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: i32): void {
  if (beta == 1) return;
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * ldc) << 2);
    for (let j = 0; j < n; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
    }
  }
}

// C = alpha * op(A) * B + beta * C for m < 8 rows with B not transposed (inference on a few rows):
// i-k-j order, 4 depths at a time, over column blocks of JB so the 4 rows of B being read stay in
// L1 across the rows of C; B is read once, straight through, with no packing. Each depth block's
// sums go to a static scratch row and are folded into C exactly as the register tile does.
function streamRows(transA: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32): void {
  const rowB = <usize>ldb << 2;
  const stepP: usize = transA ? <usize>lda << 2 : 4; // between depths of one row of op(A)
  const stepI: usize = transA ? 4 : <usize>lda << 2; // between rows of op(A)
  for (let jb = 0; jb < n; jb += JB) {
    const nb = min(JB, n - jb);
    for (let pc = 0; pc < k; pc += KC) {
      const pe = min(k, pc + KC);
      memory.fill(streamAcc, 0, <usize>m * JB * 4);
      for (let p = pc; p < pe; p += 4) {
        const np = min(4, pe - p);
        const b0 = b + ((<usize>p * ldb + jb) << 2);
        for (let i = 0; i < m; i++) {
          const ap = a + <usize>i * stepI + <usize>p * stepP;
          const acc = streamAcc + <usize>i * JB * 4;
          if (np == 4) {
            axpy4(nb, load<f32>(ap), load<f32>(ap + stepP), load<f32>(ap + 2 * stepP), load<f32>(ap + 3 * stepP),
              b0, b0 + rowB, b0 + 2 * rowB, b0 + 3 * rowB, acc);
          } else {
            for (let q = 0; q < np; q++) axpy1(nb, load<f32>(ap + <usize>q * stepP), b0 + <usize>q * rowB, acc);
          }
        }
      }
      const betaBlock: f32 = pc == 0 ? beta : 1;
      for (let i = 0; i < m; i++) foldRow(nb, streamAcc + <usize>i * JB * 4, alpha, betaBlock, c + ((<usize>i * ldc + jb) << 2));
    }
  }
}

// True when op(A) (m x k) has at most 1 / SPARSE_MAX_DENSITY_INV nonzero entries: one pass over A
// (m k loads, against the m n k multiply-adds it may save), stopping as soon as the answer is no.
function mostlyZero(transA: i32, m: i32, k: i32, a: usize, lda: i32): bool {
  const rows = transA ? k : m, cols = transA ? m : k;
  const limit = (<i64>m * k) / SPARSE_MAX_DENSITY_INV;
  let nonzero: i64 = 0;
  for (let r = 0; r < rows; r++) {
    const row = a + ((<usize>r * lda) << 2);
    for (let j = 0; j < cols; j++) nonzero += i64(load<f32>(row + (<usize>j << 2)) != 0);
    if (nonzero > limit) return false;
  }
  return true;
}

// C = alpha * op(A) * B + beta * C for a mostly-zero op(A) (binary features, one-hot rows): row by
// row, each depth block's nonzero depths are listed first and only their rows of B are added, four
// at a time, in depth order. Skipping a zero term is exact (acc + 0 * b = acc, and acc, which
// starts at +0, is never -0), so a row comes out bit for bit as on the dense paths and its batch
// may take either path; the one difference is a non-finite B entry met by a zero (0 * inf = NaN on
// the dense paths), which the MLP never has (training stops on a non-finite loss).
function sparseRows(transA: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32): void {
  const rowB = <usize>ldb << 2;
  const stepP: usize = transA ? <usize>lda << 2 : 4;
  const stepI: usize = transA ? 4 : <usize>lda << 2;
  for (let i = 0; i < m; i++) {
    const ai = a + <usize>i * stepI;
    for (let pc = 0; pc < k; pc += KC) {
      const pe = min(k, pc + KC);
      let count = 0;
      for (let p = pc; p < pe; p++) {
        const v = load<f32>(ai + <usize>p * stepP);
        if (v != 0) {
          store<i32>(sparseIndex + (<usize>count << 2), p);
          store<f32>(sparseValue + (<usize>count << 2), v);
          count++;
        }
      }
      const betaBlock: f32 = pc == 0 ? beta : 1;
      for (let jb = 0; jb < n; jb += JB) {
        const nb = min(JB, n - jb);
        const bj = b + (<usize>jb << 2);
        memory.fill(streamAcc, 0, <usize>nb << 2);
        let q = 0;
        for (; q + 4 <= count; q += 4) {
          const iq = sparseIndex + (<usize>q << 2), vq = sparseValue + (<usize>q << 2);
          axpy4(nb, load<f32>(vq), load<f32>(vq, 4), load<f32>(vq, 8), load<f32>(vq, 12),
            bj + <usize>load<i32>(iq) * rowB, bj + <usize>load<i32>(iq, 4) * rowB,
            bj + <usize>load<i32>(iq, 8) * rowB, bj + <usize>load<i32>(iq, 12) * rowB, streamAcc);
        }
        for (; q < count; q++) {
          axpy1(nb, load<f32>(sparseValue + (<usize>q << 2)), bj + <usize>load<i32>(sparseIndex + (<usize>q << 2)) * rowB, streamAcc);
        }
        foldRow(nb, streamAcc, alpha, betaBlock, c + ((<usize>i * ldc + jb) << 2));
      }
    }
  }
}

// C = alpha * A * B^T + beta * C for m < 4 rows with A not transposed: dot products of contiguous
// rows (A row i, B row j), each summed depth after depth. The SIMD build takes 8 (then 4) B rows at
// a time, transposing 4 x 4 blocks on the fly so that a lane holds one entry of C (a horizontal sum
// would be faster but would change the order of the additions); the scalar build runs 4 entries
// side by side. About 9 GFLOP/s: from 4 rows on, the packed tiles win despite packing B.
function dotRows(m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32): void {
  const rowB = <usize>ldb << 2;
  for (let i = 0; i < m; i++) {
    const ar = a + ((<usize>i * lda) << 2);
    const cr = c + ((<usize>i * ldc) << 2);
    let j = 0;
    for (let pc = 0; pc < k; pc += KC) {
      const pe = min(k, pc + KC);
      const betaBlock: f32 = pc == 0 ? beta : 1;
      j = 0;
      if (ASC_FEATURE_SIMD) {
        for (; j + 8 <= n; j += 8) {
          const bj = b + <usize>j * rowB;
          let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
          let p = pc;
          for (; p + 4 <= pe; p += 4) {
            const o = <usize>p << 2;
            const a0 = v128.load32_splat(ar + o), a1 = v128.load32_splat(ar + o, 4);
            const a2 = v128.load32_splat(ar + o, 8), a3 = v128.load32_splat(ar + o, 12);
            acc0 = dot4x4(acc0, bj + o, rowB, a0, a1, a2, a3);
            acc1 = dot4x4(acc1, bj + 4 * rowB + o, rowB, a0, a1, a2, a3);
          }
          for (; p < pe; p++) {
            const o = <usize>p << 2;
            const av = v128.load32_splat(ar + o);
            acc0 = madd(av, column4(bj + o, rowB), acc0);
            acc1 = madd(av, column4(bj + 4 * rowB + o, rowB), acc1);
          }
          const cp = cr + (<usize>j << 2);
          fold4(cp, acc0, alpha, betaBlock);
          fold4(cp + 16, acc1, alpha, betaBlock);
        }
        for (; j + 4 <= n; j += 4) {
          const bj = b + <usize>j * rowB;
          let acc = f32x4.splat(0);
          let p = pc;
          for (; p + 4 <= pe; p += 4) {
            const o = <usize>p << 2;
            acc = dot4x4(acc, bj + o, rowB, v128.load32_splat(ar + o), v128.load32_splat(ar + o, 4),
              v128.load32_splat(ar + o, 8), v128.load32_splat(ar + o, 12));
          }
          for (; p < pe; p++) {
            const o = <usize>p << 2;
            acc = madd(v128.load32_splat(ar + o), column4(bj + o, rowB), acc);
          }
          fold4(cr + (<usize>j << 2), acc, alpha, betaBlock);
        }
      } else {
        for (; j + 4 <= n; j += 4) {
          const b0 = b + <usize>j * rowB, b1 = b0 + rowB, b2 = b1 + rowB, b3 = b2 + rowB;
          let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
          for (let p = pc; p < pe; p++) {
            const o = <usize>p << 2;
            const av = load<f32>(ar + o);
            s0 = madd1(av, load<f32>(b0 + o), s0);
            s1 = madd1(av, load<f32>(b1 + o), s1);
            s2 = madd1(av, load<f32>(b2 + o), s2);
            s3 = madd1(av, load<f32>(b3 + o), s3);
          }
          const cp = cr + (<usize>j << 2);
          fold1(cp, s0, alpha, betaBlock);
          fold1(cp + 4, s1, alpha, betaBlock);
          fold1(cp + 8, s2, alpha, betaBlock);
          fold1(cp + 12, s3, alpha, betaBlock);
        }
      }
      for (; j < n; j++) {
        const br = b + <usize>j * rowB;
        let s0: f32 = 0;
        for (let p = pc; p < pe; p++) s0 = madd1(load<f32>(ar + (<usize>p << 2)), load<f32>(br + (<usize>p << 2)), s0);
        fold1(cr + (<usize>j << 2), s0, alpha, betaBlock);
      }
    }
  }
}

// acc + the 4 depths at r (4 rows of B, rowB apart) times the splatted A values, one depth after
// another: the 4 x 4 block is transposed so lane q holds row q.
@inline function dot4x4(acc: v128, r: usize, rowB: usize, a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const r0 = v128.load(r), r1 = v128.load(r + rowB), r2 = v128.load(r + 2 * rowB), r3 = v128.load(r + 3 * rowB);
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  acc = madd(a0, f32x4.shuffle(t0, t2, 0, 1, 4, 5), acc);
  acc = madd(a1, f32x4.shuffle(t0, t2, 2, 3, 6, 7), acc);
  acc = madd(a2, f32x4.shuffle(t1, t3, 0, 1, 4, 5), acc);
  return madd(a3, f32x4.shuffle(t1, t3, 2, 3, 6, 7), acc);
}

// The values at r, r + rowB, r + 2 rowB, r + 3 rowB as one vector.
@inline function column4(r: usize, rowB: usize): v128 {
  let v = f32x4.splat(load<f32>(r));
  v = f32x4.replace_lane(v, 1, load<f32>(r + rowB));
  v = f32x4.replace_lane(v, 2, load<f32>(r + 2 * rowB));
  return f32x4.replace_lane(v, 3, load<f32>(r + 3 * rowB));
}

// 4 consecutive entries of C: c = alpha * acc + beta * c (beta == 0: c is not read).
@inline function fold4(c: usize, acc: v128, alpha: f32, beta: f32): void {
  const v = f32x4.mul(acc, f32x4.splat(alpha));
  v128.store(c, beta == 0 ? v : f32x4.add(v, f32x4.mul(v128.load(c), f32x4.splat(beta))));
}

// One entry of C: c = alpha * acc + beta * c (beta == 0: c is not read).
@inline function fold1(c: usize, acc: f32, alpha: f32, beta: f32): void {
  const v = alpha * acc;
  store<f32>(c, beta == 0 ? v : v + beta * load<f32>(c));
}

// c[0..n) = alpha * acc + beta * c (beta == 0: c is not read), the register tile's write-back.
function foldRow(n: i32, acc: usize, alpha: f32, beta: f32, c: usize): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const v = f32x4.mul(v128.load(acc + o), va);
      v128.store(c + o, beta == 0 ? v : f32x4.add(v, f32x4.mul(v128.load(c + o), vb)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const v = alpha * load<f32>(acc + o);
    store<f32>(c + o, beta == 0 ? v : v + beta * load<f32>(c + o));
  }
}

// y[0..n) += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3 (four rows), added in that order.
function axpy4(n: i32, a0: f32, a1: f32, a2: f32, a3: f32, x: usize, x1: usize, x2: usize, x3: usize, y: usize): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const v0 = f32x4.splat(a0), v1 = f32x4.splat(a1), v2 = f32x4.splat(a2), v3 = f32x4.splat(a3);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      let acc = madd(v0, v128.load(x + o), v128.load(y + o));
      acc = madd(v1, v128.load(x1 + o), acc);
      acc = madd(v2, v128.load(x2 + o), acc);
      acc = madd(v3, v128.load(x3 + o), acc);
      v128.store(y + o, acc);
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    let acc = madd1(a0, load<f32>(x + o), load<f32>(y + o));
    acc = madd1(a1, load<f32>(x1 + o), acc);
    acc = madd1(a2, load<f32>(x2 + o), acc);
    store<f32>(y + o, madd1(a3, load<f32>(x3 + o), acc));
  }
}

// y[0..n) += a * x[0..n).
function axpy1(n: i32, a: f32, x: usize, y: usize): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const v = f32x4.splat(a);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, madd(v, v128.load(x + o), v128.load(y + o)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(y + o, madd1(a, load<f32>(x + o), load<f32>(y + o)));
  }
}

// Reads a 4 x 4 block (4 rows of 4 floats, `srcStride` bytes apart) and writes its transpose as 4
// rows `dstStride` bytes apart: the packing step of both A strips and transposed B strips.
@inline function transpose4x4(src: usize, srcStride: usize, dst: usize, dstStride: usize): void {
  const x0 = v128.load(src);
  const x1 = v128.load(src + srcStride);
  const x2 = v128.load(src + 2 * srcStride);
  const x3 = v128.load(src + 3 * srcStride);
  const t0 = f32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = f32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t2 = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstStride, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStride, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStride, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

// Rows in the packed layout of a strip with `valid` rows: MR, but 4 for a last strip of at most 4
// rows in the relaxed build (its 6-row tile would compute on 2 or more rows of zeros; the 4-row tile
// adds in the same order, so a row's result does not depend on the tile it lands in).
@inline function stripRows(valid: i32): i32 {
  return MR == 6 && valid <= 4 ? 4 : MR;
}

// Packs the mc x kc block of op(A) whose value (i, p) sits at a + i * stepI + p * stepP into MR-row
// strips: strip t holds, for each p, the values of rows MR t.. MR t + MR - 1 (zero past mc; a
// 4-row strip at the end when stripRows says so, still starting at strip t's offset). With `splat`
// (SIMD build only) each value is stored splatted to 4 lanes, so the micro-kernel needs no splat.
// One of the steps is 4 bytes: A rows are contiguous along p (plain A) or along i (transposed A).
function packAStrips(a: usize, stepI: usize, stepP: usize, mc: i32, kc: i32, splat: bool): void {
  const strip = <usize>kc * MR * (splat ? 16 : 4);
  for (let t = 0; t < mc; t += MR) {
    const valid = min(MR, mc - t);
    const rows = stripRows(valid);
    const r0 = a + <usize>t * stepI;
    const d0 = packA + <usize>(t / MR) * strip;
    let p = 0;
    if (ASC_FEATURE_SIMD && valid == rows) {
      if (splat) { // 4-row strips only (SPLAT_A)
        for (; p < kc; p++) {
          const src = r0 + <usize>p * stepP;
          const d = d0 + (<usize>p << 6);
          v128.store(d, v128.load32_splat(src));
          v128.store(d, v128.load32_splat(src + stepI), 16);
          v128.store(d, v128.load32_splat(src + 2 * stepI), 32);
          v128.store(d, v128.load32_splat(src + 3 * stepI), 48);
        }
      } else if (stepI == 4) {
        // the rows of one depth are contiguous: one vector copy per depth (and a pair for 6 rows)
        for (; p < kc; p++) {
          const src = r0 + <usize>p * stepP, d = d0 + <usize>p * rows * 4;
          v128.store(d, v128.load(src));
          if (rows == 6) store<i64>(d, load<i64>(src, 16), 16);
        }
      } else {
        // 4 rows x 4 depths -> 4 packed depths of 4 lanes (then rows 4 and 5 one value at a time)
        for (; p + 4 <= kc; p += 4) {
          const r = r0 + (<usize>p << 2);
          const d = d0 + <usize>p * rows * 4;
          transpose4x4(r, stepI, d, <usize>rows * 4);
          if (rows == 6) {
            for (let q: usize = 0; q < 4; q++) {
              store<f32>(d + q * 24, load<f32>(r + 4 * stepI + (q << 2)), 16);
              store<f32>(d + q * 24, load<f32>(r + 5 * stepI + (q << 2)), 20);
            }
          }
        }
      }
    }
    // Partial strips, the depth tail, and the scalar build: one value at a time.
    for (; p < kc; p++) {
      let src = r0 + <usize>p * stepP;
      if (SPLAT_A && splat) {
        let d = d0 + (<usize>p << 6);
        for (let r = 0; r < valid; r++) {
          v128.store(d, v128.load32_splat(src));
          d += 16;
          src += stepI;
        }
        for (let r = valid; r < rows; r++) {
          v128.store(d, f32x4.splat(0));
          d += 16;
        }
      } else {
        let d = d0 + <usize>p * rows * 4;
        for (let r = 0; r < valid; r++) {
          store<f32>(d, load<f32>(src));
          d += 4;
          src += stepI;
        }
        for (let r = valid; r < rows; r++) {
          store<f32>(d, 0);
          d += 4;
        }
      }
    }
  }
}

// Packs the kc x nc block of B whose rows are contiguous (row p at b + p * ld) into NR-column
// strips: strip s holds, for each p, NR consecutive floats (zero past nc). Works through 8 source
// rows at a time across all strips, so both the reads (8 row streams) and the writes (256 contiguous
// bytes per strip) stay sequential whatever ld is (a power-of-two ld would make a strip-by-strip
// walk thrash one cache set).
function packBRows(b: usize, ld: i32, kc: i32, nc: i32): void {
  const rowBytes = <usize>ld << 2;
  for (let p0 = 0; p0 < kc; p0 += 8) {
    const p1 = min(kc, p0 + 8);
    for (let s = 0; s < nc; s += NR) {
      const valid = min(NR, nc - s);
      let d = packB + ((<usize>s * kc + <usize>p0 * NR) << 2);
      let row = b + <usize>p0 * rowBytes + (<usize>s << 2);
      if (ASC_FEATURE_SIMD && valid == NR) {
        for (let p = p0; p < p1; p++) {
          v128.store(d, v128.load(row));
          v128.store(d, v128.load(row, 16), 16);
          d += NR * 4;
          row += rowBytes;
        }
      } else {
        for (let p = p0; p < p1; p++) {
          for (let q = 0; q < valid; q++) store<f32>(d + (<usize>q << 2), load<f32>(row + (<usize>q << 2)));
          for (let q = valid; q < NR; q++) store<f32>(d + (<usize>q << 2), 0);
          d += NR * 4;
          row += rowBytes;
        }
      }
    }
  }
}

// Packs the transpose of the nc x kc block of B (row j at b + j * ld, contiguous along k) into the
// same strip layout as packBRows. The SIMD build moves whole strips as 4 x 4 transposes.
function packBTransposed(b: usize, ld: i32, kc: i32, nc: i32): void {
  const rowBytes = <usize>ld << 2;
  for (let s = 0; s < nc; s += NR) {
    const valid = min(NR, nc - s);
    const d0 = packB + ((<usize>s * kc) << 2);
    let p = 0;
    if (ASC_FEATURE_SIMD && valid == NR) {
      // 4 source rows x 4 depths -> 4 packed rows of 4 lanes, twice per strip.
      for (; p + 4 <= kc; p += 4) {
        for (let q = 0; q < NR; q += 4) {
          const r = b + ((<usize>(s + q) * ld + p) << 2);
          transpose4x4(r, rowBytes, d0 + ((<usize>p * NR + q) << 2), NR * 4);
        }
      }
    }
    // Depth tail (and every depth in the scalar build or a partial strip): one value at a time.
    for (let j = 0; j < NR; j++) {
      let d = d0 + ((<usize>p * NR + j) << 2);
      if (j < valid) {
        let src = b + ((<usize>(s + j) * ld + p) << 2);
        for (let pp = p; pp < kc; pp++) {
          store<f32>(d, load<f32>(src));
          d += NR * 4;
          src += 4;
        }
      } else {
        for (let pp = p; pp < kc; pp++) {
          store<f32>(d, 0);
          d += NR * 4;
        }
      }
    }
  }
}

// Runs the register tile over every MR x NR tile of a packed mc x kc by kc x nc product. The B
// strip (kc x NR) stays in L1 while the loop walks down the A strips.
function macroKernel(kc: i32, mc: i32, nc: i32, alpha: f32, beta: f32, c: usize, ldc: i32, splat: bool): void {
  const aStrip = <usize>kc * MR * (splat ? 16 : 4);
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bp = packB + ((<usize>jr * kc) << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const ap = packA + <usize>(ir / MR) * aStrip;
      const cp = c + ((<usize>ir * ldc + jr) << 2);
      if (!ASC_FEATURE_SIMD) microScalar(kc, ap, bp, alpha, beta, cp, ldc, mr, nr);
      else if (stripRows(mr) == 6) microRelaxed(kc, ap, bp, alpha, beta, cp, ldc, mr, nr);
      else if (splat) microSimdSplatted(kc, ap, bp, alpha, beta, cp, ldc, mr, nr);
      else microSimdCompact(kc, ap, bp, alpha, beta, cp, ldc, mr, nr);
    }
  }
}

// Writes one row of 8 results: c = alpha * acc + beta * c (beta == 0: never reads c).
@inline function storeRow8(cp: usize, lo: v128, hi: v128, va: v128, beta: f32): void {
  lo = f32x4.mul(lo, va);
  hi = f32x4.mul(hi, va);
  if (beta == 0) {
    v128.store(cp, lo);
    v128.store(cp, hi, 16);
  } else if (beta == 1) {
    v128.store(cp, f32x4.add(v128.load(cp), lo));
    v128.store(cp, f32x4.add(v128.load(cp, 16), hi), 16);
  } else {
    const vb = f32x4.splat(beta);
    v128.store(cp, f32x4.add(f32x4.mul(v128.load(cp), vb), lo));
    v128.store(cp, f32x4.add(f32x4.mul(v128.load(cp, 16), vb), hi), 16);
  }
}

// Copies the valid mr x nr corner of the tile in edgeTile into C with alpha/beta.
function storeEdge(alpha: f32, beta: f32, c: usize, ldc: i32, mr: i32, nr: i32): void {
  for (let r = 0; r < mr; r++) {
    const cp = c + ((<usize>r * ldc) << 2);
    const tp = edgeTile + <usize>(r * NR * 4);
    for (let j = 0; j < nr; j++) {
      const v = alpha * load<f32>(tp + (<usize>j << 2));
      const q = cp + (<usize>j << 2);
      store<f32>(q, beta == 0 ? v : v + beta * load<f32>(q));
    }
  }
}

// The 4 x 8 register tile over A packed pre-splatted (16 bytes per value).
function microSimdSplatted(kc: i32, ap: usize, bp: usize, alpha: f32, beta: f32, c: usize, ldc: i32, mr: i32, nr: i32): void {
  tileSimd(kc, ap, bp, alpha, beta, c, ldc, mr, nr, true);
}

// The 4 x 8 register tile over A packed compact (4 bytes per value, splatted on load); in the
// relaxed build, the last strip of a block when it has at most 4 rows.
function microSimdCompact(kc: i32, ap: usize, bp: usize, alpha: f32, beta: f32, c: usize, ldc: i32, mr: i32, nr: i32): void {
  tileSimd(kc, ap, bp, alpha, beta, c, ldc, mr, nr, false);
}

// 4 x 8 register tile: 8 v128 accumulators; per depth step 2 B vectors and 4 splatted A values.
// `splatted` is a constant at both call sites, so each copy keeps only its own load form.
@inline function tileSimd(kc: i32, ap: usize, bp: usize, alpha: f32, beta: f32, c: usize, ldc: i32, mr: i32, nr: i32, splatted: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let av = splatted ? v128.load(ap) : v128.load32_splat(ap);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = splatted ? v128.load(ap, 16) : v128.load32_splat(ap, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = splatted ? v128.load(ap, 32) : v128.load32_splat(ap, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = splatted ? v128.load(ap, 48) : v128.load32_splat(ap, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    ap += splatted ? 4 * 16 : 4 * 4;
    bp += NR * 4;
  }
  const va = f32x4.splat(alpha);
  if (mr == 4 && nr == NR) {
    const ldcBytes = <usize>ldc << 2;
    storeRow8(c, c00, c01, va, beta);
    storeRow8(c + ldcBytes, c10, c11, va, beta);
    storeRow8(c + 2 * ldcBytes, c20, c21, va, beta);
    storeRow8(c + 3 * ldcBytes, c30, c31, va, beta);
  } else {
    v128.store(edgeTile, c00); v128.store(edgeTile, c01, 16);
    v128.store(edgeTile, c10, 32); v128.store(edgeTile, c11, 48);
    v128.store(edgeTile, c20, 64); v128.store(edgeTile, c21, 80);
    v128.store(edgeTile, c30, 96); v128.store(edgeTile, c31, 112);
    storeEdge(alpha, beta, c, ldc, mr, nr);
  }
}

// Scalar build: the same packed layout, as four 2 x 4 quarters of the tile (8 scalar accumulators,
// which stay in registers; a 4 x 4 quarter spills).
function microScalar(kc: i32, ap: usize, bp: usize, alpha: f32, beta: f32, c: usize, ldc: i32, mr: i32, nr: i32): void {
  for (let rows = 0; rows < MR; rows += 2) {
    for (let half = 0; half < NR; half += 4) {
      let c00: f32 = 0, c01: f32 = 0, c02: f32 = 0, c03: f32 = 0;
      let c10: f32 = 0, c11: f32 = 0, c12: f32 = 0, c13: f32 = 0;
      let pa = ap + (<usize>rows << 2);
      let pb = bp + (<usize>half << 2);
      for (let p = 0; p < kc; p++) {
        const b0 = load<f32>(pb), b1 = load<f32>(pb, 4), b2 = load<f32>(pb, 8), b3 = load<f32>(pb, 12);
        const a0 = load<f32>(pa), a1 = load<f32>(pa, 4);
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        pa += 16;
        pb += 32;
      }
      const t = edgeTile + ((<usize>(rows * NR + half)) << 2);
      store<f32>(t, c00); store<f32>(t, c01, 4); store<f32>(t, c02, 8); store<f32>(t, c03, 12);
      store<f32>(t, c10, 32); store<f32>(t, c11, 36); store<f32>(t, c12, 40); store<f32>(t, c13, 44);
    }
  }
  storeEdge(alpha, beta, c, ldc, mr, nr);
}

// Relaxed build: 6 x 8 register tile over A packed compact, 12 v128 accumulators; per depth step
// 2 B vectors and 6 broadcast A values (15 of the 16 xmm registers; V8 keeps the last as scratch).
function microRelaxed(kc: i32, ap: usize, bp: usize, alpha: f32, beta: f32, c: usize, ldc: i32, mr: i32, nr: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let av = v128.load32_splat(ap);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(ap, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(ap, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(ap, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    av = v128.load32_splat(ap, 16);
    c40 = madd(av, b0, c40);
    c41 = madd(av, b1, c41);
    av = v128.load32_splat(ap, 20);
    c50 = madd(av, b0, c50);
    c51 = madd(av, b1, c51);
    ap += 6 * 4;
    bp += NR * 4;
  }
  const va = f32x4.splat(alpha);
  if (mr == 6 && nr == NR) {
    const ldcBytes = <usize>ldc << 2;
    storeRow8(c, c00, c01, va, beta);
    storeRow8(c + ldcBytes, c10, c11, va, beta);
    storeRow8(c + 2 * ldcBytes, c20, c21, va, beta);
    storeRow8(c + 3 * ldcBytes, c30, c31, va, beta);
    storeRow8(c + 4 * ldcBytes, c40, c41, va, beta);
    storeRow8(c + 5 * ldcBytes, c50, c51, va, beta);
  } else {
    v128.store(edgeTile, c00); v128.store(edgeTile, c01, 16);
    v128.store(edgeTile, c10, 32); v128.store(edgeTile, c11, 48);
    v128.store(edgeTile, c20, 64); v128.store(edgeTile, c21, 80);
    v128.store(edgeTile, c30, 96); v128.store(edgeTile, c31, 112);
    v128.store(edgeTile, c40, 128); v128.store(edgeTile, c41, 144);
    v128.store(edgeTile, c50, 160); v128.store(edgeTile, c51, 176);
    storeEdge(alpha, beta, c, ldc, mr, nr);
  }
}
