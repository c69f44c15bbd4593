// Temperature (design §10): softmax(z / T), with T fixed or found so that the mean distortion over
// the rows of a call equals the budget.
import { check } from '../errors.js';
import type { MatrixInput } from '../nn/matrix.js';
import type { PostHocDefense, PostHocOptions, PostHocResult } from './defense.js';
import { checkClasses, releaseWith, validatedRows } from './release.js';

/**
 * The largest temperature the search tries: at 1e6 every row is within about 1e-5 of uniform.
 *
 * @example
 * console.log(MAX_TEMPERATURE); // 1000000
 */
export const MAX_TEMPERATURE = 1e6;

/** Bisection steps on log T: the bracket [1, 1e6] shrinks to a ratio of 1 + 1e-12. */
const BISECTION_STEPS = 60;

/**
 * Options of `TemperatureScaling`: exactly one of `epsilon` and `temperature`.
 *
 * @example
 * const byBudget: TemperatureOptions = { k: 30, epsilon: 0.3 };
 * const fixed: TemperatureOptions = { k: 30, temperature: 4 };
 */
export interface TemperatureOptions {
  /** Classes per vector. */
  k: number;
  /** Target mean L1 distortion over the rows of each `protect` call (T >= 1 found by bisection). */
  epsilon?: number;
  /** A fixed temperature T > 0. */
  temperature?: number;
}

/**
 * What `TemperatureScaling.protect` releases, and the temperature it used.
 *
 * @example
 * const r: TemperatureResult = new TemperatureScaling({ k: 3, epsilon: 0.1 }).protect([[0.7, 0.2, 0.1]]);
 * console.log(r.temperature, r.distortion[0]); // T > 1, 0.1
 */
export interface TemperatureResult extends PostHocResult {
  temperature: number;
}

/**
 * Temperature scaling: releases softmax(z / T) per row, z the row's logits (log s when the caller
 * gave probabilities; a zero entry stays 0). T > 0 keeps every row's order, so the label stays
 * (a float32 tie at extreme T goes through MemGuard's design §5 repair). With `epsilon`, T >= 1 is
 * found by bisection on log T so that the MEAN distortion over the rows of the call equals epsilon
 * (each row's own distortion varies); a budget above what `MAX_TEMPERATURE` reaches uses that T
 * (the result's mean distortion then says what was reached). `epsilon` 0 releases s as given.
 *
 * @example
 * const t = new TemperatureScaling({ k: 3, epsilon: 0.2 });
 * const { released, distortion, temperature } = t.protect([[0.7, 0.2, 0.1], [0.5, 0.4, 0.1]]);
 * console.log(temperature, (distortion[0]! + distortion[1]!) / 2); // T > 1, 0.2 (the mean)
 */
export class TemperatureScaling implements PostHocDefense {
  readonly name = 'temperature' as const;
  readonly k: number;
  readonly epsilon: number | undefined;
  readonly temperature: number | undefined;

  constructor(options: TemperatureOptions) {
    checkClasses('TemperatureScaling', options?.k);
    check((options.epsilon === undefined) !== (options.temperature === undefined),
      () => 'TemperatureScaling: give exactly one of epsilon (a target mean distortion) and temperature (a fixed T)');
    if (options.epsilon !== undefined) {
      check(typeof options.epsilon === 'number' && options.epsilon >= 0 && Number.isFinite(options.epsilon),
        () => `TemperatureScaling: epsilon must be a finite number >= 0, got ${options.epsilon}`);
    } else {
      check(typeof options.temperature === 'number' && options.temperature > 0 && Number.isFinite(options.temperature),
        () => `TemperatureScaling: temperature must be a finite number > 0, got ${options.temperature}`);
    }
    this.k = options.k;
    this.epsilon = options.epsilon;
    this.temperature = options.temperature;
  }

  /** softmax(z / T) of each row (rows x k), T fixed or found for the budget. */
  protect(rows: MatrixInput, options: PostHocOptions = {}): TemperatureResult {
    const k = this.k;
    const { scores, logits, count } = validatedRows('temperature', k, rows, options);
    const z = logits ?? Float32Array.from(scores, Math.log);
    const temperature = this.temperature ?? fitTemperature(scores, z, k, count, this.epsilon!);
    const result = releaseWith(k, scores, logits, (s, _z, out, r) => {
      if (temperature === 1) out.set(s); // s is softmax(z) already: epsilon 0 releases it as is
      else scaledSoftmax(z.subarray(r * k, (r + 1) * k), temperature, out);
    });
    return { ...result, temperature };
  }
}

/** softmax(z / T) in float64; -Infinity entries (zero probabilities) give 0. */
function scaledSoftmax(z: Float32Array, temperature: number, out: Float64Array): void {
  let max = -Infinity, sum = 0;
  for (const v of z) max = Math.max(max, v);
  for (let j = 0; j < z.length; j++) sum += (out[j] = Math.exp((z[j]! - max) / temperature));
  for (let j = 0; j < z.length; j++) out[j] = out[j]! / sum;
}

/** The T in [1, MAX_TEMPERATURE] whose mean distortion over the rows is epsilon (bisection on log T). */
function fitTemperature(scores: Float32Array, z: Float32Array, k: number, rows: number, epsilon: number): number {
  if (epsilon === 0 || rows === 0) return 1;
  const out = new Float64Array(k);
  const meanDistortion = (temperature: number) => {
    let total = 0;
    for (let r = 0; r < rows; r++) {
      scaledSoftmax(z.subarray(r * k, (r + 1) * k), temperature, out);
      for (let j = 0; j < k; j++) total += Math.abs(out[j]! - scores[r * k + j]!);
    }
    return total / rows;
  };
  if (meanDistortion(MAX_TEMPERATURE) <= epsilon) return MAX_TEMPERATURE;
  let lo = 0, hi = Math.log(MAX_TEMPERATURE);
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (meanDistortion(Math.exp(mid)) < epsilon) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}
