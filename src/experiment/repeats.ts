// Repeated runs of the experiment: every number as the mean over N independently seeded runs with a
// 95% confidence interval. The interval is Student's t over the repeats: mean ± t(0.975, N-1) · s/√N,
// with s the sample standard deviation (N-1 denominator). It describes run-to-run variation of the
// whole pipeline (models, defense, attacks, coin) on the fixed split, not sampling of new data.
import type { AttackSummary, HistogramData, MembershipHistogram } from '../attacks/summary.js';
import { meanSummary, SUMMARY_METRICS } from '../attacks/summary.js';
import { MemGuardInputError } from '../errors.js';
import type { EpsilonResult, EvaluationResults, ModelAccuracies, RunStatistic } from './results.js';
import { RUN_STATISTICS } from './results.js';

/** t(0.975, df) for df = 1..30 (standard tables). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The 97.5% quantile of Student's t with `df` degrees of freedom (table to 30, then Cornish-Fisher). */
export function tQuantile975(df: number): number {
  if (!(Number.isInteger(df) && df >= 1)) throw new MemGuardInputError(`tQuantile975: df must be a positive integer, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/**
 * Mean and half-width of the 95% t interval (half-width undefined for fewer than 2 values).
 *
 * @example
 * console.log(meanInterval([1, 2, 3, 4])); // { mean: 2.5, halfWidth: 2.054 (= 3.182 * sqrt(5/3) / 2) }
 */
export function meanInterval(values: number[]): { mean: number; halfWidth?: number } {
  const n = values.length;
  if (n === 0) throw new MemGuardInputError('meanInterval: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, halfWidth: tQuantile975(n - 1) * Math.sqrt(variance / n) };
}

/** Means of the named numeric fields, and their half-widths. */
function meanFields<K extends string>(objs: Array<Partial<Record<K, unknown>>>, fields: readonly K[]): { mean: Partial<Record<K, number>>; halfWidth: Partial<Record<K, number>> } {
  const mean: Partial<Record<K, number>> = {}, halfWidth: Partial<Record<K, number>> = {};
  for (const f of fields) {
    const values = objs.map((o) => o[f]);
    if (!values.every((v): v is number => typeof v === 'number')) continue;
    const m = meanInterval(values);
    mean[f] = m.mean;
    if (m.halfWidth !== undefined) halfWidth[f] = m.halfWidth;
  }
  return { mean, halfWidth };
}

function meanHistogram(hs: HistogramData[]): HistogramData {
  return { edges: hs[0]!.edges, counts: hs[0]!.counts.map((_, i) => hs.reduce((s, h) => s + (h.counts[i] ?? 0), 0) / hs.length) };
}

function meanMembership(hs: Array<MembershipHistogram | undefined>): MembershipHistogram | undefined {
  if (!hs.every((h): h is MembershipHistogram => h !== undefined)) return undefined;
  return { members: meanHistogram(hs.map((h) => h.members)), nonMembers: meanHistogram(hs.map((h) => h.nonMembers)) };
}

function meanAttack(summaries: AttackSummary[]): AttackSummary {
  const out = meanSummary(summaries);
  const { halfWidth } = meanFields(summaries, SUMMARY_METRICS);
  return summaries.length > 1 ? { ...out, halfWidth } : out;
}

function meanRun(runs: EpsilonResult[]): EpsilonResult {
  const first = runs[0]!;
  const attacks: Record<string, AttackSummary> = {};
  for (const id of Object.keys(first.attacks)) {
    const all = runs.map((r) => r.attacks[id]).filter((a): a is AttackSummary => a !== undefined);
    if (all.length === runs.length) attacks[id] = meanAttack(all);
  }
  const { mean, halfWidth } = meanFields<RunStatistic | 'seconds'>(runs, [...RUN_STATISTICS, 'seconds']);
  const out: EpsilonResult = { ...first, ...mean, attacks, topConfidence: meanMembership(runs.map((r) => r.topConfidence)) } as EpsilonResult;
  if (runs.length > 1) out.halfWidth = halfWidth;
  return out;
}

/**
 * Combines the results of repeated runs (same configuration, different seeds) into one results
 * object of means, with the 95% t-interval half-width of every metric in `halfWidth` fields
 * (`AttackSummary.halfWidth`, `EpsilonResult.halfWidth`, `models.halfWidth`). ROC curves are
 * vertically averaged; histograms averaged bin by bin. The runs must cover the same settings.
 *
 * @example
 * const s = (accuracy: number) => ({ accuracy, balancedAccuracy: accuracy, auc: accuracy, advantage: 0, tprAt1Fpr: 0, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } });
 * const run = (acc: number): EvaluationResults => ({ version: 1, createdAt: '', config: { dataset: 'toy', epsilons: [0], mixingModes: ['paper'], seeds: {} },
 *   models: { targetTrain: 1, targetTest: 0.6 }, runs: [{ epsilon: 0, mixing: 'paper', labelLoss: 0, meanPhase1Distortion: 0, meanP: 0, meanReleasedDistortion: 0, attacks: { nn: s(acc) } }] });
 * const both = combineRepeats([run(0.6), run(0.7)]);
 * console.log(both.runs[0].attacks.nn.accuracy, both.runs[0].attacks.nn.halfWidth?.accuracy); // 0.65 0.635 (12.706 * 0.05)
 */
export function combineRepeats(list: EvaluationResults[]): EvaluationResults {
  if (list.length === 0) throw new MemGuardInputError('combineRepeats: no results');
  if (list.length === 1) return list[0]!;
  const first = list[0]!;
  const key = (r: EpsilonResult) => `${r.mixing}/${r.epsilon}`;
  for (const r of list) {
    if (r.runs.map(key).join() !== first.runs.map(key).join()) {
      throw new MemGuardInputError('combineRepeats: the repeats do not cover the same (mixing, epsilon) settings in the same order');
    }
  }
  const modelNames = Object.keys(first.models).filter((k) => typeof first.models[k] === 'number');
  const models = meanFields(list.map((r) => r.models as Record<string, unknown>), modelNames);
  return {
    ...first,
    config: { ...first.config, repeats: list.length, repeatSeeds: list.map((r) => r.config.seeds) },
    models: { ...models.mean, halfWidth: models.halfWidth } as ModelAccuracies,
    runs: first.runs.map((_, i) => meanRun(list.map((r) => r.runs[i]!))),
    undefendedTopConfidence: meanMembership(list.map((r) => r.undefendedTopConfidence)),
    repeats: list.length,
    notes: [...(first.notes ?? []), `Every number is the mean of ${list.length} runs with independent seeds (models, defense, attacks, coin); ± is the half-width of a 95% Student t interval over the runs.`],
  };
}

