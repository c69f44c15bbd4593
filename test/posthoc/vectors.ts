// Confidence vectors and logits that break naive post-hoc code: MemGuard's random kinds
// (test/memguard/invariants.ts) plus near-ties, denormals, exact uniform and rows with zeros, at
// widths from k = 2 to k = 1000.
import { Random } from '../../src/random.js';
import { randomVectors } from '../memguard/invariants.js';

export const KINDS = ['peaked', 'flat', 'tied', 'one-hot', 'uniform', 'near-tie', 'denormal', 'exact-uniform', 'zeros'] as const;
export const WIDTHS = [2, 3, 10, 30, 100, 1000];

/** Rows of one kind at width k (rows x k, each a probability vector in float32). */
export function adversarialVectors(kind: (typeof KINDS)[number], rows: number, k: number, rng: Random): Float32Array {
  if (kind === 'peaked' || kind === 'flat' || kind === 'tied' || kind === 'one-hot' || kind === 'uniform') {
    return randomVectors(kind, rows, k, rng);
  }
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * k, (r + 1) * k);
    if (kind === 'exact-uniform') row.fill(1 / k);
    else if (kind === 'near-tie') {
      // Two classes one float32 step apart, the larger one at a random index (often after the other).
      for (let j = 0; j < k; j++) row[j] = rng.next() * 0.1 / k;
      const a = rng.int(k), b = (a + 1 + rng.int(k - 1)) % k;
      row[a] = 0.4; row[b] = Math.fround(0.4) - 2 ** -25;
      normalize(row);
    } else if (kind === 'denormal') {
      for (let j = 0; j < k; j++) row[j] = rng.next() < 0.5 ? 1e-40 : 1e-39;
      row[rng.int(k)] = 1;
      let sum = 0;
      for (let j = 0; j < k; j++) sum += row[j]!;
      row[firstMax(row)] = Math.fround(row[firstMax(row)]! - (sum - 1));
    } else {
      // zeros: most entries exactly 0, a few random ones.
      for (let j = 0; j < k; j++) row[j] = rng.next() < 0.7 ? 0 : rng.next();
      row[rng.int(k)] = rng.next() + 0.01;
      normalize(row);
    }
  }
  return out;
}

/** Random logits of the shapes that matter: ordinary, huge, tied, one dominant. */
export function randomLogits(rows: number, k: number, rng: Random): Float32Array {
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const kind = r % 4, scale = kind === 1 ? 80 : 4;
    for (let j = 0; j < k; j++) out[r * k + j] = kind === 2 ? Math.round(rng.uniform(-2, 2)) : rng.uniform(-scale, scale);
    if (kind === 3) out[r * k + rng.int(k)] = 60;
  }
  return out;
}

function firstMax(row: Float32Array): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j;
  return best;
}

function normalize(row: Float32Array): void {
  let sum = 0;
  for (const v of row) sum += v;
  for (let j = 0; j < row.length; j++) row[j] = row[j]! / sum;
}
