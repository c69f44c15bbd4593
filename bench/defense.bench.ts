// The defense at work: protected queries per second on the 2,000 Location evaluation vectors of
// design §6 (members [0, 1000), non-members [2000, 3000); k = 30), through a defense
// classifier of the design §2 shape (30-256-128-64-1). The target model (design §6 shape
// 446-1024-512-256-128-30) and the defense classifier are trained here first, with fewer epochs
// and momentum so the suite stays short; the target still fits its training set (accuracy 1.00),
// so the vectors have the member/non-member gap the defense works against.
//
// Measured: batched `MemGuard.protect` (WASM) against the plain-JS per-query reference (`phase1`
// of src/reference/memguard.ts with a defense classifier on src/reference/mlp.ts kernels) on the
// same subset of vectors; single-query latency; 1 vs N worker threads (`protectParallel`); and the
// two Phase I methods, 'logits' (the paper's) and 'projected'.
import { availableParallelism } from 'node:os';
import { Bench, type Task } from 'tinybench';
import { labelAccuracy } from '../src/attacks/confidence.js';
import { loadLocation } from '../src/data/datasets.js';
import { locationSplits, take } from '../src/data/splits.js';
import { trainDefenseClassifier } from '../src/memguard/defenseClassifier.js';
import { MemGuard, type MemGuardOptions, type ProtectResult } from '../src/memguard/memguard.js';
import { ACTIVATION_CODE, Mlp } from '../src/nn/mlp.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { protectParallel } from '../src/parallel/protect.js';
import { gemm } from '../src/reference/blas.js';
import { phase1, type DefenseLogit, type Phase1Result } from '../src/reference/memguard.js';
import { mlpForward, type ReferenceLayer } from '../src/reference/mlp.js';
import { activateBackward } from '../src/reference/nn.js';
import { loadEngine } from '../src/wasm/engine.js';
import { printTable, ratio, type SuiteOptions } from './util.js';

export const description = 'protected queries/s on 2,000 Location vectors (k = 30), defense classifier 30-256-128-64-1';

export const K = 30;
export const EPSILON = 0.5;
export const KEY = Uint8Array.from({ length: 16 }, (_, i) => (i * 73 + 11) & 0xff);

export interface Setup {
  /** rows x 30: target outputs on members [0, 1000), then non-members [2000, 3000). */
  scores: Float32Array;
  rows: number;
  defense: Mlp;
  notes: string;
}

export function setup(quick: boolean): Setup {
  const start = performance.now();
  const data = loadLocation();
  const splits = locationSplits(data.shuffle);
  const members = take(data.features, data.labels, splits.targetTrain);
  const held = take(data.features, data.labels, splits.targetTest);
  const evalNon = take(data.features, data.labels, splits.evalNonMembers);
  const targetEpochs = quick ? 1 : 25, defenseEpochs = quick ? 1 : 80;
  const target = Mlp.create([446, 1024, 512, 256, 128, 30], { seed: 1 });
  target.fit(members.features, members.labels, { epochs: targetEpochs, learningRate: 0.01, optimizer: { type: 'sgd', momentum: 0.9 }, seed: 1 });
  const memberScores = target.predict(members.features), heldScores = target.predict(held.features);
  const defense = trainDefenseClassifier(memberScores, heldScores, K, {
    epochs: defenseEpochs, learningRate: 0.01, optimizer: { type: 'sgd', momentum: 0.9 }, seed: 2,
  });
  const rows = quick ? 100 : 2000;
  const scores = new Float32Array(2000 * K);
  scores.set(memberScores);
  scores.set(target.predict(evalNon.features), 1000 * K);
  // In quick mode, half members and half non-members all the same.
  const picked = quick ? pick(scores, 2000, rows) : scores;
  const notes = `target: ${targetEpochs} epochs SGD lr 0.01 momentum 0.9, train accuracy ` +
    `${labelAccuracy(memberScores, K, members.labels).toFixed(2)}, test ${labelAccuracy(heldScores, K, held.labels).toFixed(2)}; ` +
    `defense classifier: ${defenseEpochs} epochs SGD lr 0.01 momentum 0.9; setup ${((performance.now() - start) / 1000).toFixed(1)} s`;
  target.dispose();
  return { scores: picked, rows, defense, notes };
}

/** `count` rows spread evenly over `total` (so members and non-members alike). */
function pick(scores: Float32Array, total: number, count: number): Float32Array {
  const out = new Float32Array(count * K);
  for (let i = 0; i < count; i++) {
    const r = Math.floor((i * total) / count);
    out.set(scores.subarray(r * K, (r + 1) * K), i * K);
  }
  return out;
}

/**
 * The defense classifier in plain JS: forward on src/reference/mlp.ts, and the input gradient by the
 * reference GEMM and activation kernels (no weight gradients: the search does not need them).
 */
function plainDefenseLogit(g: Mlp): DefenseLogit {
  const layers: ReferenceLayer[] = g.parameters().map((l) => ({
    in: l.in, out: l.out, activation: ACTIVATION_CODE[l.activation], weight: l.weight, bias: l.bias,
  }));
  return {
    k: g.inputSize,
    logitAndGrad(x, grad) {
      const acts = mlpForward(layers, 1, x);
      const h = acts[acts.length - 1]![0]!;
      if (grad) {
        let d = Float32Array.of(1);
        for (let l = layers.length - 1; l >= 0; l--) {
          const layer = layers[l]!;
          const dIn = new Float32Array(layer.in);
          gemm(0, 1, 1, layer.in, layer.out, 1, d, 0, layer.out, layer.weight, 0, layer.out, 0, dIn, 0, layer.in);
          if (l > 0) activateBackward(layers[l - 1]!.activation, 1, layer.in, acts[l - 1]!, dIn);
          d = dIn;
        }
        grad.set(d);
      }
      return h;
    },
  };
}

/** Times `fn` with tinybench: `once` for calls of seconds (one sample), else a time budget. */
export async function time(name: string, fn: () => unknown, options: { once?: boolean; budgetMs?: number } = {}): Promise<Task> {
  const bench = new Bench(options.once
    ? { throws: true, iterations: 1, time: 0, warmup: false }
    : { throws: true, time: options.budgetMs ?? 1000, iterations: 5, warmupTime: 100, warmupIterations: 2 });
  bench.add(name, async () => { await fn(); });
  await bench.run();
  const task = bench.tasks[0]!;
  if (task.result.state !== 'completed') throw new Error(`defense bench: ${name} ended ${task.result.state}`);
  return task;
}

/** Mean latency of a task in ms. */
export const meanMs = (task: Task): number => (task.result.state === 'completed' ? task.result.latency.mean : NaN);

export const mean = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : 0;
};

export function sameRelease(a: ProtectResult<Float32Array>, b: ProtectResult<Float32Array>): boolean {
  const x = new Uint8Array(a.released.buffer, a.released.byteOffset, a.released.byteLength);
  const y = new Uint8Array(b.released.buffer, b.released.byteOffset, b.released.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]) && a.steps.every((v, i) => v === b.steps[i]);
}

export async function run({ quick }: SuiteOptions): Promise<void> {
  const { scores, rows, defense, notes } = setup(quick);
  console.log(`Setup: ${rows} vectors; ${notes}.\n`);
  const guardOptions: MemGuardOptions = { defenseClassifier: defense, epsilon: EPSILON, coin: { mode: 'key', key: KEY } };
  const guard = new MemGuard(guardOptions);
  guard.protect(scores.subarray(0, 20 * K)); // warm-up

  // ---- batched WASM vs the per-query plain-JS reference ------------------------------------------
  let full: ProtectResult<Float32Array> | undefined;
  const fullTask = await time('protect, all rows', () => { full = guard.protect(scores); }, { once: true });
  const subsetRows = quick ? 4 : 50;
  const subset = pick(scores, rows, subsetRows);
  let sub: ProtectResult<Float32Array> | undefined;
  const subTask = await time('protect, subset', () => { sub = guard.protect(subset); }, { budgetMs: quick ? 5 : 1500 });
  const scalarDefense = Mlp.fromParameters(defense.parameters(), loadEngine({ build: 'scalar' }));
  const scalarGuard = new MemGuard({ ...guardOptions, defenseClassifier: scalarDefense });
  const scalarTask = await time('protect scalar, subset', () => scalarGuard.protect(subset), { once: true });
  const plain = plainDefenseLogit(defense);
  const reference: Phase1Result[] = [];
  const refTask = await time('reference, subset', () => {
    reference.length = 0;
    for (let r = 0; r < subsetRows; r++) reference.push(phase1(subset.subarray(r * K, (r + 1) * K), plain));
  }, { once: true });
  const searched = guard.search(subset);
  let agree = 0;
  reference.forEach((want, r) => { agree += Number(want.status === searched.status[r] && want.c3 === searched.c3[r]); });

  const qps = (task: Task, n: number): number => (n * 1000) / meanMs(task);
  const refQps = qps(refTask, subsetRows);
  const fullSteps = mean(full!.steps), subSteps = mean(sub!.steps), refSteps = mean(reference.map((r) => r.steps));
  console.log(`Throughput (epsilon ${EPSILON}, keyed coin, method 'logits', batches of 512 rows)\n`);
  printTable(['implementation', 'vectors', 'queries/s', 'ms/query', 'steps/query', 'vs JS'], [
    ['MemGuard.protect, WASM SIMD, batched', String(rows), qps(fullTask, rows).toFixed(1), (meanMs(fullTask) / rows).toFixed(2), fullSteps.toFixed(1), ratio(qps(fullTask, rows), refQps)],
    ['MemGuard.protect, WASM SIMD, batched', `${subsetRows} (subset)`, qps(subTask, subsetRows).toFixed(1), (meanMs(subTask) / subsetRows).toFixed(2), subSteps.toFixed(1), ratio(qps(subTask, subsetRows), refQps)],
    ['MemGuard.protect, WASM scalar, batched', `${subsetRows} (subset)`, qps(scalarTask, subsetRows).toFixed(1), (meanMs(scalarTask) / subsetRows).toFixed(2), subSteps.toFixed(1), ratio(qps(scalarTask, subsetRows), refQps)],
    ['reference phase1, plain JS, per query', `${subsetRows} (subset)`, refQps.toFixed(2), (meanMs(refTask) / subsetRows).toFixed(1), refSteps.toFixed(1), '1.0x'],
  ], 2);
  console.log(`\nThe subset is every ${rows / subsetRows}th vector; the reference reaches the same status and c3 as WASM on ${agree}/${subsetRows} of them.\n`);
  scalarDefense.dispose();

  // ---- single-query latency ---------------------------------------------------------------------
  let next = 0;
  const single = await time('protect, one row', () => {
    const r = next++ % rows;
    guard.protect(scores.subarray(r * K, (r + 1) * K));
  }, { budgetMs: quick ? 5 : 4000 });
  const lat = single.result.state === 'completed' ? single.result.latency : undefined;
  console.log('Single-query latency: protect with one row (the vectors in turn)\n');
  printTable(['samples', 'p50 ms', 'p99 ms', 'mean ms', 'queries/s'], [[
    String(lat?.samplesCount), lat!.p50!.toFixed(2), lat!.p99!.toFixed(2), lat!.mean.toFixed(2), (1000 / lat!.mean).toFixed(1),
  ]], 0);
  console.log('');

  // ---- worker threads -----------------------------------------------------------------------------
  const n = availableParallelism();
  const sizes = n > 1 ? [1, n] : [1];
  const workerRows: string[][] = [['MemGuard.protect (this thread)', '-', (meanMs(fullTask) / 1000).toFixed(2), qps(fullTask, rows).toFixed(1), '-', 'reference']];
  let oneWorker = NaN;
  for (const size of sizes) {
    const pool = new WorkerPool({ size });
    try {
      await protectParallel(guard, scores.subarray(0, 40 * K), { pool }); // start the workers
      let got: ProtectResult<Float32Array> | undefined;
      const task = await time(`protectParallel ${size}`, async () => { got = await protectParallel(guard, scores, { pool }); }, { once: true });
      const q = qps(task, rows);
      if (size === 1) oneWorker = q;
      workerRows.push([`protectParallel, ${size} worker${size > 1 ? 's' : ''}`, String(size), (meanMs(task) / 1000).toFixed(2), q.toFixed(1),
        ratio(q, oneWorker), sameRelease(got!, full!) ? 'identical' : 'DIFFERENT']);
    } finally {
      await pool.close();
    }
  }
  console.log(`Worker threads: all ${rows} vectors (${n} logical CPUs)\n`);
  printTable(['run', 'workers', 'seconds', 'queries/s', 'vs 1 worker', 'released vs protect'], workerRows, 1);
  console.log('');

  // ---- Phase I methods ----------------------------------------------------------------------------
  const methods: Array<{ name: string; options: Partial<MemGuardOptions>; result?: ProtectResult<Float32Array>; task?: Task }> = [
    { name: "logits (paper), beta 0.1", options: {}, result: full, task: fullTask },
    { name: 'projected, beta 0.1', options: { method: 'projected' } },
    { name: 'projected, beta 0.01', options: { method: 'projected', search: { beta: 0.01 } } },
  ];
  for (const m of methods) {
    if (m.result) continue;
    const g = new MemGuard({ ...guardOptions, ...m.options });
    m.task = await time(m.name, () => { m.result = g.protect(scores); }, { once: true });
  }
  const undefended = mean(Array.from(full!.g, (g) => Math.abs(g - 0.5)));
  const methodRows = methods.map(({ name, result: r, task }) => {
    const conv = r!.status.map((s, i) => (s === 'converged' ? i : -1)).filter((i) => i >= 0);
    const l1 = mean(conv.map((i) => r!.noiseL1[i]!));
    const overshoot = mean(conv.map((i) => Math.abs(r!.gNoisy[i]! - 0.5)));
    const expected = mean(Array.from(r!.g, (g, i) => Math.abs((1 - r!.mixProbability[i]!) * g + r!.mixProbability[i]! * r!.gNoisy[i]! - 0.5)));
    return [name, l1.toFixed(3), mean(r!.steps).toFixed(1), (conv.length / rows).toFixed(3), overshoot.toFixed(3),
      expected.toFixed(3), (meanMs(task!) / 1000).toFixed(2), qps(task!, rows).toFixed(1)];
  });
  console.log(`Phase I methods on all ${rows} vectors (L1(r) = ||r||_1 and abs(g(s+r) - 0.5) over converged rows; ` +
    `undefended mean abs(g(s) - 0.5) = ${undefended.toFixed(3)}; E over the epsilon = ${EPSILON} coin)\n`);
  printTable(['method', 'mean L1(r)', 'steps/query', 'converged', 'abs(g(s+r)-0.5)', 'abs(E g - 0.5)', 'seconds', 'queries/s'], methodRows, 1);
}

