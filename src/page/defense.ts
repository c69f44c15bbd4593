// The demo page's numbers for one setting (epsilon, mixing rule), from Phase I's outcome: Phase II
// is closed form, so after one search every setting is a few milliseconds of arithmetic. Pure
// functions, shared by the page and its tests; the formulas are the library's (mixingProbability,
// coinWeights, accuracy, auc, topConfidenceHistogram), as in the experiment (src/experiment/run.ts).
import { mixingProbability, type MixingMode } from '../memguard/phase2.js';
import { predictedLabels, topConfidenceHistogram } from '../attacks/confidence.js';
import { accuracy, auc, coinWeights, stack, thresholdDecisions } from '../attacks/metrics.js';
import type { MembershipHistogram } from '../attacks/summary.js';

/**
 * The demo's release-coin key. Not a secret (anyone can read the page): it only shows what one
 * deployment's keyed coin would do with the shown queries. A real deployment keeps its key private.
 */
export const DEMO_KEY: Uint8Array = Uint8Array.from({ length: 16 }, (_, i) => i);

/** Phase I's outcome on the evaluation rows (what the worker sends back), with what the page ships. */
export interface SearchOutcome {
  k: number;
  rows: number;
  /** Undefended confidence vectors s and repaired candidates s + r (rows x k). */
  scores: Float32Array;
  noisy: Float32Array;
  /** ||s + r - s||_1, g(s) and g(sort(s + r)) per row. */
  noiseL1: Float64Array;
  g: Float32Array;
  gNoisy: Float32Array;
  isMember: Uint8Array;
  /** NN attack P(member) on s and on s + r. */
  attackOnScores: Float32Array;
  attackOnCandidates: Float32Array;
}

/** Everything the page shows for one setting. */
export interface DefenseView {
  epsilon: number;
  mixing: MixingMode;
  /** Phase II release probability per row. */
  p: Float64Array;
  /** The NN attack in expectation over the coin: accuracy (threshold 0.5) and AUC. */
  attackAccuracy: number;
  attackAuc: number;
  /** Mean released distortion E||n||_1 = mean of p ||r||_1 (never above epsilon). */
  meanDistortion: number;
  /** Mean release probability. */
  meanP: number;
  /** Rows whose candidate has another argmax than s (design §5: always 0). */
  labelChanges: number;
  /** Top-1 confidence histograms, released vectors weighted by the coin. */
  histogram: MembershipHistogram;
}

/** Phase II probabilities at one setting: exactly what `MemGuard.releaseSearch` computes per row. */
export function releaseProbabilities(o: SearchOutcome, epsilon: number, mixing: MixingMode): Float64Array {
  const p = new Float64Array(o.rows);
  for (let i = 0; i < o.rows; i++) p[i] = mixingProbability(o.g[i]!, o.gNoisy[i]!, o.noiseL1[i]!, epsilon, mixing);
  return p;
}

/** The NN attack's accuracy and AUC in expectation over the coin with release probabilities `p`. */
export function attackInExpectation(o: SearchOutcome, p: Float64Array): { accuracy: number; auc: number } {
  const weights = coinWeights(p);
  const scores = stack(o.attackOnScores, o.attackOnCandidates);
  const members = stack(o.isMember, o.isMember);
  return { accuracy: accuracy(thresholdDecisions(scores, 0.5), members, weights), auc: auc(scores, members, weights) };
}

/** Mean released distortion: the mean of p ||r||_1 over rows (E||n||_1, at most epsilon). */
export function meanDistortion(o: SearchOutcome, p: Float64Array): number {
  let spent = 0;
  for (let i = 0; i < o.rows; i++) spent += p[i]! * o.noiseL1[i]!;
  return spent / o.rows;
}

/** Top-1 confidence histograms of the undefended vectors. */
export function undefendedHistogram(o: SearchOutcome): MembershipHistogram {
  return topConfidenceHistogram(o.scores, o.k, o.isMember);
}

/** All the numbers of one setting. */
export function defenseView(o: SearchOutcome, epsilon: number, mixing: MixingMode): DefenseView {
  const p = releaseProbabilities(o, epsilon, mixing);
  const attack = attackInExpectation(o, p);
  let sumP = 0;
  for (let i = 0; i < o.rows; i++) sumP += p[i]!;
  const before = predictedLabels(o.scores, o.k), after = predictedLabels(o.noisy, o.k);
  let labelChanges = 0;
  for (let i = 0; i < o.rows; i++) labelChanges += Number(before[i] !== after[i]);
  return {
    epsilon, mixing, p, attackAccuracy: attack.accuracy, attackAuc: attack.auc,
    meanDistortion: meanDistortion(o, p), meanP: sumP / o.rows, labelChanges,
    histogram: topConfidenceHistogram(stack(o.scores, o.noisy), o.k, stack(o.isMember, o.isMember), coinWeights(p)),
  };
}

/** The attack and the distortion spent over a grid of epsilons, for the curves. */
export interface Sweep {
  epsilons: number[];
  accuracy: number[];
  auc: number[];
  meanDistortion: number[];
}

export function sweep(o: SearchOutcome, epsilons: readonly number[], mixing: MixingMode): Sweep {
  const out: Sweep = { epsilons: [...epsilons], accuracy: [], auc: [], meanDistortion: [] };
  for (const epsilon of epsilons) {
    const p = releaseProbabilities(o, epsilon, mixing);
    const a = attackInExpectation(o, p);
    out.accuracy.push(a.accuracy);
    out.auc.push(a.auc);
    out.meanDistortion.push(meanDistortion(o, p));
  }
  return out;
}

/** `count + 1` evenly spaced values from 0 to `max`, rounded to 1e-9 so they print cleanly. */
export function epsilonGrid(max: number, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, i) => Math.round((max * i / count) * 1e9) / 1e9);
}

/** The `count` classes with the largest max(a_j, b_j), in class order. */
export function topClasses(a: ArrayLike<number>, b: ArrayLike<number>, count: number): number[] {
  const order = Array.from({ length: a.length }, (_, j) => j).sort((x, y) => Math.max(b[y]!, a[y]!) - Math.max(b[x]!, a[x]!) || x - y);
  return order.slice(0, count).sort((x, y) => x - y);
}
