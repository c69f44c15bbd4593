// Runs the batched Phase I search (assembly/memguard/phase1.ts): lays out memory, one WASM call per
// batch, and unpacks the per-row report.
import { check } from '../errors.js';
import type { Mlp } from '../nn/mlp.js';

/**
 * Phase I search parameters (design §3); every field defaults to the paper's value.
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
  /**
   * true: the paper-literal search, every failing round runs all `maxSteps` steps. Default false:
   * rounds that cannot succeed end early (a repeated search state; a stalled search, see
   * `stallSteps` and `deepStallSteps`), which gives the same noise, status and c3 as the literal search (see
   * BENCHMARKS.md "Phase I early stop" for how this was established) at a fraction of the steps.
   */
  literal?: boolean;
  /**
   * 'lossless' (default): the early stop above. 'fast': trades a little for speed: the stall rule
   * fires after `FAST_STALL_STEPS` steps without progress, without the dominance and band guards
   * (measured against the default in BENCHMARKS.md "Phase I fast mode": 1992 of 2,000 Location
   * rows end on the same round; the attacks and distortion are compared there).
   */
  mode?: Phase1Mode;
  /**
   * The stall rule of the early stop (see STOP_STALL in assembly/memguard/phase1.ts): a round whose
   * progress towards g = 0.5 has not improved for `stallSteps` steps (default 64) while the label
   * was kept, the distortion term dominated (`stallDominance` x half the range of dh/ds' <= c3,
   * default 1.1) and the crossing stayed `stallBand` (default 4) times farther than the stall's
   * wiggle ends as failed. Infinity turns the rule off (leaving the other rules). The defaults are
   * the measured lossless setting (no difference from the literal search on 72,000 rows, with a
   * margin of 2 on the window): change them and the results may differ from the literal search
   * (dominance 1 and band 1 gain 1.4x on Location but differ on 3 of 70,000 random rows).
   */
  stallSteps?: number;
  stallDominance?: number;
  stallBand?: number;
  /**
   * The deep-stall rule of the early stop (STOP_DEEP_STALL in assembly/memguard/phase1.ts): the
   * stall rule in a deeper trap (`deepStallDominance`, default 1.1; the crossing `deepStallBand`,
   * default 8, times farther than the wiggle) and so a shorter window, `deepStallSteps` (default
   * 24). Infinity turns it off. Measured defaults, like the stall rule's.
   */
  deepStallSteps?: number;
  deepStallDominance?: number;
  deepStallBand?: number;
  /**
   * Fixed work per row (design §7 timing channel): false (default) or a tick budget B (true = 512):
   * every row takes exactly B forward/backward passes of g, padding with masked passes when it is
   * done sooner, so a batch's running time does not depend on its rows. A search still running at
   * its B-th pass stops there with its last success (rare at B = 512 with the early stop: see
   * BENCHMARKS.md). Costs B passes per row instead of the search's own (about 20-60).
   */
  fixedWork?: boolean | number;
}

/**
 * How Phase I ends hopeless c3 rounds: 'lossless' (default, the literal search's results) or 'fast'.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const mode: Phase1Mode = 'fast';
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, search: { mode }, coin: { mode: 'seed', seed: 1 } });
 */
export type Phase1Mode = 'lossless' | 'fast';

/**
 * The stall length at which `mode: 'fast'` ends a round.
 *
 * @example
 * console.log(FAST_STALL_STEPS); // 8
 */
export const FAST_STALL_STEPS = 8;

/**
 * The budget of passes of g per row that `search: { fixedWork: true }` stands for.
 *
 * @example
 * console.log(FIXED_WORK_TICKS); // 512
 */
export const FIXED_WORK_TICKS = 512;

/**
 * The paper's Phase I constants (design §3): what every `Phase1Options` field defaults to.
 *
 * @example
 * console.log(PHASE1_DEFAULTS.maxSteps, PHASE1_DEFAULTS.beta); // 299 0.1 (design §3)
 */
export const PHASE1_DEFAULTS: Readonly<Required<Phase1Options>> = Object.freeze({
  c2: 10, c3Start: 0.1, c3Factor: 10, c3Max: 1e5, beta: 0.1, maxSteps: 299, tolerance: 1e-5, margin: 2 ** -20,
  literal: false, mode: 'lossless', stallSteps: 64, stallDominance: 1.1, stallBand: 4,
  deepStallSteps: 24, deepStallDominance: 1.1, deepStallBand: 8, fixedWork: false,
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
const REPORT = 10; // f64 per row, as PHASE1_REPORT
const OPTIONS = 17; // f64, as PHASE1_OPTIONS
// Early-stop rule bits and codes, as STOP_* in assembly/memguard/phase1.ts.
const STOP_CYCLE = 1, STOP_STALL = 2, STOP_DEEP_STALL = 8;

/**
 * What ended a row's last c3 round before `maxSteps`: nothing, a repeated state, a stall, the tick budget.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 });
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const stops: Phase1Stop[] = guard.search([[0.7, 0.2, 0.1]]).stop; // diagnostics: never return them to callers
 */
export type Phase1Stop = 'none' | 'cycle' | 'stall' | 'deep-stall' | 'budget';
const STOPS: Record<number, Phase1Stop> = { 0: 'none', 1: 'cycle', 2: 'stall', 4: 'budget', 8: 'deep-stall' };

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
  /**
   * Diagnostics of the search's cost (never return them to callers: the work a query takes is a
   * membership signal, design §7). ticks: forward/backward passes of g the row took part in (equal
   * for every row under `fixedWork`); stop: the rule that ended the last round early; stopStep:
   * its in-round step; longestStall, longestDeepStall: the longest stretch a stall rule counted
   * in a round that went on to succeed (the rule's margin: it must stay below the rule's window).
   */
  ticks: Int32Array;
  stop: Phase1Stop[];
  stopStep: Int32Array;
  longestStall: Int32Array;
  longestDeepStall: Int32Array;
}

/** An empty Phase1Batch for `rows` rows of width k (filled by `runPhase1` or merged chunks). */
export function emptyPhase1Batch(rows: number, k: number): Phase1Batch {
  return {
    rows, k, noise: new Float32Array(rows * k), steps: new Int32Array(rows), status: new Array(rows),
    c3: new Float64Array(rows), g: new Float32Array(rows), gNoisy: new Float32Array(rows),
    ticks: new Int32Array(rows), stop: new Array(rows), stopStep: new Int32Array(rows), longestStall: new Int32Array(rows),
    longestDeepStall: new Int32Array(rows),
  };
}

/** Copies rows [from, from + n) of a chunk's results (default: all of them) into rows start.. of `into`. */
export function mergePhase1(into: Phase1Batch, part: Phase1Batch, start: number, from = 0, n = part.rows): void {
  const k = into.k;
  into.noise.set(part.noise.subarray(from * k, (from + n) * k), start * k);
  for (const key of ['steps', 'c3', 'g', 'gNoisy', 'ticks', 'stopStep', 'longestStall', 'longestDeepStall'] as const) into[key].set(part[key].subarray(from, from + n), start);
  for (let i = 0; i < n; i++) {
    into.status[start + i] = part.status[from + i]!;
    into.stop[start + i] = part.stop[from + i]!;
  }
}

/** The typed arrays of a Phase1Batch (what a worker can transfer). */
export function phase1Buffers(b: Phase1Batch): ArrayBufferView[] {
  return [b.noise, b.steps, b.c3, b.g, b.gNoisy, b.ticks, b.stopStep, b.longestStall, b.longestDeepStall];
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
  check(v.mode === 'lossless' || v.mode === 'fast', () => `phase1: mode must be 'lossless' or 'fast', got ${String(v.mode)}`);
  check(typeof v.literal === 'boolean', () => `phase1: literal must be a boolean, got ${String(v.literal)}`);
  for (const name of ['stallSteps', 'deepStallSteps'] as const) {
    check(v[name] === Infinity || (Number.isInteger(v[name]) && v[name] >= 1),
      () => `phase1: ${name} must be an integer >= 1 or Infinity, got ${v[name]}`);
  }
  for (const name of ['stallDominance', 'stallBand', 'deepStallDominance', 'deepStallBand'] as const) {
    check(Number.isFinite(v[name]) && v[name] >= 0, () => `phase1: ${name} must be a finite number >= 0, got ${v[name]}`);
  }
  check(typeof v.fixedWork === 'boolean' || (Number.isInteger(v.fixedWork) && v.fixedWork >= 1 && v.fixedWork <= 2 ** 30),
    () => `phase1: fixedWork must be false, true or a tick budget (an integer >= 1), got ${String(v.fixedWork)}`);
  return v;
}

/** The options block the WASM search reads (PHASE1_OPTIONS f64 values, in its order). */
export function phase1Options(o: Phase1Options & { method?: Phase1Method }): Float64Array {
  const v = resolvePhase1Options(o);
  const method = o.method ?? 'logits';
  check(method === 'logits' || method === 'projected', () => `phase1: method must be 'logits' or 'projected', got ${String(method)}`);
  const fast = v.mode === 'fast';
  const stallSteps = fast ? (o.stallSteps ?? FAST_STALL_STEPS) : v.stallSteps;
  const rules = v.literal ? 0 : STOP_CYCLE | (stallSteps === Infinity ? 0 : STOP_STALL) | (v.deepStallSteps === Infinity ? 0 : STOP_DEEP_STALL);
  const budget = v.fixedWork === true ? FIXED_WORK_TICKS : v.fixedWork === false ? 0 : v.fixedWork;
  // Then per stall tier (stall, deep stall): window, dominance, band.
  return Float64Array.of(v.c2, v.c3Start, v.c3Factor, v.c3Max, v.beta, v.maxSteps, v.tolerance, v.margin, method === 'projected' ? 1 : 0,
    rules, budget, stallSteps === Infinity ? 0 : stallSteps, fast ? 0 : v.stallDominance, fast ? 0 : v.stallBand,
    v.deepStallSteps === Infinity ? 0 : v.deepStallSteps, v.deepStallDominance, v.deepStallBand);
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
  const out = emptyPhase1Batch(rows, k);
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
          out.ticks[r] = rep[o + 5]!;
          out.stop[r] = STOPS[rep[o + 6]!]!;
          out.stopStep[r] = rep[o + 7]!;
          out.longestStall[r] = rep[o + 8]!;
          out.longestDeepStall[r] = rep[o + 9]!;
        }
      }
    });
  return out;
}
