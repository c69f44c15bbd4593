// The WASM gemm kernel (every build the runtime validates: relaxed, simd, scalar) against the plain-JS reference: all four trans combinations,
// ragged shapes around the register tiles (4 x 8; 6 x 8 in the relaxed build) and the packing blocks, alpha/beta variants, leading
// dimensions wider than a row (submatrices, with NaN in the gaps) and unaligned pointers; plus the
// two exactness properties: a row of C is the same bits whatever batch it is in, on every build
// (the relaxed build too, whose fused multiply-adds differ from the others in the last bits), and
// the simd and scalar builds agree bit for bit.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadEngine, relaxedSimdSupported, type Engine, type ResolvedBuild } from '../../src/wasm/engine.js';
import { gemm as refGemm } from '../../src/reference/blas.js';
import { allClose, randomArray } from '../helpers.js';

interface Case {
  transA: number; transB: number; m: number; n: number; k: number; alpha: number; beta: number;
  /** Extra floats at the end of each stored row (lda = row length + pad). */
  padA?: number; padB?: number; padC?: number;
  /** Floats between the 64-byte-aligned block start and the matrix (an unaligned pointer when not 0 mod 16). */
  offA?: number; offB?: number; offC?: number;
  /** 'nan' fills C with NaN before the call (only meaningful with beta == 0). */
  cInit?: 'random' | 'nan';
  seed?: number;
}

const SENTINEL = 12345.5; // written into C's row gaps: the kernel must leave it untouched

interface Prepared { a: Float32Array; b: Float32Array; c: Float32Array; lda: number; ldb: number; ldc: number; expected: Float32Array }

function name(cs: Case): string {
  return `${cs.transA ? 'T' : 'N'}${cs.transB ? 'T' : 'N'} m=${cs.m} n=${cs.n} k=${cs.k} alpha=${cs.alpha} beta=${cs.beta}`
    + (cs.padA || cs.padB || cs.padC ? ` pad=${cs.padA ?? 0}/${cs.padB ?? 0}/${cs.padC ?? 0}` : '')
    + (cs.offA || cs.offB || cs.offC ? ` off=${cs.offA ?? 0}/${cs.offB ?? 0}/${cs.offC ?? 0}` : '');
}

/** Builds the operands (NaN in every row gap of A and B) and the reference result over all of C. */
function prepare(cs: Case): Prepared {
  const seed = cs.seed ?? (cs.m * 73856093) ^ (cs.n * 19349663) ^ (cs.k * 83492791) ^ (cs.transA * 2 + cs.transB);
  const [aRows, aCols] = cs.transA ? [cs.k, cs.m] : [cs.m, cs.k];
  const [bRows, bCols] = cs.transB ? [cs.n, cs.k] : [cs.k, cs.n];
  const lda = aCols + (cs.padA ?? 0), ldb = bCols + (cs.padB ?? 0), ldc = cs.n + (cs.padC ?? 0);
  const fill = (rows: number, cols: number, ld: number, s: number): Float32Array => {
    const src = randomArray(rows * cols, s);
    const out = new Float32Array(rows * ld).fill(NaN);
    for (let r = 0; r < rows; r++) out.set(src.subarray(r * cols, (r + 1) * cols), r * ld);
    return out;
  };
  const a = fill(aRows, aCols, lda, seed);
  const b = fill(bRows, bCols, ldb, seed + 1);
  const c = new Float32Array(cs.m * ldc).fill(SENTINEL);
  const cVals = randomArray(cs.m * cs.n, seed + 2);
  for (let i = 0; i < cs.m; i++) {
    for (let j = 0; j < cs.n; j++) c[i * ldc + j] = cs.cInit === 'nan' ? NaN : cVals[i * cs.n + j]!;
  }
  const expected = c.slice();
  refGemm(cs.transA, cs.transB, cs.m, cs.n, cs.k, cs.alpha, a, 0, lda, b, 0, ldb, cs.beta, expected, 0, ldc);
  return { a, b, c, lda, ldb, ldc, expected };
}

/** Runs the WASM kernel on the prepared operands; returns all of C, gaps included. */
function runWasm(e: Engine, cs: Case, p: Prepared): Float32Array {
  const offA = cs.offA ?? 0, offB = cs.offB ?? 0, offC = cs.offC ?? 0;
  return e.withScratch([p.a.length + offA, p.b.length + offB, p.c.length + offC], (aP, bP, cP) => {
    const a = aP! + 4 * offA, b = bP! + 4 * offB, c = cP! + 4 * offC;
    e.writeF32(a, p.a);
    e.writeF32(b, p.b);
    e.writeF32(c, p.c);
    e.abi.gemm(cs.transA, cs.transB, cs.m, cs.n, cs.k, cs.alpha, a, p.lda, b, p.ldb, cs.beta, c, p.ldc);
    return e.readF32(c, p.c.length);
  });
}

/** float32 accumulation over k terms of size <= 1 vs the float64 reference: error grows with k. */
function check(actual: Float32Array, cs: Case, p: Prepared, build: string): void {
  const atol = 2e-7 * (cs.k + 4) * Math.max(1, Math.abs(cs.alpha)) + 1e-6;
  allClose(actual, p.expected, 2e-6, atol, `${build} ${name(cs)}: C`);
}

// simd first (the tightness test uses builds[0]); relaxed where the runtime validates it (Node 22+:
// `npm run test:relaxed`).
const builds: Array<{ build: ResolvedBuild; engine: Engine }> = [
  { build: 'simd', engine: loadEngine({ build: 'simd' }) },
  { build: 'scalar', engine: loadEngine({ build: 'scalar' }) },
  ...(relaxedSimdSupported() ? [{ build: 'relaxed' as const, engine: loadEngine({ build: 'relaxed' }) }] : []),
];

function checkAll(cases: Case[]): void {
  for (const cs of cases) {
    const p = prepare(cs);
    for (const { build, engine } of builds) check(runWasm(engine, cs, p), cs, p, build);
  }
}

const TRANS: Array<[number, number]> = [[0, 0], [1, 0], [0, 1], [1, 1]];
const DIMS = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 129];

/** Deterministic picks from DIMS (a small LCG, so a failure names a reproducible shape). */
function dimCombos(count: number, seed: number): Array<[number, number, number]> {
  let s = seed >>> 0;
  const pick = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return DIMS[s % DIMS.length]!;
  };
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < count; i++) out.push([pick(), pick(), pick()]);
  return out;
}

/** Asserts that a comparison fails (uvu's assert.throws re-throws assertion errors, so it cannot). */
function rejects(compare: () => void): void {
  let failed = false;
  try {
    compare();
  } catch {
    failed = true;
  }
  assert.ok(failed, 'expected the comparison to fail');
}

const t = suite('assembly/blas/gemm');

t('the comparison is tight enough to catch a wrong result', () => {
  const cs: Case = { transA: 0, transB: 0, m: 9, n: 17, k: 33, alpha: 1, beta: 0 };
  const p = prepare(cs);
  const { engine } = builds[0]!;
  check(runWasm(engine, cs, p), cs, p, 'simd');
  // Off by a factor of 1.001 or with one element changed must fail.
  rejects(() => check(runWasm(engine, { ...cs, alpha: 1.001 }, p), cs, p, 'simd'));
  const wrong = runWasm(engine, cs, p);
  wrong[5 * 17 + 16] += 1e-3;
  rejects(() => check(wrong, cs, p, 'simd'));
});

t('every dim in {1..129} on its own, all trans combinations', () => {
  const cases: Case[] = [];
  for (const [transA, transB] of TRANS) {
    for (const d of DIMS) {
      cases.push({ transA, transB, m: d, n: 9, k: 17, alpha: 1, beta: 0 });
      cases.push({ transA, transB, m: 7, n: d, k: 5, alpha: 1, beta: 0 });
      cases.push({ transA, transB, m: 5, n: 16, k: d, alpha: 1, beta: 0 });
    }
  }
  checkAll(cases);
});

t('random ragged shapes, all trans combinations, alpha/beta variants', () => {
  const ab: Array<[number, number]> = [[1, 0], [1, 1], [-0.5, 0.25], [2, -1]];
  const cases: Case[] = [];
  for (const [ti, [transA, transB]] of TRANS.entries()) {
    for (const [i, [m, n, k]] of dimCombos(40, 1234 + ti).entries()) {
      const [alpha, beta] = ab[i % ab.length]!;
      cases.push({ transA, transB, m, n, k, alpha, beta });
    }
  }
  checkAll(cases);
});

t('beta = 0 never reads C: NaN on entry does not propagate', () => {
  const cases: Case[] = [];
  for (const [transA, transB] of TRANS) {
    for (const [m, n, k] of [[4, 8, 3], [5, 9, 17], [64, 30, 128], [33, 65, 300], [1, 1, 1]] as const) {
      cases.push({ transA, transB, m, n, k, alpha: 1, beta: 0, cInit: 'nan' });
      cases.push({ transA, transB, m, n, k, alpha: -2, beta: 0, cInit: 'nan', padC: 3 });
    }
  }
  checkAll(cases);
  // Sanity: the reference leaves no NaN, so the comparison above would catch a propagated one.
  const p = prepare({ transA: 0, transB: 0, m: 5, n: 9, k: 17, alpha: 1, beta: 0, cInit: 'nan' });
  assert.ok(p.expected.every((v) => !Number.isNaN(v)));
});

t('beta = 1 accumulates, also across depth blocks (k > 256) and column blocks (n > 256)', () => {
  const cases: Case[] = [];
  for (const [transA, transB] of TRANS) {
    cases.push({ transA, transB, m: 6, n: 11, k: 13, alpha: 1, beta: 1 });
    cases.push({ transA, transB, m: 37, n: 300, k: 600, alpha: 1, beta: 1 });
    cases.push({ transA, transB, m: 37, n: 300, k: 600, alpha: 0.5, beta: -0.75 });
    cases.push({ transA, transB, m: 37, n: 300, k: 600, alpha: 1, beta: 0, cInit: 'nan' });
  }
  // Accumulating twice into the same C doubles the product (beta = 1 really adds onto C).
  for (const { build, engine } of builds) {
    const cs: Case = { transA: 0, transB: 0, m: 9, n: 20, k: 270, alpha: 1, beta: 0 };
    const p = prepare(cs);
    const twice = engine.withScratch([p.a.length, p.b.length, p.c.length], (a, b, c) => {
      engine.writeF32(a!, p.a);
      engine.writeF32(b!, p.b);
      engine.abi.gemm(0, 0, cs.m, cs.n, cs.k, 1, a!, p.lda, b!, p.ldb, 0, c!, p.ldc);
      engine.abi.gemm(0, 0, cs.m, cs.n, cs.k, 1, a!, p.lda, b!, p.ldb, 1, c!, p.ldc);
      return engine.readF32(c!, p.c.length);
    });
    allClose(twice, p.expected.map((v) => 2 * v), 2e-6, 2e-7 * 280 * 2 + 1e-6, `${build} twice`);
  }
  checkAll(cases);
});

t('more rows than one packed block (m > 128) and batch sizes 1..2000', () => {
  const cases: Case[] = [];
  for (const m of [1, 2, 3, 5, 130, 257, 2000]) {
    cases.push({ transA: 0, transB: 0, m, n: 30, k: 128, alpha: 1, beta: 0 });
    cases.push({ transA: 0, transB: 1, m, n: 31, k: 65, alpha: 1, beta: 0.5 });
  }
  cases.push({ transA: 1, transB: 0, m: 300, n: 129, k: 64, alpha: 1, beta: 0 });
  cases.push({ transA: 1, transB: 1, m: 300, n: 129, k: 64, alpha: 1, beta: 1 });
  checkAll(cases);
});

t('one output column (n = 1), contiguous or strided, and few rows (m < 8) in every layout', () => {
  const cases: Case[] = [];
  for (const [transA, transB] of TRANS) {
    for (const m of [1, 2, 7, 8, 9, 64, 131]) {
      for (const k of [1, 5, 64, 300]) {
        cases.push({ transA, transB, m, n: 1, k, alpha: 1, beta: 0, cInit: 'nan' });
        cases.push({ transA, transB, m, n: 1, k, alpha: -1.5, beta: 0.5, padB: 2, padC: 1 });
      }
      cases.push({ transA, transB, m, n: 13, k: 300, alpha: 0.5, beta: 1, padA: 1, offB: 1 });
    }
  }
  checkAll(cases);
});

t('k = 0 and alpha = 0 only scale C (beta = 0 writes zeros over NaN)', () => {
  const cases: Case[] = [];
  for (const [transA, transB] of TRANS) {
    cases.push({ transA, transB, m: 5, n: 9, k: 0, alpha: 1, beta: 0, cInit: 'nan', padC: 2 });
    cases.push({ transA, transB, m: 5, n: 9, k: 0, alpha: 1, beta: 0.5 });
    cases.push({ transA, transB, m: 5, n: 9, k: 7, alpha: 0, beta: 1 });
    cases.push({ transA, transB, m: 5, n: 9, k: 7, alpha: 0, beta: 0, cInit: 'nan' });
  }
  checkAll(cases);
  // m = 0 or n = 0: nothing is written.
  for (const { engine } of builds) {
    engine.withScratch([16], (c) => {
      engine.writeF32(c!, new Float32Array(16).fill(7));
      engine.abi.gemm(0, 0, 0, 4, 4, 1, c!, 4, c!, 4, 0, c!, 4);
      engine.abi.gemm(0, 0, 4, 0, 4, 1, c!, 4, c!, 4, 0, c!, 4);
      assert.ok(engine.readF32(c!, 16).every((v) => v === 7));
    });
  }
});

t('submatrices: leading dimensions wider than a row, NaN in the gaps, unaligned pointers', () => {
  const cases: Case[] = [];
  for (const [transA, transB] of TRANS) {
    for (const [i, [m, n, k]] of dimCombos(12, 99 + transA * 2 + transB).entries()) {
      cases.push({
        transA, transB, m, n, k, alpha: 1, beta: i % 2 ? 1 : 0,
        padA: 1 + (i % 5), padB: 3 + (i % 4), padC: 1 + (i % 3),
        offA: i % 4, offB: (i + 1) % 4, offC: (i + 2) % 4,
      });
    }
    cases.push({ transA, transB, m: 64, n: 30, k: 128, alpha: 1, beta: 0, padA: 64, padB: 2, padC: 34, offA: 1, offB: 2, offC: 3 });
  }
  checkAll(cases);
});

t('a row of C does not depend on the batch around it (every build), and simd and scalar agree bit for bit', () => {
  // Every path (packed tiles, few-row streaming and dot products, the one-column transpose) sums
  // each entry depth after depth in blocks of 256 and folds the blocks into C the same way, so
  // protect() gives a query the same answer alone or in a batch. The batch is m in NN and NT.
  const shapes: Array<[number, number, number, number]> = [
    [0, 0, 30, 256], [0, 0, 446, 129], [0, 1, 256, 30], [0, 1, 600, 65], [0, 0, 64, 1], [0, 1, 64, 1],
    [0, 0, 17, 9], [0, 1, 5, 7], [0, 0, 300, 300],
  ];
  for (const [transA, transB, k, n] of shapes) {
    for (const beta of [0, 0.5]) {
      // 140 rows: more than one packed block of A (64 rows; 66 in the relaxed build), so a row lands in
      // 4-row and (relaxed) 6-row tiles and partial strips of either, depending on its batch.
      const full: Case = { transA, transB, m: 140, n, k, alpha: 1.25, beta, seed: k * 7 + n };
      const p = prepare(full);
      const results = builds.map(({ engine }) => runWasm(engine, full, p));
      assert.equal(Array.from(results[1]!), Array.from(results[0]!), `scalar vs simd k=${k} n=${n}`);
      for (const [start, rows] of [[0, 1], [3, 1], [5, 3], [8, 7], [11, 8], [2, 13], [39, 1], [60, 9], [65, 5], [1, 70], [130, 10]] as const) {
        // The same rows as a batch of their own: A rows start..start+rows, C rows likewise.
        const sub: Prepared = {
          ...p,
          a: p.a.subarray(start * p.lda, (start + rows) * p.lda),
          c: p.c.subarray(start * p.ldc, (start + rows) * p.ldc),
        };
        for (const [bi, { build, engine }] of builds.entries()) {
          const got = runWasm(engine, { ...full, m: rows }, sub);
          const want = results[bi]!.subarray(start * p.ldc, (start + rows) * p.ldc);
          assert.equal(Array.from(got), Array.from(want), `${build} k=${k} n=${n} beta=${beta}: rows ${start}..${start + rows - 1} alone`);
        }
      }
    }
  }
});

t('a mostly-zero op(A) (sparse path) gives the dense paths\' bits: sparse rows alone equal themselves in a dense batch', () => {
  // Rows 0..19 of op(A) are binary at 12 % density (Location's features), rows 20..39 dense: the
  // whole batch is dense (packed tiles), rows 0..19 alone are sparse (sparseRows). Bit-identical.
  for (const { build, engine } of builds) {
    for (const [transA, n, k] of [[0, 1024, 446], [1, 300, 64], [0, 40, 600], [1, 33, 5], [0, 9, 17]] as const) {
      const m = 40;
      const a = new Float32Array(m * k), dense = randomArray(m * k, k + n);
      let seed = 99;
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          const at = transA ? p * m + i : i * k + p;
          a[at] = i < 20 ? (seed / 2 ** 32 < 0.12 ? (p % 3 ? 1 : -0.5) : 0) : dense[at]!;
        }
      }
      const b = randomArray(k * n, n);
      const beta = 0.5;
      const cs: Case = { transA, transB: 0, m, n, k, alpha: 1.5, beta };
      const lda = transA ? m : k;
      const c0 = randomArray(m * n, 3);
      const expected = c0.slice();
      refGemm(transA, 0, m, n, k, 1.5, a, 0, lda, b, 0, n, beta, expected, 0, n);
      const full = runWasm(engine, cs, { a, b, c: c0, lda, ldb: n, ldc: n, expected });
      check(full, cs, { a, b, c: c0, lda, ldb: n, ldc: n, expected }, build);
      // The sparse rows as a batch of their own (transA: the first 20 columns of the stored k x m A).
      const sub = new Float32Array(20 * k);
      for (let i = 0; i < 20; i++) for (let p = 0; p < k; p++) sub[transA ? p * 20 + i : i * k + p] = a[transA ? p * m + i : i * k + p]!;
      const alone = runWasm(engine, { ...cs, m: 20 }, { a: sub, b, c: c0.subarray(0, 20 * n), lda: transA ? 20 : k, ldb: n, ldc: n, expected });
      assert.equal(Array.from(alone), Array.from(full.subarray(0, 20 * n)), `${build} transA=${transA} n=${n} k=${k}: sparse rows alone`);
    }
  }
});

// The layers of the design §6 models and of the defense/attack MLPs, at batch 64, in the three
// layouts backprop uses: forward X W (NN), dW = X^T D (TN), dX = D W^T (NT).
const LAYERS: Array<[number, number]> = [
  [446, 1024], [1024, 512], [512, 256], [256, 128], [128, 30],
  [30, 256], [256, 128], [128, 64], [64, 1],
];

t('model shapes at batch 64: forward (NN), weight gradient (TN), input gradient (NT)', () => {
  const batch = 64;
  const cases: Case[] = [];
  for (const [nIn, nOut] of LAYERS) {
    cases.push({ transA: 0, transB: 0, m: batch, n: nOut, k: nIn, alpha: 1, beta: 1 });
    cases.push({ transA: 1, transB: 0, m: nIn, n: nOut, k: batch, alpha: 1, beta: 0, cInit: 'nan' });
    cases.push({ transA: 0, transB: 1, m: batch, n: nIn, k: nOut, alpha: 1, beta: 0, cInit: 'nan' });
  }
  checkAll(cases);
});

t.run();
