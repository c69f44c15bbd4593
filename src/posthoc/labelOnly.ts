// Label only (design §10): the one-hot vector of the label, the end point of every label-preserving rival.
import type { MatrixInput } from '../nn/matrix.js';
import type { PostHocDefense, PostHocOptions, PostHocResult } from './defense.js';
import { checkClasses, firstArgmax, releaseWith, validatedRows } from './release.js';

/**
 * Options of `LabelOnly`.
 *
 * @example
 * const options: LabelOnlyOptions = { k: 30 };
 */
export interface LabelOnlyOptions {
  /** Classes per vector. */
  k: number;
}

/**
 * Releases only the label: the one-hot vector of each row's first argmax. Distortion 2 (1 - s_label).
 *
 * @example
 * console.log(new LabelOnly({ k: 3 }).protect([[0.2, 0.5, 0.3]]).released); // Float32Array [0, 1, 0]
 */
export class LabelOnly implements PostHocDefense {
  readonly name = 'label-only' as const;
  readonly k: number;

  constructor(options: LabelOnlyOptions) {
    checkClasses('LabelOnly', options?.k);
    this.k = options.k;
  }

  /** The one-hot label of each row (rows x k). */
  protect(rows: MatrixInput, options: PostHocOptions = {}): PostHocResult {
    const { scores, logits } = validatedRows('label-only', this.k, rows, options);
    return releaseWith(this.k, scores, logits, (s, _z, out) => { out[firstArgmax(s, 0, this.k)] = 1; });
  }
}
