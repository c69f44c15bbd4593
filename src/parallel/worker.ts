// The worker-thread side of WorkerPool (src/parallel/pool.ts): one WebAssembly engine per thread,
// one task at a time. Messages in: { id, name, input }. Messages out: { type: 'ready' } once the
// engine is loaded, then per task { id, type: 'progress', data }, and { id, type: 'done', output }
// (its buffers transferred) or { id, type: 'error', error }.
import { parentPort, workerData } from 'node:worker_threads';
import { loadEngine, type Build } from '../wasm/engine.js';
import { TASKS, transferables, type TaskName, type Tasks } from './tasks.js';

/** A request from the pool. */
export interface TaskRequest {
  id: number;
  name: TaskName;
  input: Tasks[TaskName]['input'];
}

/** An error as it crosses the thread boundary (custom Error classes do not survive cloning). */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type TaskReply =
  | { type: 'ready' }
  | { id: number; type: 'progress'; data: unknown }
  | { id: number; type: 'done'; output: unknown }
  | { id: number; type: 'error'; error: SerializedError };

if (!parentPort) throw new Error('src/parallel/worker.ts is a worker-thread entry point; use WorkerPool');
const port = parentPort;
const engine = loadEngine({ build: (workerData as { build?: Build } | undefined)?.build ?? 'auto' });
port.postMessage({ type: 'ready' } satisfies TaskReply);

port.on('message', async (request: TaskRequest) => {
  const { id, name } = request;
  try {
    const handler = TASKS[name] as (e: typeof engine, input: unknown, progress: (p: unknown) => void) => Tasks[TaskName]['output'];
    if (typeof handler !== 'function') throw new TypeError(`WorkerPool: unknown task "${String(name)}"`);
    // A task may return a promise (trainTarget); the pool sends one task at a time, so awaiting keeps that.
    const output = await handler(engine, request.input, (data) => port.postMessage({ id, type: 'progress', data } satisfies TaskReply));
    port.postMessage({ id, type: 'done', output } satisfies TaskReply, transferables(name, output));
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ id, type: 'error', error: { name: e.name, message: e.message, stack: e.stack } } satisfies TaskReply);
  }
});
