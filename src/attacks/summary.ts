// The results-file form of what an attack achieved (plain arrays, JSON-friendly): its metrics with a
// thinned ROC curve, and the top-1 confidence histograms of members and non-members.

/**
 * An ROC curve as plain arrays (usually thinned by `compactRoc` for plotting).
 *
 * @example
 * const s = toAttackSummary(summarize([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0], { threshold: 0.5 }));
 * const points: RocPoints = s.roc; // thinned by compactRoc
 */
export interface RocPoints {
  fpr: number[];
  tpr: number[];
}

/**
 * The metrics of one attack against one defended evaluation set.
 *
 * @example
 * const s = toAttackSummary(summarize([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0], { threshold: 0.5 }));
 * const summary: AttackSummary = s;
 * console.log(summary.accuracy, summary.auc);
 */
export interface AttackSummary {
  /** Attack accuracy in expectation over the Phase II coin (the headline number). */
  accuracy: number;
  /** Attack accuracy on one sampled release (one coin draw per row), when computed. */
  sampledAccuracy?: number;
  balancedAccuracy: number;
  auc: number;
  /** max(TPR - FPR). */
  advantage: number;
  /** Largest TPR at FPR <= 1%. */
  tprAt1Fpr: number;
  /** Largest TPR at FPR <= 0.1%. */
  tprAt01Fpr: number;
  roc: RocPoints;
  /** Half-width of the 95% interval of each metric over repeated runs (when the run was repeated). */
  halfWidth?: Partial<Record<SummaryMetric, number>>;
}

/**
 * A histogram: `counts[i]` is the (weighted) count in `[edges[i], edges[i+1])`.
 *
 * @example
 * const h: HistogramData = histogram([0.1, 0.7, 0.9], { bins: 2, lo: 0, hi: 1 });
 */
export interface HistogramData {
  edges: number[];
  counts: number[];
}

/**
 * Top-1 confidence of members vs non-members of the evaluation set.
 *
 * @example
 * const h: MembershipHistogram = topConfidenceHistogram([0.9, 0.1, 0.6, 0.4], 2, [1, 0]);
 */
export interface MembershipHistogram {
  members: HistogramData;
  nonMembers: HistogramData;
}

/** The numeric metrics of an `AttackSummary` (everything but the ROC curve). */
export const SUMMARY_METRICS = ['accuracy', 'sampledAccuracy', 'balancedAccuracy', 'auc', 'advantage', 'tprAt1Fpr', 'tprAt01Fpr'] as const;
export type SummaryMetric = typeof SUMMARY_METRICS[number];

/** The FPR grid ROC curves are averaged on: 0, then 64 log-spaced points from 1e-4 to 1. */
const ROC_GRID: number[] = [0, ...Array.from({ length: 64 }, (_, i) => 10 ** (-4 + (4 * i) / 63))];

/** TPR of a (thinned, monotone) ROC curve at `fpr`, by linear interpolation between its points. */
export function rocTprAt(roc: RocPoints, fpr: number): number {
  const { fpr: f, tpr: t } = roc;
  if (f.length === 0) return fpr;
  let best = 0;
  for (let i = 0; i < f.length; i++) {
    if (f[i]! <= fpr) { best = Math.max(best, t[i]!); continue; }
    // First point past fpr: interpolate from the last one at or below it.
    const f0 = i > 0 ? f[i - 1]! : 0, t0 = i > 0 ? t[i - 1]! : 0;
    const w = f[i]! > f0 ? (fpr - f0) / (f[i]! - f0) : 0;
    return Math.max(best, t0 + w * (t[i]! - t0));
  }
  return best;
}

/**
 * The mean of ROC curves by vertical averaging (Fawcett 2006): the mean TPR at each FPR of a fixed
 * grid (log-spaced, so the low-FPR end the log-log plots show keeps its detail).
 */
export function averageRoc(rocs: RocPoints[]): RocPoints {
  if (rocs.length === 1) return rocs[0]!;
  return { fpr: ROC_GRID.slice(), tpr: ROC_GRID.map((f) => rocs.reduce((s, r) => s + rocTprAt(r, f), 0) / rocs.length) };
}

/**
 * The mean of several summaries of one attack (e.g. the NN attack trained with several seeds):
 * each metric averaged, the ROC curves vertically averaged. `sampledAccuracy` only when all have it.
 */
export function meanSummary(summaries: AttackSummary[]): AttackSummary {
  if (summaries.length === 0) throw new RangeError('meanSummary: no summaries');
  if (summaries.length === 1) return summaries[0]!;
  const mean = (m: SummaryMetric) => summaries.reduce((s, x) => s + (x[m] as number), 0) / summaries.length;
  const out: AttackSummary = {
    accuracy: mean('accuracy'), balancedAccuracy: mean('balancedAccuracy'), auc: mean('auc'), advantage: mean('advantage'),
    tprAt1Fpr: mean('tprAt1Fpr'), tprAt01Fpr: mean('tprAt01Fpr'), roc: averageRoc(summaries.map((x) => x.roc)),
  };
  if (summaries.every((x) => x.sampledAccuracy !== undefined)) out.sampledAccuracy = mean('sampledAccuracy');
  return out;
}
