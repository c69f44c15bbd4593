// The results of an evaluation run (design §6): what the pipeline fills in and what the HTML report,
// the console table and the JSON results file are made from. Plain objects and arrays only, so a
// results object serializes to JSON (`serializeResults` also keeps Infinity/NaN).
import type { NearDuplicateResult } from './nearDuplicates.js';
import type { TimingResult } from './timing.js';
import type { AttackSummary, MembershipHistogram } from '../attacks/summary.js';
import { MemGuardFormatError } from '../errors.js';
import type { Verdict } from './verdict.js';

// Phase II mixing rule (design §4), defined with the release code.
import type { MixingMode } from '../memguard/phase2.js';
export type { MixingMode };

/**
 * The defense statistics of a run (numbers of `EpsilonResult` besides the attacks).
 *
 * @example
 * const stat: RunStatistic = RUN_STATISTICS[3];
 * console.log(stat); // meanReleasedDistortion
 */
export const RUN_STATISTICS = ['labelLoss', 'meanPhase1Distortion', 'meanP', 'meanReleasedDistortion'] as const;
/**
 * One of `RUN_STATISTICS`.
 *
 * @example
 * const stat: RunStatistic = 'meanP';
 */
export type RunStatistic = typeof RUN_STATISTICS[number];

/**
 * Everything measured at one distortion budget and mixing mode.
 *
 * @example
 * const results: EvaluationResults = {
 *   version: 1, createdAt: '2026-01-01T00:00:00Z', models: { targetTrain: 1, targetTest: 0.62 },
 *   config: { dataset: 'location', epsilons: [0.5], mixingModes: ['paper'], seeds: { target: 1 } },
 *   runs: [{ epsilon: 0.5, mixing: 'paper', labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3,
 *     attacks: { nn: { accuracy: 0.55, balancedAccuracy: 0.55, auc: 0.56, advantage: 0.1, tprAt1Fpr: 0.02, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } } } }],
 * };
 * const atHalf: EpsilonResult = results.runs[0];
 */
export interface EpsilonResult {
  /** The distortion budget (expected L1 distortion bound); may be Infinity. */
  epsilon: number;
  mixing: MixingMode;
  /** Per attack id (`nn`, `nn/defense-aware`, `gap`, `confidence/per-class`, ...). */
  attacks: Record<string, AttackSummary>;
  /** Fraction of evaluated rows whose released argmax differs from the original (must be 0). */
  labelLoss: number;
  /** Mean Phase I distortion `||r||_1` over evaluated rows. */
  meanPhase1Distortion: number;
  /** Mean Phase II probability `p` of releasing `s + r`. */
  meanP: number;
  /** Mean released distortion `E||n||_1 = p ||r||_1` (<= epsilon by construction). */
  meanReleasedDistortion: number;
  /** Top-1 confidence histograms of the released vectors (weighted by the coin). */
  topConfidence?: MembershipHistogram;
  /** Wall-clock seconds spent on this setting, when measured. */
  seconds?: number;
  /** Half-widths of the 95% intervals of the statistics over repeated runs (when repeated). */
  halfWidth?: Partial<Record<RunStatistic | 'seconds', number>>;
}

/**
 * Accuracy of the trained models on their data.
 *
 * @example
 * const models: ModelAccuracies = { targetTrain: 1, targetTest: 0.62, defenseClassifier: 0.7 };
 */
export interface ModelAccuracies {
  targetTrain: number;
  targetTest: number;
  shadowTrain?: number;
  shadowTest?: number;
  /** Accuracy of the defender's defense classifier (members vs non-members), on its training data. */
  defenseClassifier?: number;
  /** Accuracy of the NN attack on the undefended shadow data it was trained on. */
  attackModel?: number;
  /** Half-widths of the 95% intervals over repeated runs (when repeated). */
  halfWidth?: Record<string, number>;
  /** Any further model accuracy, by name. */
  [name: string]: number | undefined | Record<string, number>;
}

/**
 * How the run was configured; free-form beyond the named fields.
 *
 * @example
 * const config: EvaluationConfig = { dataset: 'location', epsilons: [0, 0.5, 1], mixingModes: ['paper', 'exact'], seeds: { target: 1 } };
 */
export interface EvaluationConfig {
  dataset: string;
  epsilons: number[];
  mixingModes: MixingMode[];
  /** Every seed used (model init, shuffles, coin...), by purpose, so a run can be repeated. */
  seeds: Record<string, number>;
  /** Engine build used (`relaxed` / `simd` / `scalar`), optimizer mode, epochs, batch sizes... */
  [key: string]: unknown;
}

/**
 * Published figures to compare against (e.g. the MemGuard paper's NN attack on Location).
 *
 * @example
 * const paper: PublishedResult = {
 *   attack: 'nn', source: 'Jia et al., CCS 2019, Location', tolerance: 0.03,
 *   points: [{ epsilon: 0, accuracy: 0.73 }, { epsilon: 1, accuracy: 0.5 }],
 * };
 */
export interface PublishedResult {
  /** The attack id the figures are for (a key of `EpsilonResult.attacks`). */
  attack: string;
  /** Where they come from, shown in the report. */
  source: string;
  points: Array<{ epsilon: number; accuracy: number }>;
  /** How close a reproduction must be (absolute accuracy). */
  tolerance: number;
}

/**
 * A whole evaluation run.
 *
 * @example
 * const results: EvaluationResults = {
 *   version: 1, createdAt: '2026-01-01T00:00:00Z', models: { targetTrain: 1, targetTest: 0.62 },
 *   config: { dataset: 'location', epsilons: [0.5], mixingModes: ['paper'], seeds: { target: 1 } },
 *   runs: [{ epsilon: 0.5, mixing: 'paper', labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3,
 *     attacks: { nn: { accuracy: 0.55, balancedAccuracy: 0.55, auc: 0.56, advantage: 0.1, tprAt1Fpr: 0.02, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } } } }],
 * };
 * const html = renderReport(results);
 */
export interface EvaluationResults {
  /** Format version of this object. */
  version: 1;
  title?: string;
  /** ISO 8601 time the run finished. */
  createdAt: string;
  config: EvaluationConfig;
  models: ModelAccuracies;
  /** One entry per (epsilon, mixing mode). */
  runs: EpsilonResult[];
  /** Top-1 confidence of the undefended evaluation set (the "before" histogram). */
  undefendedTopConfidence?: MembershipHistogram;
  /** Published figures for the default mixing mode, shown beside the measured ones. */
  published?: PublishedResult;
  /** The near-duplicate query attack (design §7), when it was run. */
  nearDuplicates?: NearDuplicateResult;
  /** The timing channel (design §7), when it was measured. */
  timing?: TimingResult;
  /** Free-form notes shown at the top of the report (plain text). */
  notes?: string[];
  /** How many independently seeded runs the numbers are the mean of (absent: one run). */
  repeats?: number;
  /** The strongest attacks against the label-only floor (see verdict.ts); written to results.json. */
  verdict?: Verdict;
}

/**
 * JSON text of a results object; non-finite numbers are kept as the strings "Infinity", "-Infinity", "NaN".
 *
 * @example
 * const results: EvaluationResults = {
 *   version: 1, createdAt: '2026-01-01T00:00:00Z', models: { targetTrain: 1, targetTest: 0.62 },
 *   config: { dataset: 'location', epsilons: [0.5], mixingModes: ['paper'], seeds: { target: 1 } },
 *   runs: [{ epsilon: 0.5, mixing: 'paper', labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3,
 *     attacks: { nn: { accuracy: 0.55, balancedAccuracy: 0.55, auc: 0.56, advantage: 0.1, tprAt1Fpr: 0.02, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } } } }],
 * };
 * const text = serializeResults(results); // Infinity survives as "Infinity"
 * console.log(parseResults(text).runs[0].epsilon); // 0.5
 */
export function serializeResults(results: EvaluationResults): string {
  return JSON.stringify(results, (_key, value) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value, 2);
}

/**
 * Parses `serializeResults` output back, restoring non-finite numbers.
 *
 * @example
 * const results: EvaluationResults = {
 *   version: 1, createdAt: '2026-01-01T00:00:00Z', models: { targetTrain: 1, targetTest: 0.62 },
 *   config: { dataset: 'location', epsilons: [0.5], mixingModes: ['paper'], seeds: { target: 1 } },
 *   runs: [{ epsilon: 0.5, mixing: 'paper', labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3,
 *     attacks: { nn: { accuracy: 0.55, balancedAccuracy: 0.55, auc: 0.56, advantage: 0.1, tprAt1Fpr: 0.02, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } } } }],
 * };
 * console.log(parseResults(serializeResults(results)).config.dataset); // 'location'
 */
export function parseResults(text: string): EvaluationResults {
  const out = JSON.parse(text, (_key, value) =>
    value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value === 'NaN' ? NaN : value) as EvaluationResults;
  if (out === null || typeof out !== 'object' || out.version !== 1 || !Array.isArray(out.runs)) {
    throw new MemGuardFormatError('parseResults: not a version-1 evaluation results object (expected {version: 1, runs: [...]})');
  }
  return out;
}

/**
 * The mixing rules a results file holds, in the configured order.
 *
 * @example
 * const run = { epsilon: 0.5, labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3, attacks: {} };
 * const results = { version: 1, createdAt: '', models: { targetTrain: 1, targetTest: 0.6 }, config: { dataset: 'location', epsilons: [0.5], mixingModes: ['exact', 'paper'], seeds: {} },
 *   runs: [{ ...run, mixing: 'paper' }, { ...run, mixing: 'exact' }] } as EvaluationResults;
 * console.log(modesOf(results)); // ['exact', 'paper']
 */
export function modesOf(r: EvaluationResults): MixingMode[] {
  const out: MixingMode[] = [];
  for (const m of [...(r.config?.mixingModes ?? []), ...r.runs.map((x) => x.mixing)]) if (!out.includes(m)) out.push(m);
  return out.filter((m) => r.runs.some((x) => x.mixing === m));
}

/**
 * The runs of one mixing rule, by increasing epsilon.
 *
 * @example
 * const run = { labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3, attacks: {}, mixing: 'paper' as const };
 * const results = { version: 1, createdAt: '', models: { targetTrain: 1, targetTest: 0.6 }, config: { dataset: 'location', epsilons: [1, 0.1], mixingModes: ['paper'], seeds: {} },
 *   runs: [{ ...run, epsilon: 1 }, { ...run, epsilon: 0.1 }] } as EvaluationResults;
 * console.log(runsOf(results, 'paper').map((r) => r.epsilon)); // [0.1, 1]
 */
export function runsOf(r: EvaluationResults, mode: MixingMode): EpsilonResult[] {
  return r.runs.filter((x) => x.mixing === mode).sort((a, b) => a.epsilon - b.epsilon);
}
