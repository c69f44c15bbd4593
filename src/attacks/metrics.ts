// Metrics for binary membership scores (design §6): member = the positive class, a higher score means
// "more likely a member", and the decision at threshold t is "member iff score >= t".
//
// Every metric takes optional per-sample weights (non-negative; a weight of 2 is the same as the
// sample appearing twice). That is how the evaluation "in expectation over the Phase II coin" is
// computed: each evaluated row appears twice, clean with weight 1-p and noisy with weight p
// (`coinWeights`, `stack`), and the weighted accuracy is the expected accuracy.
//
// Undefined cases: ROC, AUC, advantage, TPR at FPR and balanced accuracy need both classes. When
// all (weighted) samples are members, or all are non-members, these functions throw a
// `MemGuardInputError` saying so, rather than returning NaN that would flow silently into a report.
// Plain accuracy is defined for any non-empty set.
import { check } from '../errors.js';
import type { AttackSummary } from './summary.js';

/**
 * 0/1 flags (or booleans): non-zero / true means member.
 *
 * @example
 * const isMember: Flags = [1, 1, 0, 0]; // or [true, true, false, false], a Uint8Array...
 * console.log(auc([0.9, 0.8, 0.3, 0.6], isMember)); // 1
 */
export type Flags = ArrayLike<number | boolean>;

/**
 * An exact ROC curve: one point per distinct threshold, from (0, 0) at `+Infinity` (nobody is
 * flagged) down to (1, 1) at the lowest score. Point `i` is the decision "member iff score >=
 * thresholds[i]"; tied scores move together, so ties give diagonal segments, not staircases.
 *
 * @example
 * const roc: RocCurve = rocCurve([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0]);
 * console.log(roc.fpr, roc.tpr, rocArea(roc));
 */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
  /** Total weight of members (the count when unweighted). */
  positives: number;
  /** Total weight of non-members. */
  negatives: number;
}

/**
 * The standard metrics of one attack on one evaluation set.
 *
 * @example
 * const m: MetricSummary = summarize([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0], { threshold: 0.7 });
 * console.log(m.accuracy, m.balancedAccuracy); // 1 1
 */
export interface MetricSummary {
  /** Weighted accuracy of the decisions (the expectation over the coin when weighted by p). */
  accuracy: number;
  /** Mean of TPR and TNR of the decisions. */
  balancedAccuracy: number;
  /** Area under the ROC curve of the scores; ties count 1/2 (Mann-Whitney). */
  auc: number;
  /** max over thresholds of TPR - FPR (>= 0). */
  advantage: number;
  /** Largest TPR at FPR <= 1%. */
  tprAt1Fpr: number;
  /** Largest TPR at FPR <= 0.1%. */
  tprAt01Fpr: number;
  roc: RocCurve;
}

interface Prepared {
  /** Indices with non-zero weight, sorted by score, descending. */
  order: Uint32Array;
  scores: Float64Array;
  member: Uint8Array;
  w: Float64Array;
}

function validateWeights(n: number, weights: ArrayLike<number> | undefined, fn: string): Float64Array {
  const w = new Float64Array(n);
  if (weights === undefined) { w.fill(1); return w; }
  check(weights.length === n, () => `${fn}: weights has ${weights.length} entries, expected ${n}`);
  for (let i = 0; i < n; i++) {
    const v = weights[i]!;
    check(Number.isFinite(v) && v >= 0, () => `${fn}: weights[${i}] = ${v} is not a finite non-negative number`);
    w[i] = v;
  }
  return w;
}

function validateFlags(n: number, isMember: Flags, fn: string, what = 'isMember'): Uint8Array {
  check(isMember.length === n, () => `${fn}: ${what} has ${isMember.length} entries, expected ${n}`);
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = isMember[i] ? 1 : 0;
  return m;
}

function prepare(scores: ArrayLike<number>, isMember: Flags, weights: ArrayLike<number> | undefined, fn: string): Prepared {
  const n = scores.length;
  check(n > 0, () => `${fn}: no samples`);
  const member = validateFlags(n, isMember, fn);
  const w = validateWeights(n, weights, fn);
  const s = new Float64Array(n);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const v = scores[i]!;
    check(!Number.isNaN(v), () => `${fn}: scores[${i}] is NaN`);
    s[i] = v;
    if (w[i]! > 0) kept++;
  }
  const order = new Uint32Array(kept);
  for (let i = 0, j = 0; i < n; i++) if (w[i]! > 0) order[j++] = i;
  order.sort((a, b) => s[b]! - s[a]! || a - b);
  return { order, scores: s, member, w };
}

function bothClasses(p: number, q: number, n: number, fn: string, what: string): void {
  check(p > 0 && q > 0, () => {
    const only = p > 0 ? 'members' : 'non-members';
    return `${fn}: ${what} is undefined when all ${n} samples (with non-zero weight) are ${only}; `
      + 'it needs at least one member and one non-member';
  });
}

/**
 * The exact ROC curve of membership scores (see `RocCurve`).
 *
 * @example
 * const roc = rocCurve([0.9, 0.8, 0.8, 0.1], [1, 1, 0, 0]);
 * // thresholds [Inf, 0.9, 0.8, 0.1], fpr [0, 0, 0.5, 1], tpr [0, 0.5, 1, 1]
 */
export function rocCurve(scores: ArrayLike<number>, isMember: Flags, weights?: ArrayLike<number>): RocCurve {
  const { order, scores: s, member, w } = prepare(scores, isMember, weights, 'rocCurve');
  const fpr: number[] = [0], tpr: number[] = [0], thr: number[] = [Infinity];
  let tp = 0, fp = 0;
  for (let a = 0; a < order.length;) {
    const t = s[order[a]!]!;
    let b = a;
    while (b < order.length && s[order[b]!] === t) {
      const i = order[b]!;
      if (member[i]) tp += w[i]!; else fp += w[i]!;
      b++;
    }
    tpr.push(tp); fpr.push(fp); thr.push(t);
    a = b;
  }
  // Totals from the same summation order, so the last point is exactly (1, 1).
  bothClasses(tp, fp, order.length, 'rocCurve', 'the ROC curve');
  const P = tp, N = fp;
  const out: RocCurve = {
    fpr: Float64Array.from(fpr, (v) => v / N),
    tpr: Float64Array.from(tpr, (v) => v / P),
    thresholds: Float64Array.from(thr),
    positives: P,
    negatives: N,
  };
  return out;
}

/**
 * Area under the ROC curve, i.e. the (weighted) Mann-Whitney statistic: the probability that a
 * random member scores above a random non-member, ties counting 1/2. Throws when one class is absent.
 *
 * @example
 * auc([3, 2, 2, 1], [1, 1, 0, 0])   // 0.875: pairs (3>2, 3>1, 2=2 -> 1/2, 2>1) = 3.5 / 4
 */
export function auc(scores: ArrayLike<number>, isMember: Flags, weights?: ArrayLike<number>): number {
  const { order, scores: s, member, w } = prepare(scores, isMember, weights, 'auc');
  let tpAbove = 0, fp = 0, area = 0;
  for (let a = 0; a < order.length;) {
    const t = s[order[a]!]!;
    let gp = 0, gn = 0, b = a;
    while (b < order.length && s[order[b]!] === t) {
      const i = order[b]!;
      if (member[i]) gp += w[i]!; else gn += w[i]!;
      b++;
    }
    area += gn * (tpAbove + gp / 2);
    tpAbove += gp; fp += gn;
    a = b;
  }
  bothClasses(tpAbove, fp, order.length, 'auc', 'AUC');
  return area / (tpAbove * fp);
}

/**
 * Trapezoidal area under an ROC curve; equals `auc` of the scores it was built from.
 *
 * @example
 * console.log(rocArea(rocCurve([3, 2, 2, 1], [1, 1, 0, 0]))); // 0.875, as auc([3, 2, 2, 1], [1, 1, 0, 0])
 */
export function rocArea(roc: RocCurve): number {
  let area = 0;
  for (let i = 1; i < roc.fpr.length; i++) area += (roc.fpr[i]! - roc.fpr[i - 1]!) * (roc.tpr[i]! + roc.tpr[i - 1]!) / 2;
  return area;
}

/**
 * max over the curve of TPR - FPR: the membership advantage (0 for a useless attack).
 *
 * @example
 * console.log(advantage(rocCurve([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0]))); // 1: a perfect attack
 */
export function advantage(roc: RocCurve): number {
  let best = 0;
  for (let i = 0; i < roc.fpr.length; i++) best = Math.max(best, roc.tpr[i]! - roc.fpr[i]!);
  return best;
}

/**
 * The largest TPR over the points with FPR <= `targetFpr` (no interpolation: an attacker can only
 * pick thresholds that exist). `tprAtFpr(roc, 0.01)` is "TPR at 1% FPR".
 *
 * @example
 * const roc = rocCurve([0.9, 0.8, 0.3, 0.6, 0.85], [1, 1, 0, 0, 0]);
 * console.log(tprAtFpr(roc, 0.01)); // 0.5: only the 0.9 member is above every non-member
 */
export function tprAtFpr(roc: RocCurve, targetFpr: number): number {
  check(targetFpr >= 0 && targetFpr <= 1, () => `tprAtFpr: targetFpr must be in [0, 1], got ${targetFpr}`);
  let best = 0;
  // A tiny relative slack so that e.g. 10/1000 counts as <= 0.01 despite rounding.
  const limit = targetFpr * (1 + 1e-12);
  for (let i = 0; i < roc.fpr.length; i++) if (roc.fpr[i]! <= limit) best = Math.max(best, roc.tpr[i]!);
  return best;
}

/**
 * Weighted accuracy of 0/1 decisions (non-zero = "member").
 *
 * @example
 * console.log(accuracy([1, 0, 0, 0], [1, 1, 0, 0])); // 0.75
 */
export function accuracy(decisions: Flags, isMember: Flags, weights?: ArrayLike<number>): number {
  const n = decisions.length;
  check(n > 0, () => 'accuracy: no samples');
  const m = validateFlags(n, isMember, 'accuracy');
  const w = validateWeights(n, weights, 'accuracy');
  let right = 0, total = 0;
  for (let i = 0; i < n; i++) {
    total += w[i]!;
    if ((decisions[i] ? 1 : 0) === m[i]) right += w[i]!;
  }
  check(total > 0, () => 'accuracy: all weights are zero');
  return right / total;
}

/**
 * Weighted accuracy of the decision "member iff score >= threshold".
 *
 * @example
 * console.log(accuracyAtThreshold([0.9, 0.4, 0.3, 0.6], [1, 1, 0, 0], 0.5)); // 0.5
 */
export function accuracyAtThreshold(scores: ArrayLike<number>, isMember: Flags, threshold: number, weights?: ArrayLike<number>): number {
  return accuracy(thresholdDecisions(scores, threshold), isMember, weights);
}

/**
 * `1` where score >= threshold, else `0`.
 *
 * @example
 * console.log(thresholdDecisions([0.9, 0.4, 0.5], 0.5)); // Uint8Array [1, 0, 1]
 */
export function thresholdDecisions(scores: ArrayLike<number>, threshold: number): Uint8Array {
  check(!Number.isNaN(threshold), () => 'thresholdDecisions: threshold is NaN');
  const d = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    check(!Number.isNaN(scores[i]!), () => `thresholdDecisions: scores[${i}] is NaN`);
    d[i] = scores[i]! >= threshold ? 1 : 0;
  }
  return d;
}

/**
 * (TPR + TNR) / 2 of 0/1 decisions, weighted; throws when one class is absent.
 *
 * @example
 * console.log(balancedAccuracy([1, 0, 0, 0, 0], [1, 1, 0, 0, 0])); // (0.5 + 1) / 2 = 0.75
 */
export function balancedAccuracy(decisions: Flags, isMember: Flags, weights?: ArrayLike<number>): number {
  const n = decisions.length;
  check(n > 0, () => 'balancedAccuracy: no samples');
  const m = validateFlags(n, isMember, 'balancedAccuracy');
  const w = validateWeights(n, weights, 'balancedAccuracy');
  let P = 0, N = 0, tp = 0, tn = 0;
  for (let i = 0; i < n; i++) {
    const d = decisions[i] ? 1 : 0;
    if (m[i]) { P += w[i]!; if (d) tp += w[i]!; } else { N += w[i]!; if (!d) tn += w[i]!; }
  }
  bothClasses(P, N, n, 'balancedAccuracy', 'balanced accuracy');
  return (tp / P + tn / N) / 2;
}

/**
 * What `bestThreshold` maximizes.
 *
 * @example
 * const objective: ThresholdObjective = 'balancedAccuracy';
 * console.log(bestThreshold([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0], { objective })); // { threshold: 0.8, value: 1 }
 */
export type ThresholdObjective = 'accuracy' | 'balancedAccuracy';

/**
 * The threshold t (among the observed scores) maximizing the objective of "member iff score >= t".
 * Ties go to the highest such threshold. For 'balancedAccuracy' both classes must be present.
 *
 * @example
 * console.log(bestThreshold([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0])); // { threshold: 0.8, value: 1 }
 */
export function bestThreshold(
  scores: ArrayLike<number>,
  isMember: Flags,
  options: { weights?: ArrayLike<number>; objective?: ThresholdObjective } = {},
): { threshold: number; value: number } {
  const objective = options.objective ?? 'accuracy';
  const { order, scores: s, member, w } = prepare(scores, isMember, options.weights, 'bestThreshold');
  let P = 0, N = 0;
  for (const i of order) { if (member[i]) P += w[i]!; else N += w[i]!; }
  if (objective === 'balancedAccuracy') bothClasses(P, N, order.length, 'bestThreshold', 'balanced accuracy');
  check(P + N > 0, () => 'bestThreshold: all weights are zero');
  let tp = 0, fp = 0;
  let best = -Infinity, bestT = Infinity;
  for (let a = 0; a < order.length;) {
    const t = s[order[a]!]!;
    let b = a;
    while (b < order.length && s[order[b]!] === t) {
      const i = order[b]!;
      if (member[i]) tp += w[i]!; else fp += w[i]!;
      b++;
    }
    const v = objective === 'accuracy' ? (tp + N - fp) / (P + N) : (tp / P + (N - fp) / N) / 2;
    if (v > best) { best = v; bestT = t; }
    a = b;
  }
  return { threshold: bestT, value: best };
}

/**
 * All standard metrics at once. The decisions behind `accuracy` and `balancedAccuracy` are
 * `options.decisions` when given, else "score >= options.threshold"; one of the two is required.
 *
 * @example
 * const m = summarize([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0], { threshold: 0.5 });
 * console.log(m.accuracy, m.auc, m.advantage, m.tprAt1Fpr); // 0.75 1 1 1
 */
export function summarize(
  scores: ArrayLike<number>,
  isMember: Flags,
  options: { decisions?: Flags; threshold?: number; weights?: ArrayLike<number> },
): MetricSummary {
  const { weights } = options;
  check(options.decisions !== undefined || options.threshold !== undefined,
    () => 'summarize: give either decisions or a threshold');
  const decisions = options.decisions ?? thresholdDecisions(scores, options.threshold!);
  check(decisions.length === scores.length, () => `summarize: decisions has ${decisions.length} entries, expected ${scores.length}`);
  const roc = rocCurve(scores, isMember, weights);
  return {
    accuracy: accuracy(decisions, isMember, weights),
    balancedAccuracy: balancedAccuracy(decisions, isMember, weights),
    auc: auc(scores, isMember, weights),
    advantage: advantage(roc),
    tprAt1Fpr: tprAtFpr(roc, 0.01),
    tprAt01Fpr: tprAtFpr(roc, 0.001),
    roc,
  };
}

/**
 * Weights for evaluating in expectation over the Phase II coin: `2n` weights, the first `n` for the
 * clean variants (`(1 - p_i) * base_i`), the next `n` for the noisy ones (`p_i * base_i`). Pair them
 * with `stack(clean, noisy)` of scores, decisions and flags.
 *
 * @example
 * const p = [0.25, 1];                 // Phase II release probabilities of two rows
 * console.log(coinWeights(p));         // Float64Array [0.75, 0, 0.25, 1]: clean rows, then noisy rows
 */
export function coinWeights(p: ArrayLike<number>, base?: ArrayLike<number>): Float64Array {
  const n = p.length;
  check(base === undefined || base.length === n, () => `coinWeights: base has ${base!.length} entries, expected ${n}`);
  const w = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const pi = p[i]!;
    check(pi >= 0 && pi <= 1, () => `coinWeights: p[${i}] = ${pi} is not a probability`);
    const b = base === undefined ? 1 : base[i]!;
    w[i] = (1 - pi) * b;
    w[n + i] = pi * b;
  }
  return w;
}

type Stackable = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Concatenates `a` then `b` into a new array of the same type as `a`.
 *
 * @example
 * console.log(stack(new Float32Array([1, 2]), new Float32Array([3]))); // Float32Array [1, 2, 3]
 */
export function stack<T extends Stackable>(a: T, b: T): T {
  const out = new (a.constructor as new (n: number) => T)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A weighted histogram over `bins` equal bins on `[lo, hi]`; values outside are clamped to the end bins.
 *
 * @example
 * const h: Histogram = histogram([0.1, 0.2, 0.9], { bins: 2, lo: 0, hi: 1 });
 * console.log(h.edges, h.counts); // [0, 0.5, 1] [2, 1]
 */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/**
 * Bins `values` (optionally weighted) into `bins` equal-width bins on `[lo, hi]`.
 *
 * @example
 * console.log(histogram([0.1, 0.2, 0.9], { bins: 2, lo: 0, hi: 1, weights: [1, 0.5, 1] }).counts); // [1.5, 1]
 */
export function histogram(
  values: ArrayLike<number>,
  options: { bins?: number; lo?: number; hi?: number; weights?: ArrayLike<number> } = {},
): Histogram {
  const bins = options.bins ?? 20, lo = options.lo ?? 0, hi = options.hi ?? 1;
  check(Number.isInteger(bins) && bins > 0, () => `histogram: bins must be a positive integer, got ${bins}`);
  check(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo, () => `histogram: invalid range [${lo}, ${hi}]`);
  const w = validateWeights(values.length, options.weights, 'histogram');
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    check(!Number.isNaN(v), () => `histogram: values[${i}] is NaN`);
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[b]! += w[i]!;
  }
  const edges = Array.from({ length: bins + 1 }, (_, j) => lo + ((hi - lo) * j) / bins);
  return { edges, counts };
}

/**
 * Thins an ROC curve for plotting to about `maxPoints` points, keeping the first and last point
 * of every bucket of log10(FPR) (and of the FPR = 0 segment), so the staircase stays faithful on
 * log axes. Returns plain arrays (JSON-friendly).
 *
 * @example
 * const roc = rocCurve(Array.from({ length: 1000 }, (_, i) => i % 7), Array.from({ length: 1000 }, (_, i) => i % 2));
 * console.log(compactRoc(roc, 64).fpr.length <= 64); // true
 */
export function compactRoc(roc: RocCurve, maxPoints = 256): { fpr: number[]; tpr: number[] } {
  const n = roc.fpr.length;
  if (n <= maxPoints) return { fpr: Array.from(roc.fpr), tpr: Array.from(roc.tpr) };
  let minPos = 1;
  for (let i = 0; i < n; i++) if (roc.fpr[i]! > 0) { minPos = roc.fpr[i]!; break; }
  const buckets = Math.max(1, Math.floor(maxPoints / 2) - 1);
  const span = Math.max(-Math.log10(minPos), 1e-9);
  const bucketOf = (f: number) => (f <= 0 ? -1 : Math.min(buckets - 1, Math.floor(((Math.log10(f) + span) / span) * buckets)));
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = bucketOf(roc.fpr[i]!);
    const first = i === 0 || bucketOf(roc.fpr[i - 1]!) !== b;
    const last = i === n - 1 || bucketOf(roc.fpr[i + 1]!) !== b;
    if (first || last) keep.push(i);
  }
  return { fpr: keep.map((i) => roc.fpr[i]!), tpr: keep.map((i) => roc.tpr[i]!) };
}

/**
 * The results-file form of a summary: ROC thinned to `maxRocPoints`, plus the sampled accuracy if known.
 *
 * @example
 * const summary = toAttackSummary(summarize([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0], { threshold: 0.5 }), { maxRocPoints: 32 });
 * console.log(JSON.stringify(summary).length < 2000); // true: small enough for results.json
 */
export function toAttackSummary(m: MetricSummary, extra: { sampledAccuracy?: number; maxRocPoints?: number } = {}): AttackSummary {
  const out: AttackSummary = {
    accuracy: m.accuracy,
    balancedAccuracy: m.balancedAccuracy,
    auc: m.auc,
    advantage: m.advantage,
    tprAt1Fpr: m.tprAt1Fpr,
    tprAt01Fpr: m.tprAt01Fpr,
    roc: compactRoc(m.roc, extra.maxRocPoints),
  };
  if (extra.sampledAccuracy !== undefined) out.sampledAccuracy = extra.sampledAccuracy;
  return out;
}
