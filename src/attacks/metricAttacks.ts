// Metric-based membership inference attacks (Song & Mittal, "Systematic Evaluation of Privacy
// Risks of Machine Learning Models", USENIX Security 2021), on any confidence vectors: the
// correctness, confidence, entropy and modified-entropy scores; thresholds per class (or one
// global threshold) calibrated on the attacker's shadow data; the best threshold in hindsight on the
// evaluation set itself, in both score directions (an upper bound no real attacker reaches); and the
// gap (label-only) attack, which no label-preserving defense such as MemGuard can lower.
//
// Every attack returns per-row `scores` (higher = more likely a member) and `decisions` (1 = member),
// so `evaluateAttack` / `summarize` (metrics.ts) give accuracy, AUC, TPR at low FPR and ROC curves.
// Rows can carry weights: that is how an evaluation in expectation over MemGuard's Phase II coin
// is expressed (`expandOverCoin`). The neural-network attack is in nnAttack.ts.
import { check } from '../errors.js';
import { predictedLabels, type ConfidenceSet, type LabeledConfidenceSet } from './confidence.js';
import { bestThreshold, coinWeights, summarize, type Flags, type MetricSummary, type ThresholdObjective } from './metrics.js';

/**
 * The four scores of Song & Mittal; each is oriented so that higher means "more likely a member".
 *
 * @example
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * const score: MetricScore = 'modifiedEntropy';
 * console.log(metricScores(score, target));
 */
export type MetricScore = 'correctness' | 'confidence' | 'entropy' | 'modifiedEntropy';

/**
 * The four metric scores, in report order.
 *
 * @example
 * for (const score of METRIC_SCORES) console.log(score, METRIC_SCORE_IDS[score]);
 */
export const METRIC_SCORES: readonly MetricScore[] = ['correctness', 'confidence', 'entropy', 'modifiedEntropy'];

/**
 * Names used in attack ids and reports.
 *
 * @example
 * console.log(METRIC_SCORE_IDS.modifiedEntropy);
 */
export const METRIC_SCORE_IDS: Record<MetricScore, string> = {
  correctness: 'correctness',
  confidence: 'confidence',
  entropy: 'entropy',
  modifiedEntropy: 'modified-entropy',
};

/**
 * Per-row output of an attack.
 *
 * @example
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * const result: AttackResult = gapAttack(target);
 * console.log(result.attack, result.scores, result.decisions);
 */
export interface AttackResult {
  /** Attack id, e.g. `gap`, `confidence/per-class`, `entropy/hindsight`. */
  attack: string;
  /** Higher = more likely a member; the ROC and AUC are computed on these. */
  scores: Float64Array;
  /** 1 = predicted member. */
  decisions: Uint8Array;
}

// Song & Mittal clamp probabilities before taking logs (`np.maximum(p, 1e-30)`).
const TINY = 1e-30;
const logc = (p: number) => Math.log(Math.max(p, TINY));

function rows(set: ConfidenceSet, fn: string): number {
  const { vectors, labels, k } = set;
  check(Number.isInteger(k) && k >= 2, () => `${fn}: k must be an integer >= 2, got ${k}`);
  const n = labels.length;
  check(vectors.length === n * k, () => `${fn}: vectors has ${vectors.length} entries, expected ${n} rows x ${k} = ${n * k}`);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    check(Number.isInteger(y) && y >= 0 && y < k, () => `${fn}: row ${i}: label ${y} is not in [0, ${k})`);
  }
  for (let i = 0; i < vectors.length; i++) {
    check(Number.isFinite(vectors[i]!), () => `${fn}: row ${Math.floor(i / k)}, entry ${i % k}: ${vectors[i]} is not finite`);
  }
  check(set.weights === undefined || set.weights.length === n,
    () => `${fn}: weights has ${set.weights!.length} entries, expected ${n}`);
  return n;
}

/**
 * The per-row score of one kind, oriented so that higher = member:
 * - `correctness`: 1 if the predicted label (argmax) is the true label, else 0;
 * - `confidence`: the entry of the true label, `p_y`;
 * - `entropy`: the negated Shannon entropy, `sum_j p_j log p_j`;
 * - `modifiedEntropy`: the negated Mentr of Song & Mittal,
 *   `(1 - p_y) log p_y + sum_{j != y} p_j log(1 - p_j)` (logs clamped at 1e-30, as in their code).
 *
 * @example
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * console.log(metricScores('entropy', target)); // higher = lower entropy = more member-like
 */
export function metricScores(kind: MetricScore, set: ConfidenceSet): Float64Array {
  const n = rows(set, 'metricScores');
  const { vectors: v, labels, k } = set;
  const out = new Float64Array(n);
  switch (kind) {
    case 'correctness': {
      const pred = predictedLabels(v, k);
      for (let i = 0; i < n; i++) out[i] = pred[i] === labels[i] ? 1 : 0;
      break;
    }
    case 'confidence':
      for (let i = 0; i < n; i++) out[i] = v[i * k + labels[i]!]!;
      break;
    case 'entropy':
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < k; j++) { const p = v[i * k + j]!; s += p * logc(p); }
        out[i] = s;
      }
      break;
    case 'modifiedEntropy':
      for (let i = 0; i < n; i++) {
        const y = labels[i]!;
        let s = 0;
        for (let j = 0; j < k; j++) {
          const p = v[i * k + j]!;
          s += j === y ? (1 - p) * logc(p) : p * logc(1 - p);
        }
        out[i] = s;
      }
      break;
    default:
      check(false, () => `metricScores: unknown score ${JSON.stringify(kind)}; expected one of ${METRIC_SCORES.join(', ')}`);
  }
  return out;
}

/**
 * Thresholds calibrated on shadow data: "member iff score >= thresholds[label]".
 *
 * @example
 * const shadow = { vectors: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7], labels: [0, 0, 0, 1], k: 2, isMember: [1, 1, 0, 0] };
 * const cal: ThresholdCalibration = calibrateThresholds('confidence', shadow, { perClass: false });
 * console.log(cal.global);
 */
export interface ThresholdCalibration {
  score: MetricScore;
  perClass: boolean;
  /** One threshold per class (all equal to `global` when `perClass` is false). */
  thresholds: Float64Array;
  /** The threshold calibrated on all shadow rows together. */
  global: number;
  /** Classes lacking shadow members or non-members, which use `global` instead. */
  fallbackClasses: number[];
}

/**
 * Song & Mittal's calibration: for each class, the threshold (among the observed shadow scores)
 * maximizing the shadow balanced accuracy `(TPR + TNR) / 2` of that class, as their released code
 * does (`objective: 'accuracy'` maximizes plain accuracy instead); ties go to the highest threshold.
 * A class with no shadow members or no shadow non-members falls back to the global threshold.
 *
 * @example
 * const shadow = { vectors: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7], labels: [0, 0, 0, 1], k: 2, isMember: [1, 1, 0, 0] };
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * const cal = calibrateThresholds('confidence', shadow);
 * console.log(applyThresholds(cal, target).decisions);
 */
export function calibrateThresholds(
  score: MetricScore,
  shadow: LabeledConfidenceSet,
  options: { perClass?: boolean; objective?: ThresholdObjective } = {},
): ThresholdCalibration {
  const perClass = options.perClass ?? true;
  const objective = options.objective ?? 'balancedAccuracy';
  const n = rows(shadow, 'calibrateThresholds');
  check(shadow.isMember.length === n, () => `calibrateThresholds: isMember has ${shadow.isMember.length} entries, expected ${n}`);
  const s = metricScores(score, shadow);
  const w = shadow.weights;
  const global = bestThreshold(s, shadow.isMember, { weights: w, objective }).threshold;
  const thresholds = new Float64Array(shadow.k).fill(global);
  const fallbackClasses: number[] = [];
  if (perClass) {
    const byClass: number[][] = Array.from({ length: shadow.k }, () => []);
    for (let i = 0; i < n; i++) byClass[shadow.labels[i]!]!.push(i);
    for (let c = 0; c < shadow.k; c++) {
      const idx = byClass[c]!;
      let P = 0, N = 0;
      for (const i of idx) {
        const wi = w === undefined ? 1 : w[i]!;
        if (shadow.isMember[i]) P += wi; else N += wi;
      }
      if (P > 0 && N > 0) {
        thresholds[c] = bestThreshold(
          idx.map((i) => s[i]!),
          idx.map((i) => (shadow.isMember[i] ? 1 : 0)),
          { weights: w === undefined ? undefined : idx.map((i) => w[i]!), objective },
        ).threshold;
      } else {
        fallbackClasses.push(c);
      }
    }
  }
  return { score, perClass, thresholds, global, fallbackClasses };
}

/**
 * Applies calibrated thresholds to target vectors. `scores` are the margins `score - threshold[label]`,
 * so the decision is `scores >= 0` and the ROC sweeps the same offset in every class.
 *
 * @example
 * const shadow = { vectors: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7], labels: [0, 0, 0, 1], k: 2, isMember: [1, 1, 0, 0] };
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * console.log(applyThresholds(calibrateThresholds('entropy', shadow), target, 'entropy/shadow').decisions);
 */
export function applyThresholds(cal: ThresholdCalibration, target: ConfidenceSet, attack?: string): AttackResult {
  const n = rows(target, 'applyThresholds');
  check(cal.thresholds.length === target.k,
    () => `applyThresholds: calibrated for ${cal.thresholds.length} classes, target has k = ${target.k}`);
  const s = metricScores(cal.score, target);
  const scores = new Float64Array(n);
  const decisions = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = cal.thresholds[target.labels[i]!]!;
    decisions[i] = s[i]! >= t ? 1 : 0;
    scores[i] = s[i]! - t;
  }
  return { attack: attack ?? `${METRIC_SCORE_IDS[cal.score]}/${cal.perClass ? 'per-class' : 'global'}`, scores, decisions };
}

/**
 * Calibrates on `shadow` and attacks `target` (`perClass` default true).
 *
 * @example
 * const shadow = { vectors: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7], labels: [0, 0, 0, 1], k: 2, isMember: [1, 1, 0, 0] };
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * const { decisions, calibration } = thresholdAttack('confidence', shadow, target, { perClass: true });
 */
export function thresholdAttack(
  score: MetricScore,
  shadow: LabeledConfidenceSet,
  target: ConfidenceSet,
  options: { perClass?: boolean; objective?: ThresholdObjective } = {},
): AttackResult & { calibration: ThresholdCalibration } {
  const calibration = calibrateThresholds(score, shadow, options);
  return { ...applyThresholds(calibration, target), calibration };
}

/**
 * The best single threshold in hindsight: chosen on the evaluation set itself to maximize its
 * (weighted) accuracy, trying both "member iff score >= t" and "member iff score <= t" (an attacker
 * who knows the defense inverts the signal). An upper bound for threshold attacks on this score.
 *
 * @example
 * const shadow = { vectors: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7], labels: [0, 0, 0, 1], k: 2, isMember: [1, 1, 0, 0] };
 * const { threshold, direction, accuracy } = hindsightAttack('confidence', shadow); // an upper bound
 */
export function hindsightAttack(
  score: MetricScore,
  target: LabeledConfidenceSet,
): AttackResult & { threshold: number; direction: 'higher' | 'lower'; accuracy: number } {
  const n = rows(target, 'hindsightAttack');
  check(target.isMember.length === n, () => `hindsightAttack: isMember has ${target.isMember.length} entries, expected ${n}`);
  const s = metricScores(score, target);
  const neg = s.map((v) => -v);
  const hi = bestThreshold(s, target.isMember, { weights: target.weights });
  const lo = bestThreshold(neg, target.isMember, { weights: target.weights });
  const higher = hi.value >= lo.value;
  const scores = higher ? s : neg;
  const t = higher ? hi.threshold : lo.threshold;
  const decisions = new Uint8Array(n);
  for (let i = 0; i < n; i++) decisions[i] = scores[i]! >= t ? 1 : 0;
  return {
    attack: `${METRIC_SCORE_IDS[score]}/hindsight`,
    scores,
    decisions,
    threshold: higher ? t : -t,
    direction: higher ? 'higher' : 'lower',
    accuracy: higher ? hi.value : lo.value,
  };
}

/**
 * The gap (label-only) attack: member iff the predicted label is the true label.
 *
 * @example
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * console.log(gapAttack(target).decisions); // Uint8Array [1, 1]: both rows predicted correctly
 */
export function gapAttack(target: ConfidenceSet): AttackResult {
  const scores = metricScores('correctness', target);
  return { attack: 'gap', scores, decisions: Uint8Array.from(scores) };
}

/**
 * The whole metric-attack suite: `gap`; for each score, `<score>/per-class` and `<score>/global`
 * calibrated on `shadow`; and, when `target.isMember` is given, `<score>/hindsight`.
 *
 * @example
 * const shadow = { vectors: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7], labels: [0, 0, 0, 1], k: 2, isMember: [1, 1, 0, 0] };
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2, isMember: [1, 0] };
 * for (const r of metricAttacks(shadow, target)) console.log(r.attack, evaluateAttack(r, target.isMember).accuracy);
 */
export function metricAttacks(
  shadow: LabeledConfidenceSet,
  target: ConfidenceSet & { isMember?: Flags },
  options: { scores?: readonly MetricScore[]; hindsight?: boolean } = {},
): AttackResult[] {
  const out: AttackResult[] = [gapAttack(target)];
  for (const score of options.scores ?? METRIC_SCORES) {
    const { attack, scores, decisions } = thresholdAttack(score, shadow, target, { perClass: true });
    out.push({ attack, scores, decisions });
    const g = thresholdAttack(score, shadow, target, { perClass: false });
    out.push({ attack: g.attack, scores: g.scores, decisions: g.decisions });
    if (target.isMember !== undefined && (options.hindsight ?? true)) {
      const h = hindsightAttack(score, { ...target, isMember: target.isMember });
      out.push({ attack: h.attack, scores: h.scores, decisions: h.decisions });
    }
  }
  return out;
}

/**
 * The standard metrics of an attack's output (weights: e.g. `coinWeights(p)`).
 *
 * @example
 * const target = { vectors: [0.95, 0.05, 0.55, 0.45], labels: [0, 0], k: 2 };
 * console.log(evaluateAttack(gapAttack(target), [1, 0]).accuracy); // 0.5
 */
export function evaluateAttack(result: AttackResult, isMember: Flags, weights?: ArrayLike<number>): MetricSummary {
  return summarize(result.scores, isMember, { decisions: result.decisions, weights });
}

/**
 * A set expanded over MemGuard's Phase II coin: `2n` rows, the clean vectors (weight `1 - p`) then
 * the noisy ones `s + r` (weight `p`), labels and membership repeated. Attacks and metrics on it
 * give results in expectation over the coin.
 *
 * @example
 * const clean = { vectors: [0.9, 0.1], labels: [0], k: 2, isMember: [1] };
 * const expanded = expandOverCoin(clean, [0.6, 0.4], [0.25]); // noise released with p = 0.25
 * console.log(expanded.vectors, expanded.weights);            // 2 rows: weights 0.75 and 0.25
 */
export function expandOverCoin<T extends ConfidenceSet & { isMember?: Flags }>(
  clean: T,
  noisyVectors: ArrayLike<number>,
  p: ArrayLike<number>,
): T & { weights: Float64Array } {
  const n = clean.labels.length;
  check(noisyVectors.length === clean.vectors.length,
    () => `expandOverCoin: noisy vectors have ${noisyVectors.length} entries, expected ${clean.vectors.length}`);
  check(p.length === n, () => `expandOverCoin: p has ${p.length} entries, expected ${n}`);
  const vectors = new Float64Array(2 * clean.vectors.length);
  for (let i = 0; i < clean.vectors.length; i++) { vectors[i] = clean.vectors[i]!; vectors[clean.vectors.length + i] = noisyVectors[i]!; }
  const labels = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) labels[i] = labels[n + i] = clean.labels[i]!;
  const out = { ...clean, vectors, labels, weights: coinWeights(p, clean.weights) };
  if (clean.isMember !== undefined) {
    const m = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) m[i] = m[n + i] = clean.isMember[i] ? 1 : 0;
    out.isMember = m;
  }
  return out;
}
