// Uniform mixing (design §10): the simplest label-preserving rival. Each row moves toward the uniform
// vector u by exactly the budget: s' = (1 - t) s + t u with ||s' - s||_1 = min(epsilon, ||s - u||_1).
import { check } from '../errors.js';
import type { MatrixInput } from '../nn/matrix.js';
import type { PostHocDefense, PostHocOptions, PostHocResult } from './defense.js';
import { checkClasses, firstArgmax, releaseWith, validatedRows } from './release.js';

/**
 * The smallest lead the label keeps over every entry below it (2^-20, MemGuard's repair margin):
 * at t = 1 the row would be u itself, where every class ties and the label is lost.
 *
 * @example
 * console.log(UNIFORM_LEAD); // 9.5367431640625e-7
 */
export const UNIFORM_LEAD = 2 ** -20;

/**
 * Options of `UniformMixing`.
 *
 * @example
 * const options: UniformMixingOptions = { k: 30, epsilon: 0.3 };
 */
export interface UniformMixingOptions {
  /** Classes per vector. */
  k: number;
  /** The L1 budget per row (>= 0; Infinity moves every row as close to u as the label allows). */
  epsilon: number;
}

/**
 * Uniform mixing at budget epsilon: s' = (1 - t) s + t u per row, t = min(epsilon, ||s - u||_1) /
 * ||s - u||_1, so every row's distortion is min(epsilon, ||s - u||_1). Order-preserving, so the
 * label stays, with one exception made explicit: t is capped so the label keeps a lead of at
 * least `UNIFORM_LEAD` over every entry below it (half its lead, when that was smaller; float32
 * rounding may still tie a lead below its resolution, the label staying the first argmax), since
 * t = 1 would release u, where the label is lost. The cap binds only on rows the budget would take
 * to within about 1e-6 of u (or near-tied rows at t > 1/2); there the distortion is smaller. The
 * released float32 row is never farther than epsilon from s (t shrinks by float32 rounding's few ulps).
 *
 * @example
 * const uniform = new UniformMixing({ k: 3, epsilon: 0.2 });
 * const { released, distortion } = uniform.protect([[0.7, 0.2, 0.1]]);
 * console.log(released, distortion[0]); // about [0.6, 0.233, 0.167], 0.2
 */
export class UniformMixing implements PostHocDefense {
  readonly name = 'uniform' as const;
  readonly k: number;
  readonly epsilon: number;

  constructor(options: UniformMixingOptions) {
    checkClasses('UniformMixing', options?.k);
    check(typeof options.epsilon === 'number' && options.epsilon >= 0,
      () => `UniformMixing: epsilon must be a number >= 0 (Infinity allowed), got ${options.epsilon}`);
    this.k = options.k;
    this.epsilon = options.epsilon;
  }

  /** Mixes each row (rows x k) toward u by its budget. */
  protect(rows: MatrixInput, options: PostHocOptions = {}): PostHocResult {
    const { scores, logits } = validatedRows('uniform', this.k, rows, options);
    return releaseWith(this.k, scores, logits, (s, _z, out) => mixRow(s, this.k, this.epsilon, out));
  }
}

/** The mixed row: t from the budget, capped by the label's lead (see `UniformMixing`). */
function mixRow(s: Float32Array, k: number, epsilon: number, out: Float64Array): void {
  const u = 1 / k, label = firstArgmax(s, 0, k), top = s[label]!;
  let distance = 0, below = -Infinity;
  for (let j = 0; j < k; j++) {
    distance += Math.abs(s[j]! - u);
    if (s[j]! < top && s[j]! > below) below = s[j]!;
  }
  let t = distance > 0 ? Math.min(epsilon, distance) / distance : 0;
  if (below > -Infinity) t = Math.min(t, 1 - Math.min(0.5, UNIFORM_LEAD / (top - below)));
  // The release is float32: its rounding can put the distance a few ulps past the budget, so t
  // shrinks by that overshoot until the rounded row is within it.
  for (let attempt = 0; ; attempt++) {
    let l1 = 0;
    for (let j = 0; j < k; j++) {
      out[j] = t === 0 ? s[j]! : (1 - t) * s[j]! + t * u;
      l1 += Math.abs(Math.fround(out[j]!) - s[j]!);
    }
    if (l1 <= epsilon || attempt === 8) return;
    t *= (epsilon / l1) * (1 - 2 ** -22 * (attempt + 1));
  }
}
