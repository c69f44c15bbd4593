// The utility axes of design §11, measured against the one undefended reference model: confidence
// distortion (mean L1 distance of the released vectors from the reference's), label loss (argmax
// differs from the reference's) and test accuracy; in expectation over MemGuard's coin when the
// release is random.
import { predictedLabels } from '../attacks/confidence.js';
import { check } from '../errors.js';

/**
 * A release: deterministic (`vectors`), or MemGuard's (clean `vectors`, `noisy` released with probability `p`).
 *
 * @example
 * const r: Release = { vectors: new Float32Array([0.9, 0.1]), noisy: new Float32Array([0.7, 0.3]), p: [0.5] };
 */
export interface Release {
  vectors: Float32Array;
  noisy?: Float32Array;
  p?: ArrayLike<number>;
}

function l1(a: Float32Array, b: Float32Array, row: number, k: number): number {
  let s = 0;
  for (let j = row * k; j < (row + 1) * k; j++) s += Math.abs(a[j]! - b[j]!);
  return s;
}

/**
 * Mean over rows of ||released - reference||_1 and the share of rows whose argmax differs from the
 * reference's, in expectation over the coin.
 *
 * @example
 * const ref = new Float32Array([0.9, 0.1, 0.2, 0.8]);
 * console.log(distortionAndLabelLoss({ vectors: new Float32Array([0.8, 0.2, 0.6, 0.4]) }, ref, 2)); // { distortion: 0.7, labelLoss: 0.5 }
 */
export function distortionAndLabelLoss(release: Release, reference: Float32Array, k: number): { distortion: number; labelLoss: number } {
  check(release.vectors.length === reference.length, () => `distortion: ${release.vectors.length / k} released rows for ${reference.length / k} reference rows`);
  const n = reference.length / k;
  const refLabels = predictedLabels(reference, k), labels = predictedLabels(release.vectors, k);
  const noisyLabels = release.noisy ? predictedLabels(release.noisy, k) : undefined;
  let distortion = 0, lost = 0;
  for (let i = 0; i < n; i++) {
    const p = release.noisy ? release.p![i]! : 0;
    distortion += (1 - p) * l1(release.vectors, reference, i, k);
    lost += (1 - p) * Number(labels[i] !== refLabels[i]);
    if (release.noisy && p > 0) {
      distortion += p * l1(release.noisy, reference, i, k);
      lost += p * Number(noisyLabels![i] !== refLabels[i]);
    }
  }
  return { distortion: distortion / n, labelLoss: lost / n };
}
