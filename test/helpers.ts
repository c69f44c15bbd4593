// Small shared test utilities: typed-error assertions, seeded random data, float comparison.
import * as assert from 'uvu/assert';
import type { Random } from '../src/random.js';

/** Asserts `fn` throws an instance of `type` whose message matches `message`. */
export function throwsTyped(fn: () => unknown, type: new (...a: any[]) => Error, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, type, `expected ${type.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    if (message) assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${type.name} to be thrown`);
}

/** Deterministic uniform numbers in [lo, hi) for test data (mulberry32). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Asserts |a[i] - b[i]| <= atol + rtol * |b[i]| for every i, reporting the worst index. */
export function allClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = 'values'): void {
  assert.is(a.length, b.length, `${what}: length ${a.length} vs ${b.length}`);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) - (atol + rtol * Math.abs(b[i]!));
    if (!(err <= 0) && (worst < 0 || !(err <= worstErr))) { worst = i; worstErr = err; }
  }
  if (worst >= 0) assert.unreachable(`${what}[${worst}]: ${a[worst]} vs ${b[worst]}`);
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
