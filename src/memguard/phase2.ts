// Phase II of MemGuard (SPEC §4): the closed-form probability of releasing s + r. Cheap per row
// (a few flops), so it runs here; the per-element work of the release (s + r, repair) is in WASM.
import { check } from '../errors.js';

/**
 * Phase II's rule (SPEC §4): 'paper' p = min(eps/||r||_1, 1); 'exact' also caps p where E g(s + n) = 0.5.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const mixing: MixingMode = 'exact';
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 1, mixing, coin: { mode: 'seed', seed: 1 } });
 */
export type MixingMode = 'paper' | 'exact';

/** The largest float64 strictly below x (x > 0 finite). */
function below(x: number): number {
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] = i[0]! - 1n;
  return b[0]!;
}

/**
 * Phase II's release probability (SPEC §4). `gS` = g(s), `gSr` = g(sort(s + r)), `noiseL1` = ||r||_1,
 * `epsilon` = the distortion budget (Infinity allowed).
 * - 0 when epsilon = 0, r = 0, or the noise does not help (|gS - .5| <= |gSr - .5|);
 * - 'paper': min(epsilon / ||r||_1, 1);
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
  check(mode === 'paper' || mode === 'exact', () => `mixingProbability: mode must be 'paper' or 'exact', got ${String(mode)}`);
  if (epsilon === 0 || noiseL1 === 0) return 0;
  if (Math.abs(gS - 0.5) <= Math.abs(gSr - 0.5)) return 0;
  let p = Math.min(epsilon / noiseL1, 1);
  if (p < 1) while (p > 0 && p * noiseL1 > epsilon) p = below(p);
  if (mode === 'exact') p = Math.min(p, (gS - 0.5) / (gS - gSr));
  return p;
}
