// Top-k release (design §10): the `top` largest entries, renormalized; the rest 0.
import { check } from '../errors.js';
import type { MatrixInput } from '../nn/matrix.js';
import type { PostHocDefense, PostHocOptions, PostHocResult } from './defense.js';
import { checkClasses, releaseWith, validatedRows } from './release.js';

/**
 * Options of `TopK`.
 *
 * @example
 * const options: TopKOptions = { k: 30, top: 3 };
 */
export interface TopKOptions {
  /** Classes per vector. */
  k: number;
  /** Entries released (>= 1; 1 is the label only; >= k releases s renormalized). */
  top: number;
}

/**
 * Top-k release: keeps the `top` largest entries of each row (ties broken by the lower index, so the
 * label, the first argmax, always comes first), divides them by their sum and zeroes the rest.
 * Order among the kept entries is preserved, so the label stays.
 *
 * @example
 * const { released } = new TopK({ k: 4, top: 2 }).protect([[0.1, 0.5, 0.3, 0.1]]);
 * console.log(released); // Float32Array [0, 0.625, 0.375, 0]
 */
export class TopK implements PostHocDefense {
  readonly name = 'top-k' as const;
  readonly k: number;
  readonly top: number;

  constructor(options: TopKOptions) {
    checkClasses('TopK', options?.k);
    check(Number.isInteger(options.top) && options.top >= 1, () => `TopK: top must be an integer >= 1, got ${options.top}`);
    this.k = options.k;
    this.top = options.top;
  }

  /** The renormalized top entries of each row (rows x k). */
  protect(rows: MatrixInput, options: PostHocOptions = {}): PostHocResult {
    const k = this.k, keep = Math.min(this.top, k);
    const order = new Int32Array(k);
    const { scores, logits } = validatedRows('top-k', k, rows, options);
    return releaseWith(k, scores, logits, (s, _z, out) => {
      for (let j = 0; j < k; j++) order[j] = j;
      order.sort((a, b) => s[b]! - s[a]! || a - b);
      let sum = 0;
      for (let i = 0; i < keep; i++) sum += s[order[i]!]!;
      for (let i = 0; i < keep; i++) out[order[i]!] = s[order[i]!]! / sum;
    });
  }
}
