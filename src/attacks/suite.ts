// Every attack of the evaluation protocol (design §6) on one set of released vectors, in expectation
// over the Phase II coin and on one sampled release.
import { check } from '../errors.js';
import type { Mlp } from '../nn/mlp.js';
import type { LabeledConfidenceSet } from './confidence.js';
import { liraAttack, type LiraAttack } from './lira.js';
import { evaluateAttack, expandOverCoin, metricAttacks, type AttackResult } from './metricAttacks.js';
import { accuracy, toAttackSummary } from './metrics.js';
import { nnAttack } from './nnAttack.js';
import { meanSummary, type AttackSummary } from './summary.js';

/**
 * One evaluation set as the defense released it: the clean vectors, the noisy candidates and their release probability.
 *
 * @example
 * const released: ReleasedSet = {
 *   clean: { vectors: new Float32Array([0.9, 0.1, 0.6, 0.4]), labels: [0, 0], k: 2, isMember: [1, 0] },
 *   noisy: new Float32Array([0.7, 0.3, 0.6, 0.4]), p: [0.5, 0],
 * };
 */
export interface ReleasedSet {
  /** The undefended vectors s (rows x k), true labels and membership. */
  clean: LabeledConfidenceSet & { vectors: Float32Array };
  /** The noisy candidates s + r and the probability p of releasing them; omit for undefended data. */
  noisy?: Float32Array;
  p?: ArrayLike<number>;
  /** One drawn release (rows x k), for the sampled accuracy. */
  sampled?: Float32Array;
}

/**
 * Attacks beyond the trained NN models and the metric attacks: any function of the released vectors
 * (e.g. NN-R, which rounds them first), and label-only attacks already run on the evaluation
 * records themselves (e.g. noise robustness, which queries the model, not the released vectors).
 *
 * @example
 * const more: MoreAttacks = {
 *   vectorAttacks: { 'nn-r1': (vectors) => ({ attack: 'nn-r1', scores: new Float64Array(vectors.length / 2), decisions: new Uint8Array(vectors.length / 2) }) },
 *   labelOnly: [{ attack: 'label-only/noise', scores: Float64Array.from([1, 0.4]), decisions: Uint8Array.from([1, 0]) }],
 * };
 */
export interface MoreAttacks {
  /** id -> attack on rows x k released vectors. */
  vectorAttacks?: Record<string, (vectors: Float32Array) => AttackResult>;
  /**
   * Results per evaluation row (clean order): a label-preserving defense releases the same label
   * with s and with s + r, so each row counts with its one score on both sides of the coin.
   */
  labelOnly?: AttackResult[];
}

/**
 * Runs the NN attacks (`nnAttacks`: id -> trained model, or the same attack trained with several
 * seeds, reported as the mean of their summaries) and the metric attacks calibrated on
 * `shadow` against `target`. Accuracy and every other metric are in expectation over the coin
 * (each row counted as s with weight 1-p and as s+r with weight p); `sampledAccuracy` uses the drawn
 * release. `lira` (fitted on the evaluation records) adds offline LiRA as attack `lira`; `more`
 * adds attacks on the vectors and label-only results (`MoreAttacks`).
 *
 * @example
 * const shadow = { vectors: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7], labels: [0, 0, 0, 1], k: 2, isMember: [1, 1, 0, 0] };
 * const target = { clean: { vectors: new Float32Array([0.95, 0.05, 0.55, 0.45]), labels: [0, 0], k: 2, isMember: [1, 0] } };
 * const summaries = runAttackSuite(shadow, target, {}); // metric attacks only (no NN attack models given)
 * console.log(Object.keys(summaries));
 */
export function runAttackSuite(
  shadow: LabeledConfidenceSet, target: ReleasedSet, nnAttacks: Record<string, Mlp | Mlp[]>, lira?: LiraAttack, more: MoreAttacks = {},
): Record<string, AttackSummary> {
  const { clean } = target;
  const k = clean.k;
  const expanded = target.noisy && target.p ? expandOverCoin(clean, target.noisy, target.p) : undefined;
  const evaluated = expanded ?? clean;
  const vectors = expanded ? Float32Array.from(expanded.vectors) : clean.vectors;
  const sampledSet = target.sampled ? { ...clean, vectors: target.sampled } : clean;
  const out: Record<string, AttackSummary> = {};
  const summarize = (result: AttackResult, sampled: AttackResult) =>
    toAttackSummary(evaluateAttack(result, evaluated.isMember, expanded?.weights), { sampledAccuracy: accuracy(sampled.decisions, clean.isMember) });
  const add = (result: AttackResult, sampled: AttackResult) => { out[result.attack] = summarize(result, sampled); };
  for (const [id, models] of Object.entries(nnAttacks)) {
    out[id] = meanSummary((Array.isArray(models) ? models : [models]).map((m) => summarize(nnAttack(m, vectors, id), nnAttack(m, sampledSet.vectors, id))));
  }
  for (const [id, attack] of Object.entries(more.vectorAttacks ?? {})) {
    out[id] = summarize({ ...attack(vectors), attack: id }, { ...attack(sampledSet.vectors), attack: id });
  }
  if (lira) add(liraAttack(lira, { ...evaluated, vectors, k }), liraAttack(lira, sampledSet));
  for (const result of more.labelOnly ?? []) {
    const n = clean.isMember.length;
    check(result.scores.length === n, () => `runAttackSuite: ${result.attack} has ${result.scores.length} scores for ${n} evaluation rows`);
    const reps = evaluated.isMember.length / n;
    const scores = new Float64Array(n * reps), decisions = new Uint8Array(n * reps);
    for (let r = 0; r < reps; r++) { scores.set(result.scores, r * n); decisions.set(result.decisions, r * n); }
    add({ attack: result.attack, scores, decisions }, result);
  }
  const onEvaluated = metricAttacks(shadow, { ...evaluated, vectors, k });
  const onSampled = metricAttacks(shadow, { ...sampledSet, k });
  onEvaluated.forEach((r, i) => add(r, onSampled[i]!));
  return out;
}
