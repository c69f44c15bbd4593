// The demo page's module worker: loads the engine and the defense classifier, then runs
// MemGuard.protect on the evaluation rows in chunks (Phase I is the costly part: seconds for 2,000
// rows), posting progress after each chunk so the page stays responsive and can show it.
// Protocol: in `WorkerRequest`; out `WorkerMessage` (progress*, then done or error).
import { MemGuard } from '../memguard/memguard.js';
import { loadModel, type ModelFile } from '../nn/modelFile.js';
import { initEngine, simdSupported, type ResolvedBuild } from '../wasm/engine.js';

export interface WorkerRequest {
  defenseClassifier: ModelFile;
  /** The target model's logits, rows x k. */
  logits: Float32Array;
  k: number;
  /** Rows per protect() call between progress messages. */
  chunk: number;
}

/** What protect() gave, concatenated over chunks (row order kept). */
export interface WorkerResult {
  scores: Float32Array;
  noisy: Float32Array;
  noiseL1: Float64Array;
  g: Float32Array;
  gNoisy: Float32Array;
  steps: Int32Array;
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number; build: ResolvedBuild }
  | ({ type: 'done'; seconds: number; build: ResolvedBuild } & WorkerResult)
  | { type: 'error'; message: string };

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

async function run({ defenseClassifier, logits, k, chunk }: WorkerRequest): Promise<void> {
  const started = performance.now();
  // The page checks its candidates bit for bit against ones shipped from Node: the SIMD (or scalar,
  // same bits) build, never the relaxed one, whose fused multiply-adds round differently.
  const engine = await initEngine({ build: simdSupported() ? 'simd' : 'scalar' });
  const build = engine.build;
  // The coin does not matter here: the page applies Phase II itself for every epsilon and mixing
  // rule (closed form); epsilon = Infinity only makes protect() report every candidate.
  const guard = new MemGuard({ defenseClassifier: loadModel(defenseClassifier, engine), epsilon: Infinity, coin: { mode: 'expectation' } });
  const rows = logits.length / k;
  const out: WorkerResult = {
    scores: new Float32Array(rows * k), noisy: new Float32Array(rows * k), noiseL1: new Float64Array(rows),
    g: new Float32Array(rows), gNoisy: new Float32Array(rows), steps: new Int32Array(rows),
  };
  scope.postMessage({ type: 'progress', done: 0, total: rows, build });
  for (let start = 0; start < rows; start += chunk) {
    const end = Math.min(rows, start + chunk);
    const r = guard.protect(logits.subarray(start * k, end * k), { input: 'logits' });
    out.scores.set(r.scores, start * k);
    out.noisy.set(r.noisy, start * k);
    out.noiseL1.set(r.noiseL1, start);
    out.g.set(r.g, start);
    out.gNoisy.set(r.gNoisy, start);
    out.steps.set(r.steps, start);
    scope.postMessage({ type: 'progress', done: end, total: rows, build });
  }
  const seconds = (performance.now() - started) / 1000;
  scope.postMessage({ type: 'done', seconds, build, ...out },
    [out.scores.buffer, out.noisy.buffer, out.noiseL1.buffer, out.g.buffer, out.gNoisy.buffer, out.steps.buffer]);
}

scope.onmessage = (event) => {
  run(event.data).catch((err: unknown) => scope.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
};
