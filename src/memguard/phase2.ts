// Phase II of MemGuard (design §4): the closed-form probability of releasing s + r. Cheap per row
// (a few flops), so it runs here; the per-element work of the release (s + r, repair) is in WASM.
import { check } from '../errors.js';
import type { Mlp } from '../nn/mlp.js';
import { membershipProbability } from './defenseClassifier.js';

/**
 * Phase II rule. 'paper' (the default) and 'exact': see `mixingProbability`. 'crossing' (beyond the
 * paper): Phase I's noise r is first shrunk to t r, t in (0, 1], the point of the segment from s to
 * s + r where g crosses 0.5 (`crossingNoise`), then mixed by the paper's rule on that shorter noise.
 * Where the budget covers it (p = 1), every released row has g = 0.5 within float precision, whatever
 * its membership: no overshoot (the paper's inverted signal) and no clean s left in the mix (exact's
 * tail), at no more distortion than the paper's rule, since t ||r||_1 <= ||r||_1.
 * Measured on Location (BENCHMARKS.md, issue 11) it leaks MORE than both at epsilon 1 (confidence
 * attacks reach AUC 0.748 vs 0.717 / 0.708, the label-only floor being 0.694): g = 0.5 is a level set
 * of the defender's own overfit g, and on it members still sit at higher confidence; the paper's
 * overshoot is what hides that. An evaluated variant, not a recommendation: use 'paper' or 'exact'.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const mixing: MixingMode = 'exact';
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 1, mixing, coin: { mode: 'seed', seed: 1 } });
 */
export type MixingMode = 'paper' | 'exact' | 'crossing';

export const MIXING_MODES: readonly MixingMode[] = ['paper', 'exact', 'crossing'];

/** The largest float64 strictly below x (x > 0 finite). */
function below(x: number): number {
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] = i[0]! - 1n;
  return b[0]!;
}

/**
 * Phase II's release probability (design §4). `gS` = g(s), `gSr` = g(sort(s + r)), `noiseL1` = ||r||_1,
 * `epsilon` = the distortion budget (Infinity allowed).
 * - 0 when epsilon = 0, r = 0, or the noise does not help (|gS - .5| <= |gSr - .5|);
 * - 'paper' (and 'crossing', whose r is already shrunk by `crossingNoise`): min(epsilon / ||r||_1, 1);
 * - 'exact': min(epsilon / ||r||_1, (gS - .5) / (gS - gSr), 1): the smallest probability making
 *   E g = 0.5 when the budget allows it (so epsilon = Infinity gives that, not 1).
 * The result always satisfies p * ||r||_1 <= epsilon in float64 (rounded down when needed).
 *
 * @example
 * mixingProbability(0.9, 0.3, 0.4, 0.1, 'paper'); // 0.25
 * mixingProbability(0.9, 0.3, 0.4, 1, 'exact');   // 0.4 / 0.6 = 0.666...
 */
export function mixingProbability(gS: number, gSr: number, noiseL1: number, epsilon: number, mode: MixingMode = 'paper'): number {
  check(gS >= 0 && gS <= 1, () => `mixingProbability: g(s) must be in [0, 1], got ${gS}`);
  check(gSr >= 0 && gSr <= 1, () => `mixingProbability: g(s + r) must be in [0, 1], got ${gSr}`);
  check(noiseL1 >= 0 && noiseL1 < Infinity, () => `mixingProbability: ||r||_1 must be finite and >= 0, got ${noiseL1}`);
  check(epsilon >= 0, () => `mixingProbability: epsilon must be >= 0 (Infinity allowed), got ${epsilon}`);
  check(MIXING_MODES.includes(mode), () => `mixingProbability: mode must be one of ${MIXING_MODES.join(', ')}, got ${String(mode)}`);
  if (epsilon === 0 || noiseL1 === 0) return 0;
  if (Math.abs(gS - 0.5) <= Math.abs(gSr - 0.5)) return 0;
  let p = Math.min(epsilon / noiseL1, 1);
  if (p < 1) while (p > 0 && p * noiseL1 > epsilon) p = below(p);
  if (mode === 'exact') p = Math.min(p, (gS - 0.5) / (gS - gSr));
  return p;
}

/** Bisection steps of `crossingNoise`: t to 2^-30 (float32 g cannot resolve finer). */
const CROSSING_STEPS = 30;

/**
 * The 'crossing' rule's noise (see `MixingMode`): for each row whose Phase I noise r takes g across
 * 0.5 (g(s) and g(sort(s + r)) on opposite sides), the t in [0, 1] with g(sort(s + t r)) closest to
 * 0.5, found by bisection (g of the sorted vector is continuous in t, so the crossing exists); other
 * rows keep r. s + t r is a convex combination of s and s + r, so it stays on the simplex and keeps
 * the label wherever both ends do. `gS`, `gSr` = g(s), g(sort(s + r)) as Phase I reports them.
 * Returns t r, g(sort(s + t r)) and t per row.
 */
export function crossingNoise(
  g: Mlp, scores: Float32Array, noise: Float32Array, gS: ArrayLike<number>, gSr: ArrayLike<number>, k: number,
): { noise: Float32Array; gNoisy: Float32Array; fraction: Float64Array } {
  const rows = gS.length;
  check(scores.length === rows * k && noise.length === rows * k,
    () => `crossingNoise: scores (${scores.length}) and noise (${noise.length}) must both be ${rows} rows x ${k}`);
  const fraction = new Float64Array(rows).fill(1);
  const gNoisy = Float32Array.from(gSr);
  const active: number[] = [];
  for (let r = 0; r < rows; r++) if ((gS[r]! - 0.5) * (gSr[r]! - 0.5) < 0) active.push(r);
  const lo = new Float64Array(active.length), hi = new Float64Array(active.length).fill(1);
  const bestGap = active.map((r) => Math.abs(gSr[r]! - 0.5));
  const candidate = new Float32Array(active.length * k);
  for (let step = 0; step < CROSSING_STEPS && active.length > 0; step++) {
    active.forEach((r, a) => {
      const t = (lo[a]! + hi[a]!) / 2;
      for (let j = 0; j < k; j++) candidate[a * k + j] = scores[r * k + j]! + t * noise[r * k + j]!;
    });
    const gt = membershipProbability(g, candidate);
    active.forEach((r, a) => {
      const t = (lo[a]! + hi[a]!) / 2, v = gt[a]!;
      if (Math.abs(v - 0.5) < bestGap[a]!) { bestGap[a] = Math.abs(v - 0.5); fraction[r] = t; gNoisy[r] = v; }
      // Keep the crossing inside [lo, hi]: g(lo) on g(s)'s side of 0.5, g(hi) on the other.
      if ((v - 0.5) * (gS[r]! - 0.5) > 0) lo[a] = t; else hi[a] = t;
    });
  }
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const t = fraction[r]!;
    for (let j = 0; j < k; j++) out[r * k + j] = t * noise[r * k + j]!;
  }
  return { noise: out, gNoisy, fraction };
}
