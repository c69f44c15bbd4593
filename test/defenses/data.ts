// Small seeded classification data for the recipe tests: binary features, a label that depends on
// them (so models can learn it and overfit it), and the tiny training settings every test uses.
import { Random } from '../../src/random.js';
import type { TargetTraining } from '../../src/defenses/recipe.js';

export const D = 10, K = 4;

/** `n` rows of D binary features; label = a fixed function of the features, 10% flipped at random. */
export function toyRows(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Random(seed);
  const x = new Float32Array(n * D), y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < D; j++) x[r * D + j] = rng.next() < 0.4 ? 1 : 0;
    const score = 2 * x[r * D]! + x[r * D + 1]! + x[r * D + 2]! - x[r * D + 3]!;
    y[r] = rng.next() < 0.1 ? rng.int(K) : Math.max(0, Math.min(K - 1, Math.round(score)));
  }
  return { x, y };
}

export const members = toyRows(60, 1);
export const reference = toyRows(60, 2);
export const heldOut = toyRows(200, 3);

export const TINY: TargetTraining = { hidden: [16], epochs: 12, learningRate: 0.1, batchSize: 16, milestones: [8], gamma: 0.5 };

export function accuracy(p: Float32Array, y: Int32Array, k = K): number {
  let right = 0;
  for (let r = 0; r < y.length; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[r * k + j]! > p[r * k + best]!) best = j;
    right += best === y[r] ? 1 : 0;
  }
  return right / y.length;
}
