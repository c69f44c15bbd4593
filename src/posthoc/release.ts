// What every post-hoc rival shares: design §5 input checks (the same as MemGuard's), one candidate
// per row from the rival's rule, and design §5 output repair (the same WASM repair as MemGuard's), so
// a rival can only differ from another in its rule.
import { check } from '../errors.js';
import { confidenceRows } from '../memguard/confidenceRows.js';
import type { MatrixInput } from '../nn/matrix.js';
import { defaultEngine, type Engine } from '../wasm/engine.js';
import type { PostHocOptions, PostHocResult } from './defense.js';

/** How far a probability row may sum from 1 (as MemGuard's default `sumTolerance`). */
export const POSTHOC_SUM_TOLERANCE = 1e-3;

/** The label of a row: its first argmax (design §5). */
export function firstArgmax(v: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[off + j]! > v[off + best]!) best = j;
  return best;
}

/**
 * A rival's rule for one row: writes the candidate release (k values) to `out` from s (and z, the
 * row's logits when the caller gave logits). Index r is the row's position in the call.
 */
export type RowRule = (s: Float32Array, z: Float32Array | undefined, out: Float64Array, r: number) => void;

/** Validated rows, for rules that look at the whole batch first (temperature, HAMP). */
export function validatedRows(name: string, k: number, rows: MatrixInput, options: PostHocOptions, engine: Engine = defaultEngine()) {
  return confidenceRows(rows, k, options.input ?? 'probabilities', POSTHOC_SUM_TOLERANCE, engine, `${name}.protect`);
}

/**
 * Releases `scores` (rows x k) through `rule`. A candidate equal to s releases s as given; a valid
 * candidate (entries >= 0, sum within 1e-6 in float32, s's first argmax) is released bit for bit;
 * any other (float32 rounding ties or drift) goes through MemGuard's design §5 repair: projection onto
 * the simplex keeping the label on top, else s.
 */
export function releaseWith(k: number, scores: Float32Array, logits: Float32Array | undefined, rule: RowRule,
  engine: Engine = defaultEngine()): PostHocResult {
  const rows = k === 0 ? 0 : scores.length / k;
  const released = new Float32Array(rows * k), distortion = new Float64Array(rows);
  const out = new Float64Array(k);
  const broken: number[] = [];
  for (let r = 0; r < rows; r++) {
    const o = r * k, s = scores.subarray(o, o + k);
    out.fill(0);
    rule(s, logits?.subarray(o, o + k), out, r);
    for (let j = 0; j < k; j++) released[o + j] = out[j]!;
    if (!isValidRelease(released, o, k, firstArgmax(s, 0, k))) broken.push(r);
  }
  if (broken.length > 0) repair(engine, k, scores, released, broken);
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let same = true, l1 = 0;
    for (let j = 0; j < k; j++) {
      same &&= released[o + j] === scores[o + j];
      l1 += Math.abs(released[o + j]! - scores[o + j]!);
    }
    if (same) released.set(scores.subarray(o, o + k), o); // s as given, -0 and all
    distortion[r] = l1;
  }
  return { released, distortion, scores };
}

/** design §5 on one released row: finite, >= 0, sums to 1 within 1e-6, first argmax `label`. */
function isValidRelease(v: Float32Array, o: number, k: number, label: number): boolean {
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const x = v[o + j]!;
    if (!(x >= 0) || x === Infinity) return false;
    sum += x;
  }
  return Math.abs(sum - 1) <= 1e-6 && firstArgmax(v, o, k) === label;
}

/** MemGuard's WASM repair (kept, projected keeping the label, or s) for the listed rows. */
function repair(engine: Engine, k: number, scores: Float32Array, released: Float32Array, rows: number[]): void {
  const n = rows.length;
  const s = new Float32Array(n * k), noise = new Float32Array(n * k);
  rows.forEach((r, i) => {
    for (let j = 0; j < k; j++) {
      s[i * k + j] = scores[r * k + j]!;
      noise[i * k + j] = released[r * k + j]! - scores[r * k + j]!;
    }
  });
  engine.withScratch([n * k, n * k, k, n * k, n], (sPtr, nPtr, scratch, outPtr, codes) => {
    engine.writeF32(sPtr, s);
    engine.writeF32(nPtr, noise);
    engine.abi.releaseCandidates(n, k, sPtr, nPtr, scratch, outPtr, codes);
    const fixed = engine.readF32(outPtr, n * k);
    rows.forEach((r, i) => released.set(fixed.subarray(i * k, (i + 1) * k), r * k));
  });
}

/** Throws a `MemGuardInputError` naming `name` unless k is an integer >= 2. */
export function checkClasses(name: string, k: unknown): asserts k is number {
  check(Number.isInteger(k) && (k as number) >= 2, () => `${name}: k (classes per vector) must be an integer >= 2, got ${String(k)}`);
}
