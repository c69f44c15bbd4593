// Rounding (design §10): every released entry a multiple of 10^-d, the row still a probability vector
// with the label strictly on top.
import { check } from '../errors.js';
import type { MatrixInput } from '../nn/matrix.js';
import type { PostHocDefense, PostHocOptions, PostHocResult } from './defense.js';
import { checkClasses, firstArgmax, releaseWith, validatedRows } from './release.js';

/**
 * Options of `Rounding`.
 *
 * @example
 * const options: RoundingOptions = { k: 30, decimals: 2 };
 */
export interface RoundingOptions {
  /** Classes per vector. */
  k: number;
  /** Decimals kept, an integer in [1, 6] (design §10 sweeps 1, 2, 3). */
  decimals: number;
}

/**
 * Rounds each row to `decimals` decimals so that it is still a probability vector with its label on
 * top. Exactly what is released, in units of 10^-d: every entry is first rounded down; the units
 * still missing to a sum of 1 go one each to the entries with the largest remainders (the label
 * first among equal remainders, then lower indices); then, while another entry has as many units as
 * the label, one unit moves from it (the largest, lowest index first) to the label. So every entry
 * is a multiple of 10^-d, within 10^-d of s except where the label had to be lifted, the row sums
 * to 1 and the label is its unique maximum.
 *
 * @example
 * const { released } = new Rounding({ k: 3, decimals: 1 }).protect([[0.38, 0.39, 0.23]]);
 * console.log(released); // Float32Array [0.3, 0.5, 0.2]: 0.4, 0.4, 0.2 would tie the label with class 0
 */
export class Rounding implements PostHocDefense {
  readonly name = 'rounding' as const;
  readonly k: number;
  readonly decimals: number;

  constructor(options: RoundingOptions) {
    checkClasses('Rounding', options?.k);
    check(Number.isInteger(options.decimals) && options.decimals >= 1 && options.decimals <= 6,
      () => `Rounding: decimals must be an integer in [1, 6], got ${options.decimals}`);
    this.k = options.k;
    this.decimals = options.decimals;
  }

  /** Each row (rows x k) rounded as described above. */
  protect(rows: MatrixInput, options: PostHocOptions = {}): PostHocResult {
    const k = this.k, unit = 10 ** this.decimals;
    const units = new Int32Array(k), order = new Int32Array(k), remainder = new Float64Array(k);
    const { scores, logits } = validatedRows('rounding', k, rows, options);
    return releaseWith(k, scores, logits, (s, _z, out) => {
      const label = firstArgmax(s, 0, k);
      let missing = unit;
      for (let j = 0; j < k; j++) {
        const scaled = s[j]! * unit;
        units[j] = Math.floor(scaled);
        remainder[j] = scaled - units[j]!;
        missing -= units[j]!;
        order[j] = j;
      }
      order.sort((a, b) => remainder[b]! - remainder[a]! || Number(b === label) - Number(a === label) || a - b);
      // missing is in [0, k) for a row summing to 1; a row off by up to the input tolerance may
      // need a unit more or less, handed out (or taken) in the same order.
      for (let i = 0; missing > 0; i = (i + 1) % k, missing--) units[order[i]!]!++;
      for (let i = k - 1; missing < 0; i = (i + k - 1) % k) if (units[order[i]!]! > 0 && order[i] !== label) { units[order[i]!]!--; missing++; }
      for (;;) {
        let rival = -1;
        for (let j = 0; j < k; j++) if (j !== label && units[j]! >= units[label]! && (rival < 0 || units[j]! > units[rival]!)) rival = j;
        if (rival < 0) break;
        units[rival]!--;
        units[label]!++;
      }
      for (let j = 0; j < k; j++) out[j] = units[j]! / unit;
    });
  }
}
