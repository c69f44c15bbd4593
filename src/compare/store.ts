// Resuming `memguard compare`: every trained model is written to the output folder as soon as its
// training ends, under a hash of everything that determines it (initial parameters, data, targets,
// fit options). A restarted run with the same options computes the same hashes and loads instead of
// training, so a killed run loses at most the trainings that were under way. Node only (files).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/files.js';
import type { MatrixInput, VectorInput } from '../nn/matrix.js';
import { parseModel, serializeModel } from '../nn/modelFile.js';
import type { FitJob, LayerParameters, Mlp } from '../nn/mlp.js';

/** Trains jobs in place (as `ExperimentOptions.fitMany`). */
export type FitMany = (jobs: FitJob[]) => Promise<unknown>;

function bytesOf(a: MatrixInput | VectorInput): Uint8Array {
  if (ArrayBuffer.isView(a)) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  // Plain arrays (nested or flat): their float32 values, as the engine would read them.
  const flat = (Array.isArray(a) ? (a as unknown[]).flat(2) : []) as number[];
  const f = Float32Array.from(flat);
  return new Uint8Array(f.buffer);
}

/**
 * The key of one training: sha256 over the model's layer shapes and initial parameters, its inputs,
 * targets and fit options (callbacks left out); 24 hex digits.
 *
 * @example
 * const job = { model: Mlp.create([2, 2], { seed: 1 }), x: new Float32Array([0, 1]), y: new Int32Array([1]), options: { epochs: 3 } };
 * console.log(trainingKey(job)); // the same for an identical job, different for any other seed, data or option
 */
export function trainingKey(job: FitJob): string {
  const h = createHash('sha256');
  for (const l of job.model.parameters()) {
    h.update(`${l.in}x${l.out}:${l.activation};`);
    h.update(new Uint8Array(l.weight.buffer, l.weight.byteOffset, l.weight.byteLength));
    h.update(new Uint8Array(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength));
  }
  h.update(`x:${job.x instanceof Float32Array ? 'f32' : typeof job.x};`);
  h.update(bytesOf(job.x));
  const y = job.y;
  if (typeof y === 'object' && y !== null && 'soft' in y) {
    h.update('y:soft;');
    h.update(bytesOf(y.soft));
  } else {
    h.update(`y:${y instanceof Int32Array ? 'i32' : y instanceof Float32Array ? 'f32' : 'other'};`);
    h.update(bytesOf(y as VectorInput));
  }
  const { onEpoch: _ignored, ...options } = job.options;
  h.update(JSON.stringify(options));
  return h.digest('hex').slice(0, 24);
}

/**
 * A key from raw parts (typed arrays by their bytes, anything else by its JSON): for trainings that
 * are not a `FitJob` (NN-AT).
 *
 * @example
 * console.log(keyOf('nn-at', new Float32Array([1, 2]), { rho: 0.3 })); // 24 hex digits
 */
export function keyOf(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    if (ArrayBuffer.isView(p)) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    else h.update(JSON.stringify(p) ?? 'undefined');
    h.update('|');
  }
  return h.digest('hex').slice(0, 24);
}

/** How many trainings ran and how many were loaded from the folder. */
export interface StoreCounts {
  trained: number;
  loaded: number;
}

/**
 * A folder of trained models keyed by `trainingKey`, and a `fitMany` that uses it: each job whose
 * model is in the folder is loaded (no training); the others are trained by the given `fitMany`,
 * one call per job so each model is written the moment it is done.
 *
 * @example
 * const store = new ModelStore(join(tmpdir(), 'memguard-models'));
 * const fit = store.fitMany(async (jobs) => { for (const j of jobs) j.model.fit(j.x, j.y, j.options); });
 * await fit([job]);              // trains and writes the model
 * await fit([sameJobAgain]);     // loads it: store.counts.loaded === 1
 */
export class ModelStore {
  readonly counts: StoreCounts = { trained: 0, loaded: 0 };

  constructor(readonly dir: string) {}

  private path(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  /** Loads the job's trained parameters into its model when stored; true when it did. */
  load(job: FitJob, key = trainingKey(job)): boolean {
    const path = this.path(key);
    if (!existsSync(path)) return false;
    let layers;
    try {
      layers = parseModel(readFileSync(path, 'utf8'));
    } catch {
      return false; // a damaged file (e.g. a disk that filled up) is retrained, not trusted
    }
    job.model.setParameters(layers);
    this.counts.loaded++;
    return true;
  }

  save(job: FitJob, key: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.path(key), serializeModel(job.model));
    this.counts.trained++;
  }

  /**
   * A model trained by `train` (e.g. NN-AT, which trains its own way), loaded instead when a model
   * with the same `key` (a hash of everything that determines it) is stored.
   */
  cached(key: string, train: () => Mlp, load: (layers: LayerParameters[]) => Mlp): Mlp {
    const path = this.path(key);
    if (existsSync(path)) {
      try {
        const model = load(parseModel(readFileSync(path, 'utf8')));
        this.counts.loaded++;
        return model;
      } catch { /* retrain a damaged file */ }
    }
    const model = train();
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(path, serializeModel(model));
    this.counts.trained++;
    return model;
  }

  /** Text produced by `produce` (e.g. a whole defense's training, as JSON), or the stored text under `key`. */
  async cachedText(key: string, produce: () => Promise<string>): Promise<string> {
    const path = this.path(key);
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text.endsWith('\n')) { this.counts.loaded++; return text; }
    }
    const text = await produce();
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(path, text.endsWith('\n') ? text : text + '\n');
    this.counts.trained++;
    return text;
  }

  /** `fitMany` through the store: stored models load, the rest train (concurrently) and are saved. */
  fitMany(train: FitMany, onLoaded?: (job: FitJob) => void): FitMany {
    return async (jobs) => {
      const todo: Array<{ job: FitJob; key: string }> = [];
      for (const job of jobs) {
        // A custom loss is code, which no key can capture: such a job always trains.
        if (job.options.lossGradient) { todo.push({ job, key: '' }); continue; }
        const key = trainingKey(job);
        if (this.load(job, key)) onLoaded?.(job);
        else todo.push({ job, key });
      }
      await Promise.all(todo.map(async ({ job, key }) => {
        await train([job]);
        if (key) this.save(job, key);
      }));
    };
  }
}
