// The offline likelihood-ratio attack, LiRA (Carlini, Chien, Nasr, Song, Terzis, Tramèr, "Membership
// Inference Attacks From First Principles", IEEE S&P 2022), on released confidence vectors.
//
// Its statistic is the logit-scaled confidence of the TRUE label, phi(p) = log(p_y / (1 - p_y)),
// which is close to Gaussian over the randomness of training. Offline, the attacker trains N shadow
// models that never saw the examples it asks about, fits N(mu_out, sigma_out) per example to their
// phi values (median and standard deviation across shadows, as TF Privacy's `compute_score_lira`
// with median_or_mean = 'median'), and flags an example when the target's phi is improbably high
// under that fit: the one-sided test of the paper's offline variant, score = -log Pr[Z >= z] with
// z = (phi - mu_out) / sigma_out (higher = more likely a member). (TF Privacy's option 'out' returns
// the two-sided log density instead; the one-sided test is what the paper evaluates offline.)
// Training the shadows is the experiment's job (src/experiment/lira.ts); this file is the arithmetic.
import { check } from '../errors.js';
import type { ConfidenceSet } from './confidence.js';
import type { AttackResult } from './metricAttacks.js';

/**
 * Per-example fit of the shadows' phi where the example was out of their training set.
 *
 * @example
 * const reference: LiraReference = { mean: Float64Array.of(-1.2, 0.3), std: Float64Array.of(0.8, 0.5) };
 */
export interface LiraReference {
  /** Median of phi across the out shadows, one per example. */
  mean: Float64Array;
  /** Population standard deviation of phi across the out shadows (numpy's default), one per example. */
  std: Float64Array;
}

// As in the metric attacks (Song & Mittal's clamp): logs of probabilities never see 0.
const TINY = 1e-30;

/**
 * phi = log(p_y) - log(sum_{j != y} p_j) for each row (the sum of the others is 1 - p_y without the
 * cancellation of computing 1 - p_y near p_y = 1).
 */
export function logitConfidence(set: ConfidenceSet): Float64Array {
  const { vectors: v, labels, k } = set;
  const n = labels.length;
  check(v.length === n * k, () => `logitConfidence: vectors has ${v.length} entries, expected ${n} rows x ${k}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    check(Number.isInteger(y) && y >= 0 && y < k, () => `logitConfidence: row ${i}: label ${y} is not in [0, ${k})`);
    let rest = 0;
    for (let j = 0; j < k; j++) if (j !== y) rest += v[i * k + j]!;
    out[i] = Math.log(Math.max(v[i * k + y]!, TINY)) - Math.log(Math.max(rest, TINY));
  }
  return out;
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The per-example out-distribution from `stats[m][i]` = phi of example i under shadow m. `out[m][i]`
 * (default: every shadow is out for every example, the offline setting for examples outside the
 * attacker's data) selects the shadows that did not train on example i; each example needs at least
 * two of them.
 */
export function outDistribution(stats: Float64Array[], out?: Uint8Array[]): LiraReference {
  check(stats.length >= 2, () => `outDistribution: needs at least 2 shadow models, got ${stats.length}`);
  const n = stats[0]!.length;
  check(stats.every((s) => s.length === n), () => 'outDistribution: every shadow must score the same examples');
  check(out === undefined || (out.length === stats.length && out.every((o) => o.length === n)),
    () => 'outDistribution: `out` must have one flag per shadow and example');
  const mean = new Float64Array(n), std = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xs: number[] = [];
    for (let m = 0; m < stats.length; m++) if (!out || out[m]![i]) xs.push(stats[m]![i]!);
    check(xs.length >= 2, () => `outDistribution: example ${i} is out of only ${xs.length} shadow model(s); needs 2`);
    const avg = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean[i] = median(xs);
    std[i] = Math.sqrt(xs.reduce((a, x) => a + (x - avg) ** 2, 0) / xs.length);
  }
  return { mean, std };
}

/**
 * log Pr[Z >= z] for a standard normal Z, finite for every finite z (no underflow in the tail):
 * log(erfc(z / sqrt 2) / 2) with the Chebyshev fit of erfc of Numerical Recipes (`erfcc`,
 * relative error below 1.2e-7 everywhere), evaluated in log form.
 */
export function logNormalSf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const logErfc = Math.log(t) - x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  // erfc(-x) = 2 - erfc(x).
  return Math.log(0.5) + (z >= 0 ? logErfc : Math.log(2 - Math.exp(logErfc)));
}

/**
 * Offline LiRA scores: -log Pr[N(mean_i, std_i) >= phi_i] per row (higher = more likely a member).
 * Row i of `observed` uses example `i mod n` of the reference, so a set expanded over the Phase II
 * coin (clean rows, then noisy rows) is scored against the same fit twice. `std` gets TF Privacy's
 * 1e-30 so a zero spread gives an infinite z rather than NaN.
 */
export function liraScores(observed: ArrayLike<number>, reference: LiraReference): Float64Array {
  const n = reference.mean.length;
  check(n > 0 && observed.length % n === 0,
    () => `liraScores: ${observed.length} observations are not a whole number of copies of the ${n} reference examples`);
  const out = new Float64Array(observed.length);
  for (let i = 0; i < observed.length; i++) {
    const z = (observed[i]! - reference.mean[i % n]!) / (reference.std[i % n]! + 1e-30);
    out[i] = -logNormalSf(z);
  }
  return out;
}

/**
 * The calibrated attack: LiRA scores and the decision "member iff score >= threshold".
 *
 * @example
 * const attack: LiraAttack = { reference: { mean: Float64Array.of(-1.2), std: Float64Array.of(0.8) }, threshold: 2.1 };
 */
export interface LiraAttack {
  reference: LiraReference;
  /** Decision threshold on the score, calibrated on the attacker's own shadows. */
  threshold: number;
}

/** Runs offline LiRA on a confidence set (rows as in `liraScores`). */
export function liraAttack(attack: LiraAttack, set: ConfidenceSet, id = 'lira'): AttackResult {
  const scores = liraScores(logitConfidence(set), attack.reference);
  const decisions = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) decisions[i] = scores[i]! >= attack.threshold ? 1 : 0;
  return { attack: id, scores, decisions };
}
