// SPEC §5 checks shared by the defense's property tests (every build): random confidence vectors of
// the shapes that break naive code, and the invariants every released row must keep.
import * as assert from 'uvu/assert';
import type { ProtectResult } from '../../src/memguard/memguard.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';

/** One group of the random property set: 400 rows of one kind at width k, with its untrained g. */
export interface PropertyGroup { k: number; kind: string; rows: Float32Array; method: 'logits' | 'projected'; g: () => Mlp }

/**
 * The 10,000-row random property set (k in {2, 3, 10, 30, 100} x five kinds x 400 rows, Random(2024)),
 * with an untrained but non-trivial g of the paper's shape per k (seed k) and the projected method
 * for the flat rows: the SPEC §5 property test and the early-stop measurements use the same rows.
 */
export function propertySet(): PropertyGroup[] {
  const rng = new Random(2024);
  const groups: PropertyGroup[] = [];
  for (const k of [2, 3, 10, 30, 100]) {
    for (const kind of ['peaked', 'flat', 'tied', 'one-hot', 'uniform']) {
      groups.push({ k, kind, rows: randomVectors(kind, 400, k, rng), method: kind === 'flat' ? 'projected' : 'logits', g: () => Mlp.create([k, 32, 16, 1], { head: 'sigmoid', seed: k }) });
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

function firstArgmax(v: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[off + j]! > v[off + best]!) best = j;
  return best;
}

/**
 * Asserts SPEC §5 on every row of `res` (protect's answer for `s`, rows x k): released and noisy are
 * valid probability vectors with s's label, E||n||_1 <= epsilon, noiseL1 is the noise, and the
 * released row is the noisy one or s itself. Returns how many rows released noise.
 */
export function assertReleaseInvariants(s: Float32Array, res: ProtectResult<Float32Array>, k: number, epsilon: number, what: string): number {
  let noisyRows = 0;
  const rows = s.length / k;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    for (const [name, v] of [['released', res.released], ['noisy', res.noisy]] as const) {
      let sum = 0;
      for (let j = 0; j < k; j++) {
        assert.ok(v[o + j]! >= 0, `${name} ${what} row ${r}: entry ${j} = ${v[o + j]}`);
        sum += v[o + j]!;
      }
      assert.ok(Math.abs(sum - 1) <= 1e-6, `${name} ${what} row ${r}: sum ${sum}`);
      assert.is(firstArgmax(v, o, k), firstArgmax(s, o, k), `${name} ${what} row ${r}: label changed`);
    }
    const p = res.mixProbability[r]!;
    assert.ok(p >= 0 && p <= 1, `p = ${p}`);
    assert.ok(p * res.noiseL1[r]! <= epsilon, `${what} row ${r}: E||n|| = ${p * res.noiseL1[r]!} > ${epsilon}`);
    let l1 = 0;
    for (let j = 0; j < k; j++) l1 += Math.abs(res.noisy[o + j]! - s[o + j]!);
    assert.ok(Math.abs(l1 - res.noiseL1[r]!) < 1e-9, 'noiseL1 is the released noise');
    if (res.noiseReleased[r]) {
      noisyRows++;
      for (let j = 0; j < k; j++) assert.is(res.released[o + j], res.noisy[o + j]);
    } else for (let j = 0; j < k; j++) assert.is(res.released[o + j], s[o + j]);
  }
  return noisyRows;
}
