// A small pool of worker threads, each with its own WebAssembly engine, running the typed tasks of
// src/parallel/tasks.ts: training a model, and Phase I for a chunk of rows. Results come back with
// their buffers transferred (no copy); errors come back as the library's own error types.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { check, MemGuardFormatError, MemGuardInputError, MemGuardWasmError } from '../errors.js';
import type { EpochInfo } from '../nn/mlp.js';
import type { Phase1Batch } from '../memguard/phase1.js';
import type { Build } from '../wasm/engine.js';
import type { FitTask, FitTaskResult, Phase1Task, TaskName, Tasks } from './tasks.js';
import type { SerializedError, TaskReply, TaskRequest } from './worker.js';

export type { FitTask, FitTaskResult, Phase1Task, TaskName, Tasks };

/**
 * Size and WebAssembly build of a `WorkerPool`.
 *
 * @example
 * const options: WorkerPoolOptions = { size: 2, build: 'scalar' };
 * const pool = new WorkerPool(options);
 * await pool.close();
 */
export interface WorkerPoolOptions {
  /** Number of worker threads; default `os.availableParallelism()`. */
  size?: number;
  /** The WebAssembly build every worker loads (default 'auto': SIMD when supported). */
  build?: Build;
}

export interface RunOptions<P> {
  /** Called in this thread with each progress message of the task (e.g. per-epoch info of a fit). */
  onProgress?: (progress: P) => void;
  /** Input buffers to hand to the worker instead of copying them; they are unusable here afterwards. */
  transfer?: ArrayBuffer[];
}

interface Job {
  id: number;
  name: TaskName;
  input: unknown;
  transfer: ArrayBuffer[];
  onProgress?: (progress: never) => void;
  callbackError?: unknown;
  resolve(output: unknown): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  ready: boolean;
  dead: boolean;
}

// Errors rebuilt by name, so `instanceof MemGuardInputError` works on a worker's error.
const ERROR_TYPES: Record<string, new (message: string) => Error> = {
  MemGuardInputError, MemGuardFormatError, MemGuardWasmError,
  Error, RangeError, TypeError, SyntaxError, ReferenceError, EvalError, URIError,
};

function revive(e: SerializedError): Error {
  const err = new (ERROR_TYPES[e.name] ?? Error)(e.message);
  if (err.name !== e.name) Object.defineProperty(err, 'name', { value: e.name, configurable: true, writable: true });
  err.stack = `${e.stack ?? `${e.name}: ${e.message}`}\n    at <worker thread>`;
  return err;
}

// dist/parallel/worker.js when compiled. From source, the .js does not exist: Node 20 does not apply
// `--import tsx` loader hooks to a worker's entry point (nodejs/node#47747, privatenumber/tsx#354),
// so a two-line bootstrap registers tsx in the worker, then imports worker.ts.
const JS_ENTRY = new URL('./worker.js', import.meta.url);
const TS_ENTRY = new URL('./worker.ts', import.meta.url);

function spawn(build: Build): Worker {
  const workerData = { build };
  if (existsSync(fileURLToPath(JS_ENTRY))) return new Worker(JS_ENTRY, { workerData });
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    throw new Error(`WorkerPool: ${fileURLToPath(JS_ENTRY)} does not exist (build with tsc) and tsx is not installed to run worker.ts`);
  }
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(TS_ENTRY.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * Worker threads with one WebAssembly engine each. Tasks queue and go to the next idle worker; an
 * idle pool does not keep the process alive, and `close()` terminates the workers.
 *
 * @example
 * const pool = new WorkerPool({ size: 2 });
 * const job = (seed: number) => ({ model: Mlp.create([2, 4, 2], { seed }), x: [0, 1, 1, 0], y: [1, 0], options: { epochs: 5 } });
 * const [a, b] = await fitParallel([job(1), job(2)], { pool }); // both train at once, each in a worker
 * await pool.close();
 */
export class WorkerPool {
  readonly size: number;
  readonly build: Build;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closing = false;
  private failure: Error | undefined;

  constructor(options: WorkerPoolOptions = {}) {
    this.size = options.size ?? availableParallelism();
    check(Number.isInteger(this.size) && this.size >= 1, () => `WorkerPool: size must be an integer >= 1, got ${options.size}`);
    this.build = options.build ?? 'auto';
    check(['auto', 'simd', 'scalar'].includes(this.build), () => `WorkerPool: build must be 'auto', 'simd' or 'scalar', got ${String(this.build)}`);
    for (let i = 0; i < this.size; i++) this.addWorker();
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.closing;
  }

  /** Runs task `name` on the next idle worker. */
  run<K extends TaskName>(name: K, input: Tasks[K]['input'], options: RunOptions<Tasks[K]['progress']> = {}): Promise<Tasks[K]['output']> {
    if (this.closing) return Promise.reject(new Error('WorkerPool: the pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({
        id: this.nextId++, name, input, transfer: options.transfer ?? [], onProgress: options.onProgress as Job['onProgress'],
        resolve: resolve as (o: unknown) => void, reject,
      });
      this.dispatch();
    });
  }

  /** Trains a model from its initial parameters; `onEpoch` is relayed from the worker. */
  fit(task: FitTask, onEpoch?: (info: EpochInfo) => void, transfer?: ArrayBuffer[]): Promise<FitTaskResult> {
    return this.run('fit', task, { onProgress: onEpoch, transfer });
  }

  /** Phase I for a chunk of validated rows. */
  phase1(task: Phase1Task, transfer?: ArrayBuffer[]): Promise<Phase1Batch> {
    return this.run('phase1', task, { transfer });
  }

  /** Terminates every worker; queued and running tasks are rejected. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Error('WorkerPool: the pool was closed before the task finished');
    for (const job of this.queue.splice(0)) job.reject(closed);
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.dead = true;
      slot.job?.reject(closed);
      slot.job = undefined;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private addWorker(): void {
    const slot: Slot = { worker: spawn(this.build), ready: false, dead: false };
    slot.worker.on('message', (msg: TaskReply) => this.onMessage(slot, msg));
    slot.worker.on('error', (err) => this.retire(slot, err));
    slot.worker.on('exit', (code) => this.retire(slot, new Error(`WorkerPool: a worker exited unexpectedly (code ${code})`)));
    // After the listeners: adding a 'message' listener refs the worker again.
    slot.worker.unref();
    this.slots.push(slot);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job || slot.dead) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      try {
        const request: TaskRequest = { id: job.id, name: job.name, input: job.input as TaskRequest['input'] };
        slot.worker.postMessage(request, job.transfer);
      } catch (err) {
        // e.g. DataCloneError: the input was not transferable data; the worker never saw it.
        slot.job = undefined;
        slot.worker.unref();
        job.reject(err);
      }
    }
  }

  private onMessage(slot: Slot, msg: TaskReply): void {
    if (msg.type === 'ready') {
      slot.ready = true;
      return;
    }
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    if (msg.type === 'progress') {
      try {
        job.onProgress?.(msg.data as never);
      } catch (err) {
        job.callbackError ??= err;
      }
      return;
    }
    slot.job = undefined;
    slot.worker.unref();
    if (job.callbackError !== undefined) job.reject(job.callbackError);
    else if (msg.type === 'done') job.resolve(msg.output);
    else job.reject(revive(msg.error));
    this.dispatch();
  }

  /** A worker died (uncaught error, or exit while the pool is open): fail its task and replace it. */
  private retire(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    slot.job?.reject(err);
    slot.job = undefined;
    if (this.closing) return;
    if (!slot.ready) {
      // It never started (e.g. the entry point failed to load): replacing it would fail the same way.
      this.failure = err;
      for (const job of this.queue.splice(0)) job.reject(err);
      for (const other of this.slots.splice(0)) {
        other.dead = true;
        other.job?.reject(err);
        void other.worker.terminate();
      }
      return;
    }
    this.addWorker();
    this.dispatch();
  }
}
