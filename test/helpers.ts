// Small shared test utilities: typed-error assertions, seeded random data, float comparison.
import * as assert from 'uvu/assert';

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
