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
