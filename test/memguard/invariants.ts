// design §5 checks shared by the defense's property tests (every build): random confidence vectors of
// the shapes that break naive code, and the invariants every released row must keep.
import * as assert from 'uvu/assert';
import type { ProtectResult } from '../../src/memguard/memguard.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';

/** One group of a random property set: 400 rows of one kind at width k, with its untrained g. */
export interface PropertyGroup { seed: number; k: number; kind: string; rows: Float32Array; method: 'logits' | 'projected'; g: () => Mlp }

/** The seed of the 10,000-row property set; `INDEPENDENT_SEEDS` draw sets it was never tuned on. */
export const PROPERTY_SEED = 2024;
export const INDEPENDENT_SEEDS = [2025, 3000, 4242, 5000, 6000];

/**
 * A random property set: k x five kinds x 400 rows from Random(seed), with an untrained but
 * non-trivial g of the paper's shape per k and the projected method for the flat rows. The default
 * (PROPERTY_SEED, k in {2, 3, 10, 30, 100}) is the 10,000-row set of the design §5 property test and
 * of the early-stop measurements; other seeds (k in {2, 3, 5, 10, 30, 100}) check the early stop on
 * rows its rules were not tuned on.
 */
export function propertySet(seed = PROPERTY_SEED): PropertyGroup[] {
  const rng = new Random(seed);
  const groups: PropertyGroup[] = [];
  const ks = seed === PROPERTY_SEED ? [2, 3, 10, 30, 100] : [2, 3, 5, 10, 30, 100];
  for (const k of ks) {
    const gSeed = seed === PROPERTY_SEED ? k : seed + k;
    for (const kind of ['peaked', 'flat', 'tied', 'one-hot', 'uniform']) {
      groups.push({ seed, k, kind, rows: randomVectors(kind, 400, k, rng), method: kind === 'flat' ? 'projected' : 'logits', g: () => Mlp.create([k, 32, 16, 1], { head: 'sigmoid', seed: gSeed }) });
    }
  }
  return groups;
}

/** Random confidence vectors of the shapes that break naive code. */
export function randomVectors(kind: string, rows: number, k: number, rng: Random): Float32Array {
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * k, (r + 1) * k);
    if (kind === 'tied') {
      const top = 1 + rng.int(Math.min(3, k)); // the first `top` entries share the maximum
      for (let j = 0; j < k; j++) row[j] = j < top ? 1 : rng.next() * 0.5;
      if (rng.next() < 0.3) row.fill(1); // fully flat
    } else if (kind === 'one-hot') {
      row.fill(rng.next() < 0.5 ? 0 : 1e-7);
      row[rng.int(k)] = 1;
    } else {
      const temperature = kind === 'peaked' ? 0.1 : kind === 'flat' ? 20 : 1;
      for (let j = 0; j < k; j++) row[j] = Math.exp(rng.uniform(-3, 3) / temperature);
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += row[j]!;
    for (let j = 0; j < k; j++) row[j] = row[j]! / sum;
  }
  return out;
}

/** The label of a row: the first index of its maximum (design §5). */
export function firstArgmax(v: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[off + j]! > v[off + best]!) best = j;
  return best;
}

/** Whether the k values at `off` form a probability vector (non-negative, finite, sum within 1e-6). */
function isProbabilityVector(v: ArrayLike<number>, off: number, k: number): { ok: boolean; sum: number } {
  let sum = 0, ok = true;
  for (let j = 0; j < k; j++) {
    const x = v[off + j]!;
    if (!(x >= 0) || x === Infinity) ok = false;
    sum += x;
  }
  return { ok: ok && Math.abs(sum - 1) <= 1e-6, sum };
}

/**
 * What breaks design §5 in row r of `res` (protect's answer, scores s = res.scores, rows x k), or []:
 * the released row and the candidate s + r are probability vectors with s's label (a released row
 * may instead be `caller`'s own row bit for bit: probabilities given by the caller are returned
 * untouched when no noise is released); p is in [0, 1]; p ||n||_1 <= epsilon with noiseL1 the
 * candidate's distance from s; the released row is the candidate or s, as the coin says; no noise
 * at epsilon 0. The one checker of the property tests and the fuzzer.
 */
export function releaseViolations(res: ProtectResult<Float32Array>, k: number, epsilon: number, r: number, caller?: ArrayLike<number>): string[] {
  const out: string[] = [];
  const s = res.scores, released = res.released, noisy = res.noisy, o = r * k;
  const label = firstArgmax(s, o, k);
  if (firstArgmax(released, o, k) !== label) out.push(`label ${label} became ${firstArgmax(released, o, k)}`);
  const rel = isProbabilityVector(released, o, k);
  let asGiven = caller !== undefined;
  for (let j = 0; j < k && asGiven; j++) asGiven = Object.is(released[o + j], caller![o + j]);
  if (!rel.ok && !asGiven) out.push(`released vector invalid (sum ${rel.sum})`);
  const p = res.mixProbability[r]!;
  let l1 = 0;
  for (let j = 0; j < k; j++) l1 += Math.abs(noisy[o + j]! - s[o + j]!);
  if (!(p >= 0 && p <= 1)) out.push(`p = ${p}`);
  if (!(p * l1 <= epsilon)) out.push(`p ||n||_1 = ${p * l1} > epsilon ${epsilon}`);
  if (!(Math.abs(l1 - res.noiseL1[r]!) < 1e-9)) out.push(`noiseL1 ${res.noiseL1[r]} is not the candidate's distance ${l1}`);
  const noiseOut = res.noiseReleased[r] === 1;
  if (noiseOut && !(p > 0)) out.push(`noise released with p = ${p}`);
  if (noiseOut && epsilon === 0) out.push('epsilon = 0 released noise');
  for (let j = 0; j < k; j++) {
    if (!Object.is(released[o + j], noiseOut ? noisy[o + j] : s[o + j])) { out.push(`released[${j}] is neither s nor the candidate as the coin says`); break; }
  }
  const cand = isProbabilityVector(noisy, o, k);
  if (l1 > 0 && (!cand.ok || firstArgmax(noisy, o, k) !== label)) out.push(`candidate s + r invalid (sum ${cand.sum}, label ${firstArgmax(noisy, o, k)} vs ${label})`);
  return out;
}

/** Asserts design §5 (`releaseViolations`) on every row of `res`, protect's answer for `s`. Returns how many rows released noise. */
export function assertReleaseInvariants(s: Float32Array, res: ProtectResult<Float32Array>, k: number, epsilon: number, what: string): number {
  let noisyRows = 0;
  for (let r = 0; r < s.length / k; r++) {
    assert.equal(releaseViolations(res, k, epsilon, r), [], `${what} row ${r}`);
    noisyRows += res.noiseReleased[r]!;
  }
  return noisyRows;
}
