// The one call shape every post-hoc defense has (design §10): confidence vectors or logits in,
// released vectors and per-row distortion out, so a comparison treats MemGuard and its rivals alike.
import type { MatrixInput } from '../nn/matrix.js';

/**
 * The names of the post-hoc defenses, as `memguard compare` reports them.
 *
 * @example
 * console.log(POSTHOC_NAMES.includes('uniform')); // true
 */
export const POSTHOC_NAMES = ['memguard', 'uniform', 'temperature', 'hamp-output', 'rounding', 'top-k', 'label-only'] as const;

/**
 * A post-hoc defense's name (see `POSTHOC_NAMES`).
 *
 * @example
 * const name: PostHocName = 'top-k';
 */
export type PostHocName = (typeof POSTHOC_NAMES)[number];

/**
 * Per-call options of `PostHocDefense.protect`.
 *
 * @example
 * const options: PostHocOptions = { input: 'logits' };
 * new LabelOnly({ k: 3 }).protect([[2, 0, -1]], options).released; // Float32Array [1, 0, 0]
 */
export interface PostHocOptions {
  /** What the rows are: 'probabilities' (default) or the model's 'logits'. */
  input?: 'probabilities' | 'logits';
}

/**
 * What a post-hoc defense releases, per row, in input row order.
 *
 * @example
 * const r: PostHocResult = new TopK({ k: 3, top: 1 }).protect([0.5, 0.3, 0.2]);
 * console.log(r.released, r.distortion[0], r.scores); // [1, 0, 0], 1 (= ||released - s||_1), [0.5, 0.3, 0.2]
 */
export interface PostHocResult {
  /** The released confidence vectors, rows x k, row-major. */
  released: Float32Array;
  /** ||released - s||_1 per row (s: the input, softmaxed when it was logits). */
  distortion: Float64Array;
  /** The undefended confidence vectors s. */
  scores: Float32Array;
}

/**
 * A defense between a model and its callers that changes only the released confidence vectors:
 * MemGuard (through `memGuardDefense`) and its rivals (`UniformMixing`, `TemperatureScaling`,
 * `HampOutput`, `Rounding`, `TopK`, `LabelOnly`). Every one keeps each row's label (its first
 * argmax) and releases a valid probability vector (design §5).
 *
 * @example
 * const defenses: PostHocDefense[] = [new UniformMixing({ k: 3, epsilon: 0.2 }), new LabelOnly({ k: 3 })];
 * for (const d of defenses) console.log(d.name, d.protect([[0.6, 0.3, 0.1]]).distortion[0]); // uniform 0.2, label-only 0.8
 */
export interface PostHocDefense {
  readonly name: PostHocName;
  /** Classes per confidence vector. */
  readonly k: number;
  /** Releases each row (rows x k, probabilities or logits), in input row order. */
  protect(rows: MatrixInput, options?: PostHocOptions): PostHocResult;
}
