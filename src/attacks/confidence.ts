// Confidence vectors as an attacker sees them (row-major `n x k`, one row per queried example) and
// what any evaluation reads off them: the predicted label, the classifier's accuracy, the top-1
// confidence and its member / non-member histograms.
import { check } from '../errors.js';
import { histogram, type Flags } from './metrics.js';
import type { MembershipHistogram } from './summary.js';

/**
 * Confidence vectors (row-major `n x k`) with the true label of each row.
 *
 * @example
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * console.log(metricScores('confidence', target)); // the true label's confidence, per row
 */
export interface ConfidenceSet {
  vectors: ArrayLike<number>;
  labels: ArrayLike<number>;
  k: number;
  /** Optional non-negative per-row weights (default 1). */
  weights?: ArrayLike<number>;
}

/**
 * Confidence vectors whose membership is known (shadow data, or the evaluation set).
 *
 * @example
 * const shadow = { vectors: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7], labels: [0, 0, 0, 1], k: 2, isMember: [1, 1, 0, 0] };
 * console.log(hindsightAttack('confidence', shadow).accuracy); // 1
 */
export interface LabeledConfidenceSet extends ConfidenceSet {
  isMember: Flags;
}

/**
 * Index of the largest entry of each row (the first one on ties): the predicted label.
 *
 * @example
 * console.log(predictedLabels([0.2, 0.8, 0.6, 0.4], 2)); // Int32Array [1, 0]
 */
export function predictedLabels(vectors: ArrayLike<number>, k: number): Int32Array {
  check(Number.isInteger(k) && k >= 1 && vectors.length % k === 0,
    () => `predictedLabels: ${vectors.length} entries are not rows of width ${k}`);
  const n = vectors.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bv = vectors[i * k]!;
    for (let j = 1; j < k; j++) if (vectors[i * k + j]! > bv) { bv = vectors[i * k + j]!; best = j; }
    out[i] = best;
  }
  return out;
}

/**
 * Fraction of rows whose predicted label (argmax) is their true label: the classifier's accuracy
 * on those rows. `select` (one flag per row) restricts it to some rows, e.g. the members.
 *
 * @example
 * console.log(labelAccuracy([0.2, 0.8, 0.6, 0.4], 2, [1, 1])); // 0.5
 */
export function labelAccuracy(vectors: ArrayLike<number>, k: number, labels: ArrayLike<number>, select?: Flags): number {
  const predicted = predictedLabels(vectors, k);
  check(labels.length === predicted.length, () => `labelAccuracy: ${labels.length} labels for ${predicted.length} rows`);
  let right = 0, total = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (select && !select[i]) continue;
    total++;
    right += Number(predicted[i] === labels[i]);
  }
  return total ? right / total : NaN;
}

/**
 * Histograms (20 bins on [0, 1]) of the top-1 confidence of member and of non-member rows, each
 * row weighted by `weights` (e.g. the Phase II coin) when given.
 *
 * @example
 * const h = topConfidenceHistogram([0.9, 0.1, 0.6, 0.4], 2, [1, 0]);
 * console.log(h.members.counts, h.nonMembers.counts);
 */
export function topConfidenceHistogram(
  vectors: ArrayLike<number>, k: number, isMember: Flags, weights?: ArrayLike<number>,
): MembershipHistogram {
  const top = topConfidence(vectors, k);
  check(isMember.length === top.length, () => `topConfidenceHistogram: ${isMember.length} membership flags for ${top.length} rows`);
  const pick = (member: boolean) => {
    const values: number[] = [], w: number[] = [];
    for (let i = 0; i < top.length; i++) {
      if (Boolean(isMember[i]) === member) { values.push(top[i]!); w.push(weights ? weights[i]! : 1); }
    }
    const h = histogram(values, { bins: 20, lo: 0, hi: 1, weights: w });
    return { edges: h.edges, counts: h.counts };
  };
  return { members: pick(true), nonMembers: pick(false) };
}

/**
 * The largest entry of each row (top-1 confidence), for histograms.
 *
 * @example
 * console.log(topConfidence([0.2, 0.8, 0.6, 0.4], 2)); // Float64Array [0.8, 0.6]
 */
export function topConfidence(vectors: ArrayLike<number>, k: number): Float64Array {
  check(Number.isInteger(k) && k >= 1 && vectors.length % k === 0,
    () => `topConfidence: ${vectors.length} entries are not rows of width ${k}`);
  const n = vectors.length / k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let bv = -Infinity;
    for (let j = 0; j < k; j++) bv = Math.max(bv, vectors[i * k + j]!);
    out[i] = bv;
  }
  return out;
}
