// MemGuard and model training across worker threads. Phase I (the costly search) is split by rows
// over the pool; Phase II (coin, release) runs here, through the MemGuard instance, so results are
// identical to `guard.protect` bit for bit. Independent models train at once, one per worker.
import { availableParallelism } from 'node:os';
import { check } from '../errors.js';
import type { MemGuard, ProtectOptions, ProtectResult } from '../memguard/memguard.js';
import { emptyPhase1Batch, mergePhase1, runPhase1, type Phase1Batch } from '../memguard/phase1.js';
import { outputLike, toLabels, toRows, toTargets, type MatrixInput, type MatrixOutput, type VectorInput } from '../nn/matrix.js';
import { isSoft, toSoftTargets } from '../nn/training.js';
import type { FitJob, Mlp } from '../nn/mlp.js';
import { resolveBuild, type Engine } from '../wasm/engine.js';
import { WorkerPool } from './pool.js';

/**
 * Where parallel work runs: an existing pool, or a temporary one of `workers` threads.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 });
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const options: ParallelOptions = { workers: 2 };  // or { pool } to reuse one
 * await protectParallel(guard, [0.7, 0.2, 0.1], options);
 */
export interface ParallelOptions {
  /** A pool to run on (left open). Without one, a pool of `workers` threads is made and closed. */
  pool?: WorkerPool;
  /** Threads of the temporary pool; default `os.availableParallelism()`. */
  workers?: number;
}

/** Below this many rows per chunk, splitting costs more (messages, model copies) than it saves. */
const MIN_CHUNK_ROWS = 16;
/** Chunks per worker: rows finish at different steps, so several smaller chunks balance the load. */
const CHUNKS_PER_WORKER = 4;

/**
 * Runs `fn` on the given pool or on a temporary one. The workers must run the same WebAssembly build
 * as `engine` (the builds round differently), or the results would not be the in-thread ones.
 */
async function withPool<T>(options: ParallelOptions, engine: Engine, fn: (pool: WorkerPool) => Promise<T>): Promise<T> {
  const build = engine.build;
  if (options.pool) {
    check(!options.pool.closed, () => 'parallel: the given pool is closed');
    const poolBuild = resolveBuild(options.pool.build);
    check(poolBuild === build,
      () => `parallel: the pool's workers run the ${poolBuild} build but the model runs on the ${build} build; results would differ`);
    return fn(options.pool);
  }
  const pool = new WorkerPool({ size: options.workers, build });
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

/** Row ranges [start, end) splitting `rows` into about `CHUNKS_PER_WORKER` per worker. */
function chunkRanges(rows: number, workers: number): Array<[number, number]> {
  const count = Math.max(1, Math.min(workers * CHUNKS_PER_WORKER, Math.floor(rows / MIN_CHUNK_ROWS)));
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) ranges.push([Math.floor((rows * i) / count), Math.floor((rows * (i + 1)) / count)]);
  return ranges;
}

/**
 * Batches of at least this many rows go to worker threads in `protectAsync` (and the CLI); smaller
 * ones run in the calling thread, where they cost less than the messages.
 *
 * @example
 * console.log(PARALLEL_MIN_ROWS); // 256
 */
export const PARALLEL_MIN_ROWS = 256;

/** Pools `protectAsync` starts for itself, one per WebAssembly build (idle workers do not keep the process alive). */
const sharedPools = new Map<string, WorkerPool>();

function sharedPool(engine: Engine): WorkerPool {
  const build = engine.simd ? 'simd' : 'scalar';
  let pool = sharedPools.get(build);
  if (!pool || pool.closed) {
    pool = new WorkerPool({ size: availableParallelism(), build });
    sharedPools.set(build, pool);
  }
  return pool;
}

/**
 * `guard.protect(rows, options)` on every core: the documented way to protect large batches on
 * Node. Batches of `PARALLEL_MIN_ROWS` rows or more have their Phase I split over worker threads
 * (by default a pool of `os.availableParallelism()` threads that this module starts on first use
 * and keeps; pass `pool` to use your own, or `workers` for a temporary one); smaller batches run
 * in this thread. The results are identical to `guard.protect`'s bit for bit either way.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 });
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'key', key: Uint8Array.from({ length: 16 }, (_, i) => i * 37 + 5) } });
 * const scores = Array.from({ length: 300 }, (_, i) => [0.5 + (i % 5) / 20, 0.3 - (i % 5) / 20, 0.2]);
 * const { released } = await protectAsync(guard, scores); // === guard.protect(scores).released, on every core
 */
export async function protectAsync<X extends MatrixInput>(
  guard: MemGuard, rows: X, options: ProtectOptions & ParallelOptions = {},
): Promise<ProtectResult<MatrixOutput<X>>> {
  return protectOn(guard, rows, options, PARALLEL_MIN_ROWS);
}

/**
 * `guard.protect(rows, options)` with Phase I split over worker threads whatever the batch size
 * (see `protectAsync`, which keeps small batches in this thread). Results identical to `protect`'s.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 });
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'key', key: Uint8Array.from({ length: 16 }, (_, i) => i * 37 + 5) } });
 * const scores = Array.from({ length: 64 }, (_, i) => [0.5 + (i % 5) / 20, 0.3 - (i % 5) / 20, 0.2]);
 * const pool = new WorkerPool({ size: 2 });
 * const { released } = await protectParallel(guard, scores, { pool }); // === guard.protect(scores).released
 * await pool.close();
 */
export async function protectParallel<X extends MatrixInput>(
  guard: MemGuard, rows: X, options: ProtectOptions & ParallelOptions = {},
): Promise<ProtectResult<MatrixOutput<X>>> {
  return protectOn(guard, rows, options, 1);
}

/**
 * Phase I split by rows over a pool when there are at least `minRows` rows (Phase I does not depend
 * on how rows are batched), Phase II here, in row order, through `guard`: so `protect`'s results.
 */
async function protectOn<X extends MatrixInput>(
  guard: MemGuard, rows: X, options: ProtectOptions & ParallelOptions, minRows: number,
): Promise<ProtectResult<MatrixOutput<X>>> {
  const { pool, workers, input, ...release } = options;
  const output = outputLike(rows, 'protect rows');
  const job = guard.searchJob(rows, input ?? 'probabilities');
  const { k } = job;
  const g = guard.defenseClassifier;
  let phase1: Phase1Batch;
  if (job.rows === 0 || job.rows < minRows) {
    phase1 = runPhase1(g, job.scores, job.rows, job.logits, job.options, job.batchSize);
  } else {
    phase1 = emptyPhase1Batch(job.rows, k);
    const given = pool ?? (workers === undefined ? sharedPool(g.engine) : undefined);
    await withPool({ pool: given, workers }, g.engine, async (p) => {
      const defenseClassifier = g.parameters();
      await Promise.all(chunkRanges(job.rows, p.size).map(async ([start, end]) => {
        const scores = job.scores.slice(start * k, end * k);
        const logits = job.logits?.slice(start * k, end * k);
        const part = await p.phase1(
          { defenseClassifier, scores, rows: end - start, logits, options: job.options, batchSize: job.batchSize },
          logits ? [scores.buffer, logits.buffer] : [scores.buffer],
        );
        mergePhase1(phase1, part, start);
      }));
    });
  }
  const result = guard.releaseSearch({ ...phase1, scores: job.scores, logits: job.logits }, release);
  return { ...result, released: output(result.released, job.rows, k) };
}

/**
 * Trains independent models at once (e.g. the target and the shadow model), each in a worker.
 * Every model ends with exactly the parameters `model.fit(x, y, options)` would give it (trained in
 * place); the promise resolves to the models, in order.
 *
 * @example
 * const job = (seed: number) => ({ model: Mlp.create([2, 4, 2], { seed }), x: [0, 1, 1, 0], y: [1, 0], options: { epochs: 5 } });
 * const [target, shadow] = await fitParallel([job(1), job(2)], { workers: 2 });
 */
export async function fitParallel(jobs: readonly FitJob[], options: ParallelOptions = {}): Promise<Mlp[]> {
  const tasks = jobs.map(({ model, x, y, options: fit }, i) => {
    const what = `fitParallel job ${i}`;
    const { data, rows } = toRows(x, model.inputSize, `${what} x`);
    const head = model.head;
    check(head === 'softmax' || head === 'sigmoid', () => `${what}: a "${head}" head has no loss; use softmax or sigmoid`);
    const soft = isSoft(y) ? toSoftTargets(y.soft, rows, model.outputSize, head).slice() : undefined;
    const labels = soft ?? (head === 'softmax' ? toLabels(y as VectorInput, rows, model.outputSize, `${what} y`) : toTargets(y as VectorInput, rows, `${what} y`));
    const { onEpoch, lossGradient, ...rest } = fit;
    // A function cannot cross to a worker thread.
    check(lossGradient === undefined, () => `${what}: a lossGradient hook cannot run in a worker; train this model with model.fit`);
    return { model, onEpoch, task: { layers: model.parameters(), x: data.slice(), y: labels, ...(soft ? { soft: true } : {}), options: rest } };
  });
  if (tasks.length === 0) return [];
  const workers = Math.min(options.workers ?? availableParallelism(), tasks.length);
  const engine = jobs[0]!.model.engine;
  check(jobs.every((j) => j.model.engine.build === engine.build), () => 'fitParallel: the models run on different WebAssembly builds (relaxed, simd, scalar); train them in separate calls');
  await withPool({ pool: options.pool, workers }, engine, (pool) =>
    Promise.all(tasks.map(async ({ model, onEpoch, task }) => {
      const transfer = [task.x.buffer, task.y.buffer as ArrayBuffer, ...task.layers.flatMap((l) => [l.weight.buffer, l.bias.buffer])];
      const trained = await pool.fit(task, onEpoch, transfer as ArrayBuffer[]);
      model.setParameters(trained.layers);
    })));
  return jobs.map((j) => j.model);
}
