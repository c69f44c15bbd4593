// MemGuard through the post-hoc call shape, so a comparison runs it exactly like its rivals.
import type { MemGuard, ProtectOptions } from '../memguard/memguard.js';
import type { MatrixInput } from '../nn/matrix.js';
import type { PostHocDefense, PostHocOptions, PostHocResult } from './defense.js';

/**
 * MemGuard as a `PostHocDefense`: `protect` runs `guard`'s own Phase I and Phase II (its coin,
 * mixing rule and budget, unchanged) and reports ||released - s||_1 per row. In the 'expectation'
 * coin mode nothing is drawn and s is released: use 'seed' or 'key' mode to compare releases.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 }); // a defense classifier (see trainDefenseClassifier)
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const defense: PostHocDefense = memGuardDefense(guard);
 * const { released, distortion } = defense.protect([[0.7, 0.2, 0.1]]);
 */
export function memGuardDefense(guard: MemGuard, options: Omit<ProtectOptions, 'input'> = {}): PostHocDefense {
  return {
    name: 'memguard',
    k: guard.k,
    protect(rows: MatrixInput, call: PostHocOptions = {}): PostHocResult {
      const result = guard.releaseSearch(guard.search(rows, call.input ?? 'probabilities'), options);
      const { released, scores } = result, k = guard.k;
      const distortion = new Float64Array(released.length / k);
      for (let r = 0; r < distortion.length; r++) {
        let l1 = 0;
        for (let j = 0; j < k; j++) l1 += Math.abs(released[r * k + j]! - scores[r * k + j]!);
        distortion[r] = l1;
      }
      return { released, distortion, scores };
    },
  };
}
