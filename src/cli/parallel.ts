// The one place the CLI meets the worker pool (src/parallel/): the `--threads` flag, the demo's
// concurrent training of independent models (ExperimentOptions.fitMany), and protect's Phase I
// split across threads. `--threads 1` keeps everything in the main thread.
import { availableParallelism } from 'node:os';
import type { ExperimentOptions } from '../experiment/run.js';
import type { MemGuard, ProtectOptions, ProtectResult } from '../memguard/memguard.js';
import { WorkerPool } from '../parallel/pool.js';
import { fitParallel, PARALLEL_MIN_ROWS, protectAsync } from '../parallel/protect.js';
import { parseIntFlag } from './args.js';
import type { RecipeRunner } from '../compare/defenses.js';
import { loadPredictor } from '../defenses/predictor.js';

/** Upper bound on `--threads` (a typo such as 1000 should not spawn 1000 engines). */
export const MAX_THREADS = 64;

/** The `--threads` value: default the machine's available parallelism. */
export function threadCount(command: string, text: string | undefined): number {
  return text === undefined ? availableParallelism() : parseIntFlag(command, 'threads', text, 1, MAX_THREADS);
}

/** Worker threads for one command; the pool starts on first use and `close()` ends it. */
export class CliPool {
  private pool: WorkerPool | undefined;

  constructor(readonly threads: number) {}

  /** True when work may leave the main thread. */
  get parallel(): boolean {
    return this.threads > 1;
  }

  /**
   * Starts the workers now, so they load while this thread reads its input, when an input of
   * `inputBytes` probably holds enough rows to use them (PARALLEL_MIN_ROWS rows of 64 bytes); else
   * they start on first use, if any (starting them for nothing costs a small input about 15 ms).
   */
  startFor(inputBytes: number): void {
    if (this.parallel && inputBytes >= PARALLEL_MIN_ROWS * 64) this.get();
  }

  private get(): WorkerPool {
    this.pool ??= new WorkerPool({ size: this.threads });
    return this.pool;
  }

  /**
   * ExperimentOptions.fitMany over the pool (the demo trains independent models at once: target and
   * shadow, the membership classifiers, the defense-aware attacks);
   * undefined with one thread, which makes runExperiment train them one after the other here.
   */
  fitMany(): ExperimentOptions['fitMany'] {
    if (!this.parallel) return undefined;
    return (jobs) => fitParallel(jobs, { pool: this.get() });
  }

  /**
   * Runs whole training-time defenses (trainTarget) on the pool, one per worker, the model coming
   * back as a predictor file; undefined with one thread (they run in this thread).
   */
  runRecipe(): RecipeRunner | undefined {
    if (!this.parallel) return undefined;
    return async (task) => {
      const out = await this.get().run('trainTarget', task);
      return { model: loadPredictor(out.model), params: out.params, ...(out.dp ? { dp: out.dp } : {}) };
    };
  }

  /** `guard.protect(rows, options)`, with Phase I over the pool when there are enough rows to split. */
  async protect(guard: MemGuard, rows: Float32Array, options: ProtectOptions): Promise<ProtectResult<Float32Array>> {
    if (!this.parallel) return guard.protect(rows, options);
    // Small batches stay in this thread (protectAsync decides), so the pool starts only when needed.
    return protectAsync(guard, rows, { ...options, pool: rows.length / guard.k >= PARALLEL_MIN_ROWS ? this.get() : undefined, workers: 1 });
  }

  /** Terminates the workers (if any were started). */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}
