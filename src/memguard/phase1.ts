// Runs the batched Phase I search (assembly/memguard/phase1.ts): lays out memory, one WASM call per
// batch, and unpacks the per-row report.
import { check } from '../errors.js';
import type { Mlp } from '../nn/mlp.js';

/**
 * Phase I search parameters (SPEC §3); every field defaults to the paper's value.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const search: Phase1Options = { maxSteps: 100, c3Max: 1e3 };  // a cheaper search than the paper's
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, search, coin: { mode: 'seed', seed: 1 } });
 */
export interface Phase1Options {
  /** Weight of the label-keeping hinge. Default 10. */
  c2?: number;
  /** First distortion weight of the c3 search. Default 0.1. */
  c3Start?: number;
  /** Factor between c3 rounds. Default 10. */
  c3Factor?: number;
  /** The search stops once c3 exceeds this. Default 1e5 (7 rounds). */
  c3Max?: number;
  /** Step length of the normalized gradient step. Default 0.1. */
  beta?: number;
  /** Gradient steps per c3 round. Default 299 (the released loop `while j < 300`, j from 1). */
  maxSteps?: number;
  /** No noise when |g(s) - 0.5| <= this. Default 1e-5. */
  tolerance?: number;
  /** phase1Projected only: margin of the label over every other entry. Default 2^-20. */
  margin?: number;
}

/**
 * The paper's Phase I constants (SPEC §3): what every `Phase1Options` field defaults to.
 *
 * @example
 * console.log(PHASE1_DEFAULTS.maxSteps, PHASE1_DEFAULTS.beta); // 299 0.1 (SPEC §3)
 */
export const PHASE1_DEFAULTS: Readonly<Required<Phase1Options>> = Object.freeze({
  c2: 10, c3Start: 0.1, c3Factor: 10, c3Max: 1e5, beta: 0.1, maxSteps: 299, tolerance: 1e-5, margin: 2 ** -20,
});


/**
 * The search method: the paper's logit-space steps, or projected steps on probabilities.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const method: Phase1Method = 'projected';
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, method, coin: { mode: 'seed', seed: 1 } });
 */
export type Phase1Method = 'logits' | 'projected';

/**
 * How Phase I ended for a row: g crossed 0.5 ('converged'), g(s) was already 0.5 ('at-half'), or no noise found ('failed').
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const status: Phase1Status = guard.search([0.7, 0.2, 0.1]).status[0];
 * console.log(status); // 'converged' (g crossed 0.5), 'at-half' (already at 0.5) or 'failed'
 */
export type Phase1Status = 'failed' | 'converged' | 'at-half';
const STATUS: Phase1Status[] = ['failed', 'converged', 'at-half'];
const REPORT = 5; // f64 per row, as PHASE1_REPORT
const OPTIONS = 9; // f64, as PHASE1_OPTIONS

/**
 * Phase I outcome for a batch of rows (columnar, row order kept).
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const batch: Phase1Batch = guard.search([0.7, 0.2, 0.1]);
 * console.log(batch.noise, batch.steps[0], batch.g[0], batch.gNoisy[0]);
 */
export interface Phase1Batch {
  rows: number;
  k: number;
  /** r = s' - s, rows x k, original class order; all zero where the search found nothing. */
  noise: Float32Array;
  /** Gradient steps taken per row over all c3 rounds. */
  steps: Int32Array;
  status: Phase1Status[];
  /** c3 of the last successful round (0 if none). */
  c3: Float64Array;
  /** g(s): the defense classifier's membership probability for the undefended vector. */
  g: Float32Array;
  /** g(sort(s + r)); equals g where there is no noise. */
  gNoisy: Float32Array;
}

/** The search constants with defaults filled in, each checked (the error names the bad one). */
export function resolvePhase1Options(o: Phase1Options): Required<Phase1Options> {
  const v = { ...PHASE1_DEFAULTS, ...o };
  check(Number.isFinite(v.c2) && v.c2 >= 0, () => `phase1: c2 must be a non-negative finite number, got ${v.c2}`);
  for (const name of ['c3Start', 'c3Max', 'beta'] as const) {
    check(Number.isFinite(v[name]) && v[name] > 0, () => `phase1: ${name} must be a positive finite number, got ${v[name]}`);
  }
  check(Number.isFinite(v.c3Factor) && v.c3Factor > 1, () => `phase1: c3Factor must be a finite number > 1, got ${v.c3Factor}`);
  check(Number.isInteger(v.maxSteps) && v.maxSteps >= 1, () => `phase1: maxSteps must be an integer >= 1, got ${v.maxSteps}`);
  check(v.tolerance >= 0 && v.tolerance < 0.5, () => `phase1: tolerance must be in [0, 0.5), got ${v.tolerance}`);
  check(v.margin >= 0 && v.margin < 0.5, () => `phase1: margin must be in [0, 0.5), got ${v.margin}`);
  return v;
}

/** The options block the WASM search reads (PHASE1_OPTIONS f64 values, in its order). */
export function phase1Options(o: Phase1Options & { method?: Phase1Method }): Float64Array {
  const v = resolvePhase1Options(o);
  const method = o.method ?? 'logits';
  check(method === 'logits' || method === 'projected', () => `phase1: method must be 'logits' or 'projected', got ${String(method)}`);
  return Float64Array.of(v.c2, v.c3Start, v.c3Factor, v.c3Max, v.beta, v.maxSteps, v.tolerance, v.margin, method === 'projected' ? 1 : 0);
}

/**
 * Phase I for validated rows: `s` (rows x k probabilities, original order), `logits` (same shape or
 * undefined), `g` the defense classifier (k inputs, one logit output). `batchSize` rows per call.
 */
export function runPhase1(
  g: Mlp, s: Float32Array, rows: number, logits: Float32Array | undefined, options: Float64Array, batchSize: number,
): Phase1Batch {
  const k = g.inputSize;
  const e = g.engine;
  const out: Phase1Batch = {
    rows, k, noise: new Float32Array(rows * k), steps: new Int32Array(rows), status: new Array(rows),
    c3: new Float64Array(rows), g: new Float32Array(rows), gNoisy: new Float32Array(rows),
  };
  const { descriptor, layerCount } = g.memoryLayout;
  const b = Math.max(1, Math.min(batchSize, rows));
  const workBytes = e.abi.phase1WorkspaceBytes(descriptor, layerCount, b, k);
  e.withScratch([b * k, logits ? b * k : 0, 2 * OPTIONS, Math.ceil(workBytes / 4), b * k, 2 * REPORT * b],
    (sPtr, zPtr, optPtr, work, noise, report) => {
      new Float64Array(e.abi.memory.buffer, optPtr, OPTIONS).set(options);
      for (let start = 0; start < rows; start += b) {
        const n = Math.min(b, rows - start);
        e.writeF32(sPtr, s.subarray(start * k, (start + n) * k));
        if (logits) e.writeF32(zPtr, logits.subarray(start * k, (start + n) * k));
        e.abi.phase1(descriptor, layerCount, n, k, sPtr, logits ? zPtr : 0, optPtr, work, noise, report);
        out.noise.set(e.readF32(noise, n * k), start * k);
        const rep = new Float64Array(e.abi.memory.buffer, report, n * REPORT);
        for (let i = 0; i < n; i++) {
          const r = start + i, o = i * REPORT;
          out.steps[r] = rep[o]!;
          out.status[r] = STATUS[rep[o + 1]!]!;
          out.c3[r] = rep[o + 2]!;
          out.g[r] = rep[o + 3]!;
          out.gNoisy[r] = rep[o + 4]!;
        }
      }
    });
  return out;
}
