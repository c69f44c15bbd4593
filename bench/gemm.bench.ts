// GEMM throughput (GFLOP/s = 2 m n k per call) of the WASM kernel, relaxed (where the runtime
// validates it), SIMD and scalar builds, against
// the plain-JS reference, on the layer shapes of the design §6 models and of the defense/attack
// MLPs at batch 64, in the three layouts backprop uses (forward X W = NN, dW = X^T D = TN,
// dX = D W^T = NT), plus a few inference batch sizes. Every kernel's output is checked against the
// reference before it is timed, so a broken kernel cannot post a figure.
import { Bench } from 'tinybench';
import { gemm as refGemm } from '../src/reference/blas.js';
import { loadEngine, relaxedSimdSupported, type Engine, type ResolvedBuild } from '../src/wasm/engine.js';
import { printTable, ratio, ratio2, type SuiteOptions } from './util.js';

export const description = 'float32 C = op(A) op(B), GFLOP/s (2mnk / time), WASM relaxed, SIMD and scalar vs plain JS';

interface Shape { transA: number; transB: number; m: number; n: number; k: number }

/** [in, out] of every distinct layer: the 446-1024-512-256-128-30 model, then the 30-256-128-64-1 MLPs. */
const LAYERS: Array<[number, number]> = [
  [446, 1024], [1024, 512], [512, 256], [256, 128], [128, 30], [30, 256], [128, 64], [64, 1],
];
const BATCH = 64;

function trainingShapes(): Shape[] {
  const out: Shape[] = [];
  for (const [nIn, nOut] of LAYERS) out.push({ transA: 0, transB: 0, m: BATCH, n: nOut, k: nIn });
  for (const [nIn, nOut] of LAYERS) out.push({ transA: 1, transB: 0, m: nIn, n: nOut, k: BATCH });
  for (const [nIn, nOut] of LAYERS) out.push({ transA: 0, transB: 1, m: BATCH, n: nIn, k: nOut });
  return out;
}

/** Forward passes at inference batch sizes. */
const INFERENCE: Shape[] = [
  { transA: 0, transB: 0, m: 1, n: 1024, k: 446 },
  { transA: 0, transB: 0, m: 4, n: 1024, k: 446 },
  { transA: 0, transB: 0, m: 2000, n: 30, k: 128 },
  { transA: 0, transB: 0, m: 2000, n: 256, k: 30 },
];

const layout = (s: Shape): string => `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;

function random(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Operands { a: Float32Array; b: Float32Array; lda: number; ldb: number; expected: Float32Array }

function operands(s: Shape): Operands {
  const lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n;
  const a = random(s.m * s.k, s.m * 31 + s.k), b = random(s.k * s.n, s.n * 17 + s.k);
  const expected = new Float32Array(s.m * s.n);
  refGemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, 0, lda, b, 0, ldb, 0, expected, 0, s.n);
  return { a, b, lda, ldb, expected };
}

/** Copies the operands into `engine`, checks one call against the reference; returns the call and a release. */
function wasmCall(engine: Engine, s: Shape, o: Operands, build: string): { call: () => void; release: () => void } {
  const aP = engine.alloc(o.a.length), bP = engine.alloc(o.b.length), cP = engine.alloc(s.m * s.n);
  engine.writeF32(aP, o.a);
  engine.writeF32(bP, o.b);
  const call = (): void => engine.abi.gemm(s.transA, s.transB, s.m, s.n, s.k, 1, aP, o.lda, bP, o.ldb, 0, cP, s.n);
  call();
  const c = engine.readF32(cP, s.m * s.n);
  const tol = 1e-6 * (s.k + 4);
  for (let i = 0; i < c.length; i++) {
    if (!(Math.abs(c[i]! - o.expected[i]!) <= tol * (1 + Math.abs(o.expected[i]!)))) {
      throw new Error(`gemm ${build} ${layout(s)} ${s.m}x${s.n}x${s.k}: C[${i}] = ${c[i]}, reference ${o.expected[i]}`);
    }
  }
  return { call, release: () => [aP, bP, cP].forEach((p) => engine.release(p)) };
}

/** Rounds: every shape is measured once per round, and a figure is the best round's tinybench
 * throughput.mean. Neighbours on a shared machine slow down whole stretches of seconds; spreading a
 * shape's rounds over the run and keeping the best gets closest to the kernel's own speed. */
const ROUNDS = 3;

interface Prepared { shape: Shape; flop: number; calls: number; tasks: Array<() => void>; release: () => void }

type Engines = Array<[ResolvedBuild, Engine]>;

function prepareShape(engines: Engines, s: Shape): Prepared {
  const flop = 2 * s.m * s.n * s.k;
  // Several calls per timed op, so one sample lasts ~0.3 ms even for the tiny shapes.
  const calls = Math.max(1, Math.round(1e7 / flop));
  const o = operands(s);
  const wasm = engines.map(([build, engine]) => wasmCall(engine, s, o, build));
  const c = new Float32Array(s.m * s.n);
  const js = (): void => refGemm(s.transA, s.transB, s.m, s.n, s.k, 1, o.a, 0, o.lda, o.b, 0, o.ldb, 0, c, 0, s.n);
  const repeat = (f: () => void) => (): void => {
    for (let r = 0; r < calls; r++) f();
  };
  return {
    shape: s, flop, calls,
    tasks: [...wasm.map((w) => repeat(w.call)), repeat(js)],
    release: () => wasm.forEach((w) => w.release()),
  };
}

/** GFLOP/s per shape: one per engine, then JS (tinybench: ops/s = throughput.mean, times calls per op). */
async function measureAll(engines: Engines, shapes: Shape[], quick: boolean): Promise<number[][]> {
  const prepared = shapes.map((s) => prepareShape(engines, s));
  const best = shapes.map(() => new Array<number>(engines.length + 1).fill(0));
  try {
    for (let round = 0; round < (quick ? 1 : ROUNDS); round++) {
      for (const [i, p] of prepared.entries()) {
        const bench = new Bench({
          throws: true,
          time: quick ? 5 : 60,
          iterations: quick ? 1 : 5,
          warmupTime: quick ? 0 : 20,
          warmupIterations: quick ? 1 : 2,
        });
        [...engines.map(([build]) => build), 'js'].forEach((name, t) => bench.add(name, p.tasks[t]!));
        await bench.run();
        bench.tasks.forEach((task, t) => {
          const r = task.result;
          if (r.state !== 'completed') throw new Error(`gemm bench task ${task.name} ended ${r.state}`);
          best[i]![t] = Math.max(best[i]![t]!, (r.throughput.mean * p.calls * p.flop) / 1e9);
        });
      }
    }
  } finally {
    for (const p of prepared) p.release();
  }
  return best;
}

async function table(title: string, shapes: Shape[], engines: Engines, quick: boolean): Promise<void> {
  const results = await measureAll(engines, shapes, quick);
  const relaxed = engines.length === 3; // [relaxed, simd, scalar] or [simd, scalar]
  const rows = shapes.map((s, i) => {
    const r = results[i]!;
    const [simd, scalar, js] = r.slice(-3) as [number, number, number];
    return [
      layout(s), `${s.m}x${s.k} * ${s.k}x${s.n}`,
      ...(relaxed ? [r[0]!.toFixed(1)] : []), simd.toFixed(1), scalar.toFixed(1), js.toFixed(2),
      ...(relaxed ? [ratio2(r[0]!, simd)] : []), ratio(simd, js), ratio(scalar, js),
    ];
  });
  console.log(`${title}\n`);
  printTable(['op', 'shape (m x k * k x n)', ...(relaxed ? ['relaxed'] : []), 'SIMD', 'scalar', 'JS',
    ...(relaxed ? ['relaxed/SIMD'] : []), 'SIMD/JS', 'scalar/JS'], rows, 2);
  console.log(`\n(best of ${quick ? 1 : ROUNDS} rounds of tinybench throughput.mean; JS = src/reference/blas.ts)\n`);
}

/**
 * Calls the reference through all its branches (every layout, beta 0 and not) on small shapes before
 * anything is timed, so V8 optimizes the whole function once, with complete type feedback, instead
 * of deoptimizing at each new branch met during the run and timing the few long calls per task in
 * on-stack-replaced code (which reads the baseline slow).
 */
function warmUpReference(): void {
  const a = random(16 * 16, 1), b = random(16 * 16, 2), c = new Float32Array(16 * 16);
  for (let r = 0; r < 500; r++) {
    for (const [transA, transB] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
      refGemm(transA, transB, 16, 1 + (r % 16), 16, 1, a, 0, 16, b, 0, 16, r % 2, c, 0, 16);
    }
  }
}

export async function run({ quick }: SuiteOptions): Promise<void> {
  const builds: ResolvedBuild[] = relaxedSimdSupported() ? ['relaxed', 'simd', 'scalar'] : ['simd', 'scalar'];
  if (builds.length === 2) console.log('(this runtime does not validate relaxed SIMD: no relaxed column; run with Node 22+)\n');
  const engines: Engines = builds.map((build) => [build, loadEngine({ build })]);
  warmUpReference();
  await table(`Training layers at batch ${BATCH} (GFLOP/s; NN = X W, TN = X^T D, NT = D W^T)`, trainingShapes(), engines, quick);
  await table('Inference forward passes (GFLOP/s)', INFERENCE, engines, quick);
}
