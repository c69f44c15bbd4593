// The public defense: MemGuard between a classifier and its callers (design §1-§5).
import { check } from '../errors.js';
import { outputLike, type MatrixInput, type MatrixOutput } from '../nn/matrix.js';
import { confidenceRows, type ConfidenceRows } from './confidenceRows.js';
import type { Mlp } from '../nn/mlp.js';
import { crossingNoise, MIXING_MODES, mixingProbability, type MixingMode } from './phase2.js';
import { ReleaseCoin, type CoarseKeying, type CoinOptions } from './coin.js';
import { phase1Options, runPhase1, type Phase1Batch, type Phase1Method, type Phase1Options } from './phase1.js';

export type { CoarseKeying, CoinOptions, MixingMode, Phase1Method, Phase1Options };

/**
 * How a `MemGuard` defends: the defense classifier g, the budget epsilon, the coin, the rules.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const options: MemGuardOptions = { defenseClassifier: g, epsilon: 0.3, mixing: 'exact', coin: { mode: 'seed', seed: 1 } };
 * const guard = new MemGuard(options);
 */
export interface MemGuardOptions {
  /** g: k inputs (the sorted confidence vector), one output whose pre-activation is the logit h. */
  defenseClassifier: Mlp;
  /** The L1 distortion budget: E||n||_1 <= epsilon. 0 returns every query unchanged; Infinity allowed. */
  epsilon: number;
  /**
   * The release coin. Default mode 'key', which needs `key` (>= 16 secret bytes): the coin is a keyed
   * hash of the query, so a repeated query always gets the same answer. 'seed' is for experiments;
   * 'expectation' draws nothing and reports the weight p (for evaluation).
   */
  coin?: CoinOptions | ({ mode?: 'key'; key?: Uint8Array } & CoarseKeying);
  /**
   * Phase II rule: 'paper' (default) min(eps/||r||, 1); 'exact' also caps p where E g(s+n) = 0.5;
   * 'crossing' shrinks r to where g crosses 0.5, then mixes as 'paper' (see `MixingMode`).
   */
  mixing?: MixingMode;
  /** Phase I method: 'logits' (the paper's, default) or 'projected' (steps on probabilities). */
  method?: Phase1Method;
  /**
   * Phase I settings: the paper's constants (c2, c3Start, c3Factor, c3Max, beta, maxSteps, tolerance,
   * margin), `literal` (the paper-literal search without the lossless early stop) and `fixedWork`
   * (the same work for every row, against the timing channel). Defaults: the paper's search, ended
   * early where a round provably or measurably cannot succeed (same results, far fewer steps).
   */
  search?: Phase1Options;
  /** Rows per WebAssembly call (default 512). */
  batchSize?: number;
  /** Probability rows must sum to 1 within this (default 1e-3). */
  sumTolerance?: number;
}

/**
 * Per-call options of `MemGuard.protect`.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'key', key: Uint8Array.from({ length: 16 }, (_, i) => i * 37 + 1) } });
 * const options: ProtectOptions = { input: 'logits', queryIds: ['q1', 'q2'] };
 * guard.protect([[2, 0, -1], [0, 1, 3]], options);
 */
export interface ProtectOptions {
  /** What the rows are: 'probabilities' (default) or the target model's 'logits'. */
  input?: 'probabilities' | 'logits';
  /** Caller-given query ids for the keyed coin (one per row); default: the row's content. */
  queryIds?: ReadonlyArray<string | Uint8Array>;
  /** Overrides the instance's epsilon for this call (e.g. a sweep). */
  epsilon?: number;
}

/**
 * Per-row results, columnar, in input row order.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'expectation' } });
 * const r: ProtectResult<Float32Array> = guard.protect([0.7, 0.2, 0.1]);
 * console.log(r.released, r.noisy, r.mixProbability[0], r.noiseL1[0]); // weight = p in 'expectation' mode
 */
export interface ProtectResult<R> {
  /** What to return to callers: s + r where the coin released noise, else s (rows x k). */
  released: R;
  /** The repaired candidate s + r for every row (equal to s where Phase I found no noise). */
  noisy: Float32Array;
  /** The undefended confidence vectors s (softmax of the input when it was logits). */
  scores: Float32Array;
  /** ||n||_1 of the noise that would be released: the repaired s + r minus s. */
  noiseL1: Float64Array;
  /** Phase II's release probability p. */
  mixProbability: Float64Array;
  /** Weight of `noisy`: 1/0 from the coin ('key', 'seed'); p itself in 'expectation' mode. */
  weight: Float64Array;
  /** 1 where `released` is the noisy vector. */
  noiseReleased: Uint8Array;
  /**
   * Phase I gradient steps per row, and `ticks`, the forward/backward passes of g it took part in.
   * Diagnostics: never return them (or the time a row took) to callers, they are a membership
   * signal (design §7; `search: { fixedWork }` makes the work equal for every row).
   */
  steps: Int32Array;
  ticks: Int32Array;
  status: Phase1Batch['status'];
  /** g(s) and g(sort(s + r)) (with 'crossing' mixing, r is the shrunk noise t r). */
  g: Float32Array;
  gNoisy: Float32Array;
  /** design §5 repair of the candidate: 0 kept, 1 projected onto the simplex, 2 replaced by s. */
  repair: Int32Array;
}

/**
 * Phase I's outcome with the rows it ran on (`logits` when the caller passed logits).
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const search: SearchResult = guard.search([0.7, 0.2, 0.1]);      // Phase I once
 * for (const epsilon of [0.1, 0.5, 1]) guard.releaseSearch(search, { epsilon }); // Phase II per budget
 */
export type SearchResult = Phase1Batch & { scores: Float32Array; logits?: Float32Array };

/**
 * Phase I's input for running it outside `protect` (see `MemGuard.searchJob`).
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const job: SearchJob = guard.searchJob([0.7, 0.2, 0.1, 0.2, 0.2, 0.6]);
 * console.log(job.rows, job.k); // 2 3 (what protectParallel sends to its worker threads)
 */
export interface SearchJob {
  rows: number;
  k: number;
  /** Validated probabilities, rows x k (softmax of the input when it was logits). */
  scores: Float32Array;
  /** The input logits, when the rows were logits. */
  logits: Float32Array | undefined;
  /** Phase I settings as packed by `phase1Options`. */
  options: Float64Array;
  /** Rows per WebAssembly call. */
  batchSize: number;
}

/**
 * MemGuard: turns each confidence vector into an adversarial example against membership
 * classifiers, keeping the predicted label, a valid probability vector, and E||n||_1 <= epsilon.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // the defense classifier (see trainDefenseClassifier)
 * const key = crypto.getRandomValues(new Uint8Array(16));        // keep it secret and stable
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'key', key } });
 * const { released, noiseReleased } = guard.protect([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]); // rows x k, same order
 */
export class MemGuard {
  readonly defenseClassifier: Mlp;
  readonly epsilon: number;
  readonly mixing: MixingMode;
  readonly method: Phase1Method;
  readonly k: number;
  private readonly coin: ReleaseCoin;
  private readonly searchOptions: Float64Array;
  private readonly batchSize: number;
  private readonly sumTolerance: number;

  constructor(options: MemGuardOptions) {
    check(options && typeof options === 'object', () => 'MemGuard: options must be an object');
    const g = options.defenseClassifier;
    check(g && typeof g.inputGradient === 'function', () => 'MemGuard: defenseClassifier must be an Mlp');
    check(g.outputSize === 1 && g.head !== 'softmax',
      () => `MemGuard: the defense classifier must have one sigmoid (or linear logit) output, has ${g.outputSize} ${g.head}`);
    check(g.inputSize >= 2, () => `MemGuard: k = ${g.inputSize}: a single class has no membership signal to hide`);
    checkEpsilon(options.epsilon, 'MemGuard');
    this.defenseClassifier = g;
    this.k = g.inputSize;
    this.epsilon = options.epsilon;
    this.mixing = options.mixing ?? 'paper';
    check(MIXING_MODES.includes(this.mixing), () => `MemGuard: mixing must be one of ${MIXING_MODES.join(', ')}, got ${String(this.mixing)}`);
    this.method = options.method ?? 'logits';
    this.searchOptions = phase1Options({ ...options.search, method: this.method });
    const coin = options.coin ?? { mode: 'key' };
    if (coin.mode === undefined || coin.mode === 'key') {
      check((coin as { key?: Uint8Array }).key !== undefined, () =>
        "MemGuard: coin mode 'key' (the default) needs a secret key: coin: { mode: 'key', key: <16+ random bytes> } " +
        "(or { mode: 'seed', seed } for reproducible experiments)");
      this.coin = new ReleaseCoin({ ...(coin as CoinOptions), mode: 'key', key: (coin as { key: Uint8Array }).key });
    } else this.coin = new ReleaseCoin(coin as CoinOptions);
    this.batchSize = options.batchSize ?? 512;
    check(Number.isInteger(this.batchSize) && this.batchSize > 0, () => `MemGuard: batchSize must be a positive integer, got ${this.batchSize}`);
    this.sumTolerance = options.sumTolerance ?? 1e-3;
  }

  /** Protects a batch of queries (rows x k): Phase I noise, Phase II coin, design §5 repair. */
  protect<X extends MatrixInput>(rows: X, options: ProtectOptions = {}): ProtectResult<MatrixOutput<X>> {
    const output = outputLike(rows, 'protect rows');
    const search = this.search(rows, options.input ?? 'probabilities');
    const result = this.release(search, options);
    return { ...result, released: output(result.released, search.rows, this.k) };
  }

  /**
   * Phase I as a job to run elsewhere (worker threads: src/parallel/): the validated rows and the
   * search settings. `runPhase1(g, scores, rows, logits, options, batchSize)` on them, in any row
   * chunks (a row's result does not depend on its batch), merged and passed to
   * `releaseSearch({ ...phase1, scores, logits })`, gives exactly what `protect` gives.
   */
  searchJob(rows: MatrixInput, input: 'probabilities' | 'logits' = 'probabilities'): SearchJob {
    const { scores, logits, count } = this.validate(rows, input);
    return { rows: count, k: this.k, scores, logits, options: this.searchOptions.slice(), batchSize: this.batchSize };
  }

  /** Phase I only: the noise search for each row, before any coin (for evaluations and sweeps). */
  search(rows: MatrixInput, input: 'probabilities' | 'logits' = 'probabilities'): SearchResult {
    const job = this.searchJob(rows, input);
    const found = runPhase1(this.defenseClassifier, job.scores, job.rows, job.logits, job.options, job.batchSize);
    return { ...found, scores: job.scores, logits: job.logits };
  }

  /**
   * Phase II for a finished search: mixing probabilities at `epsilon` (default the instance's), the
   * coin, and the repaired release. `search` comes from `search()`; running it at several epsilons
   * reuses one Phase I. The keyed coin hashes what the caller passed (`logits` when the rows were
   * logits), as `protect` does.
   */
  releaseSearch(search: SearchResult, options: Omit<ProtectOptions, 'input'> = {}): ProtectResult<Float32Array> {
    return this.release(search, options);
  }

  private release(phase1: SearchResult, options: ProtectOptions): ProtectResult<Float32Array> {
    const scores = phase1.scores, hashed = phase1.logits ?? phase1.scores;
    const k = this.k, rows = phase1.rows;
    const epsilon = options.epsilon ?? this.epsilon;
    checkEpsilon(epsilon, 'protect');
    const e = this.defenseClassifier.engine;
    const { noise, gNoisy } = this.mixing === 'crossing'
      ? crossingNoise(this.defenseClassifier, scores, phase1.noise, phase1.g, phase1.gNoisy, k)
      : phase1;
    const noisy = new Float32Array(rows * k), repair = new Int32Array(rows);
    const b = Math.min(this.batchSize, Math.max(rows, 1));
    e.withScratch([b * k, b * k, k, b * k, b], (sPtr, nPtr, scratch, outPtr, codes) => {
      for (let start = 0; start < rows; start += b) {
        const n = Math.min(b, rows - start);
        e.writeF32(sPtr, scores.subarray(start * k, (start + n) * k));
        e.writeF32(nPtr, noise.subarray(start * k, (start + n) * k));
        e.abi.releaseCandidates(n, k, sPtr, nPtr, scratch, outPtr, codes);
        noisy.set(e.readF32(outPtr, n * k), start * k);
        repair.set(e.i32.subarray(codes >>> 2, (codes >>> 2) + n), start);
      }
    });
    // The budget is charged on what would actually be released (the repaired s + r), so
    // p * ||n||_1 <= epsilon holds for the released noise itself, not only for Phase I's r.
    const noiseL1 = new Float64Array(rows), mixProbability = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let l1 = 0;
      for (let j = 0; j < k; j++) l1 += Math.abs(noisy[r * k + j]! - scores[r * k + j]!);
      noiseL1[r] = l1;
      mixProbability[r] = mixingProbability(phase1.g[r]!, gNoisy[r]!, l1, epsilon, this.mixing);
    }
    if (options.queryIds) {
      check(options.queryIds.length === rows, () => `protect: ${options.queryIds!.length} queryIds for ${rows} rows`);
    }
    // The coarse key rounds the confidence vector (scores), never logits.
    const queries = options.queryIds ? { ids: options.queryIds } : { inputs: this.coin.content === 'coarse' ? scores : hashed, dim: k };
    const weight = this.coin.weights(mixProbability, queries);
    const released = scores.slice();
    const noiseReleased = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      if (weight[r] === 1 && mixProbability[r]! > 0) {
        released.set(noisy.subarray(r * k, (r + 1) * k), r * k);
        noiseReleased[r] = 1;
      }
    }
    return {
      released, noisy, scores, noiseL1, mixProbability, weight, noiseReleased,
      steps: phase1.steps, ticks: phase1.ticks, status: phase1.status, g: phase1.g, gNoisy, repair,
    };
  }

  /** design §5 input checks; returns probabilities (and logits when given). */
  private validate(rows: MatrixInput, input: 'probabilities' | 'logits'): ConfidenceRows {
    return confidenceRows(rows, this.k, input, this.sumTolerance, this.defenseClassifier.engine);
  }
}

function checkEpsilon(epsilon: number, where: string): void {
  check(typeof epsilon === 'number' && epsilon >= 0, () => `${where}: epsilon must be a number >= 0 (Infinity allowed), got ${epsilon}`);
}
