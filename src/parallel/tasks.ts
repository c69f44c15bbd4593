// The work a WorkerPool runs, as plain functions of (engine, input, progress): each worker thread
// calls them with its own engine (src/parallel/worker.ts). Inputs and outputs are structured-clone
// data (typed arrays, numbers, strings); `transferables` lists the buffers an output can hand over
// without a copy.
import { Mlp, type EpochInfo, type FitOptions, type LayerParameters } from '../nn/mlp.js';
import { phase1Buffers, runPhase1, type Phase1Batch } from '../memguard/phase1.js';
import { serializePredictor } from '../defenses/predictor.js';
import type { TrainProgress } from '../defenses/recipe.js';
import { trainTarget, type TrainTargetOptions } from '../defenses/train.js';
import type { Engine } from '../wasm/engine.js';

/** Training one model: its initial parameters, the data, and `FitOptions` without the callback. */
export interface FitTask {
  layers: LayerParameters[];
  /** rows x layers[0].in, row-major. */
  x: Float32Array;
  /** Integer labels (softmax head) or targets in [0, 1] (sigmoid head), one per row. */
  y: Int32Array | Float32Array;
  /** y holds soft targets, rows x classes (a softmax head's `{ soft }`). */
  soft?: boolean;
  options: Omit<FitOptions, 'onEpoch' | 'lossGradient'>;
}

/** The trained parameters and the mean loss of every epoch. */
export interface FitTaskResult {
  layers: LayerParameters[];
  loss: number[];
}

/** Phase I for a chunk of validated rows (see `MemGuard.searchJob`). */
export interface Phase1Task {
  /** The defense classifier's layers (k inputs, one logit output). */
  defenseClassifier: LayerParameters[];
  /** rows x k probabilities, original class order. */
  scores: Float32Array;
  rows: number;
  /** The target model's logits for the rows (same shape), when the caller gave logits. */
  logits?: Float32Array;
  /** Phase I settings as packed by `phase1Options`. */
  options: Float64Array;
  /** Rows per WebAssembly call. */
  batchSize: number;
}

/**
 * A worker's memory: its WebAssembly memory, the part of it allocated, and its JS heap (bytes).
 *
 * @example
 * const memory: WorkerMemory = { wasmBytes: 2 ** 20, wasmInUse: 65536, jsHeapUsed: 4e6 };
 */
export interface WorkerMemory {
  wasmBytes: number;
  wasmInUse: number;
  jsHeapUsed: number;
}

/** A whole training-time defense (design §10) in one worker: `trainTarget`'s options without callbacks (sub-models train one after another there). */
export type TrainTargetTask = Omit<TrainTargetOptions, 'onProgress' | 'fitMany'>;

/** The trained target as a predictor file (`loadPredictor`), with `trainTarget`'s params and DP accounting. */
export interface TrainTargetTaskResult {
  model: string;
  params: Record<string, number | string | number[]>;
  dp?: Record<string, number>;
}

/** Every task: its input, its output and what it reports while running. */
export interface Tasks {
  fit: { input: FitTask; output: FitTaskResult; progress: EpochInfo };
  phase1: { input: Phase1Task; output: Phase1Batch; progress: never };
  memory: { input: null; output: WorkerMemory; progress: never };
  trainTarget: { input: TrainTargetTask; output: TrainTargetTaskResult; progress: TrainProgress };
}

export type TaskName = keyof Tasks;

type Handler<K extends TaskName> = (engine: Engine, input: Tasks[K]['input'], progress: (p: Tasks[K]['progress']) => void) => Tasks[K]['output'];

/** The task implementations, by name. */
export const TASKS: { [K in TaskName]: Handler<K> } = {
  fit(engine, task, progress) {
    const mlp = Mlp.fromParameters(task.layers, engine);
    try {
      const { loss } = mlp.fit(task.x, task.soft ? { soft: task.y } : task.y, { ...task.options, onEpoch: progress });
      return { layers: mlp.parameters(), loss };
    } finally {
      mlp.dispose();
    }
  },
  phase1(engine, task) {
    const g = Mlp.fromParameters(task.defenseClassifier, engine);
    try {
      return runPhase1(g, task.scores, task.rows, task.logits, task.options, task.batchSize);
    } finally {
      g.dispose();
    }
  },
  // Async work in a worker: the pool awaits the promise (see worker.ts).
  trainTarget(_engine, task, progress) {
    return trainTarget({ ...task, onProgress: progress }).then((t) => {
      const out = { model: serializePredictor(t.model), params: t.params, ...(t.dp ? { dp: { ...t.dp } } : {}) };
      t.model.dispose();
      return out;
    }) as unknown as TrainTargetTaskResult;
  },
  memory(engine) {
    return { wasmBytes: engine.abi.memory.buffer.byteLength, wasmInUse: engine.heap.bytesInUse, jsHeapUsed: process.memoryUsage().heapUsed };
  },
};

/** The buffers of a task's output that can be transferred rather than copied. */
export function transferables(name: TaskName, output: Tasks[TaskName]['output']): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  const add = (a: ArrayBufferView) => {
    if (a.buffer instanceof ArrayBuffer && !buffers.includes(a.buffer)) buffers.push(a.buffer);
  };
  if (name === 'memory' || name === 'trainTarget') return buffers;
  if (name === 'fit') for (const l of (output as FitTaskResult).layers) { add(l.weight); add(l.bias); }
  else {
    const b = output as Phase1Batch;
    for (const a of phase1Buffers(b)) add(a);
  }
  return buffers;
}
