// Plain-JS twins of assembly/memguard/simplex.ts: Euclidean projections onto the probability
// simplex and onto {simplex, label on top}, and the release repair of design §5. Same names and
// argument order as the kernels, with Float32Arrays plus element offsets in place of pointers (the
// kernels' `scratch` pointer is internal here). The arithmetic is the kernels', operation for
// operation: values are read as float32, sorted, accumulated in float64 and rounded to float32 once
// when stored, so the two agree bit for bit.
//
// Why the composition is exact. The set is C = {y : sum y = 1, y >= 0, y_l >= y_j + m (j != l)}.
// With y~ = y - m e_l it becomes (1-m)Δ ∩ K, K = {y~_l >= y~_j}, and for k >= 2 the bound y~_l >= 0
// is implied by y~_l >= y~_j >= 0. Projecting onto K first (pool the label with every entry above
// the pooled mean: w_l = w_j = t, the rest unchanged) and then onto the scaled simplex
// (y = max(w - τ, 0), monotone in w) satisfies the KKT conditions of the joint problem: the
// multipliers of K are nonzero only where w_j = w_l, and those stay equal after the monotone map.
// So Proj_C(x) = m e_l + Proj_{(1-m)Δ}(Proj_K(x - m e_l)) exactly, for every margin m in [0, 1);
// test/reference/simplex.test.ts checks it against a generic Dykstra solver and an exact optimality
// certificate (the support function of C).

/** Release-validity tolerance on |sum - 1| (design §5); the sum is taken in float64 over float32 entries. */
export const SUM_TOLERANCE = 1e-6;

/**
 * Margin by which `repairRelease` keeps the label above every other entry: 2^-20 (about 9.5e-7),
 * 8 float32 ulps of 1, so the released argmax stays strict after rounding to float32.
 */
export const RELEASE_MARGIN = 2 ** -20;

/** Index of the first maximum of `v[off..off+k)` (NaN entries never win); -1 when k = 0 or all NaN. */
export function argmaxFirst(k: number, v: ArrayLike<number>, off = 0): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let j = 0; j < k; j++) {
    const x = v[off + j]!;
    if (best < 0 ? x === x : x > bestValue) { best = j; bestValue = x; }
  }
  return best;
}

// Threshold τ of the projection onto {sum = z, >= 0} of `count` copies of `head` followed by
// `sorted[from..to)` read backwards (ascending storage), i.e. one descending sequence.
function threshold(head: number, count: number, sorted: Float32Array, from: number, to: number, z: number): number {
  let cs = 0, csRho = 0, rho = 0, j = 0;
  for (let i = 0; i < count; i++) {
    cs += head; j++;
    if (head - (cs - z) / j > 0) { rho = j; csRho = cs; }
  }
  for (let i = to - 1; i >= from; i--) {
    const u = sorted[i]!;
    cs += u; j++;
    if (u - (cs - z) / j > 0) { rho = j; csRho = cs; }
  }
  return (csRho - z) / rho;
}

/**
 * Projects `x[xOff..xOff+k)` in place onto the probability simplex {y >= 0, sum y = 1} (Euclidean,
 * sort-based, O(k log k): Held, Wolfe & Crowder 1974; Duchi et al. 2008). Returns `x`.
 *
 * @example
 * simplexProject(3, new Float32Array([0.5, 0.5, 0.5]), 0); // [1/3, 1/3, 1/3]
 */
export function simplexProject(k: number, x: Float32Array, xOff = 0): Float32Array {
  if (k <= 0) return x;
  const sorted = x.slice(xOff, xOff + k).sort(); // ascending; read backwards below
  const tau = threshold(0, 0, sorted, 0, k, 1);
  for (let j = 0; j < k; j++) x[xOff + j] = Math.max(x[xOff + j]! - tau, 0);
  return x;
}

/**
 * Projects `x[xOff..xOff+k)` in place onto {y >= 0, sum y = 1, y[label] >= y[j] + margin for j != label}
 * (exact; see the file header). `margin` in [0, 1); with `margin >= 2^-23` the label stays strictly
 * on top after rounding to float32. Returns `x`.
 *
 * @example
 * simplexProjectLabelMax(3, new Float32Array([0.6, 0.1, 0.3]), 0, 1, 0); // [0.35, 0.35, 0.3]: label 1 pooled with 0
 */
export function simplexProjectLabelMax(k: number, x: Float32Array, xOff: number, label: number, margin: number): Float32Array {
  if (k <= 0) return x;
  const m = Math.fround(margin);
  const others = new Float32Array(k - 1);
  for (let j = 0, n = 0; j < k; j++) if (j !== label) others[n++] = x[xOff + j]!;
  others.sort(); // ascending; the largest is last
  // Projection onto K: pool the (shifted) label with every other entry above the running mean.
  let cs = x[xOff + label]! - m, c = 1, t = cs, i = k - 2;
  while (i >= 0 && others[i]! > t) { cs += others[i]!; c++; t = cs / c; i--; }
  // Projection of (t x c, others[i..0]) onto the simplex of mass 1 - m.
  const tau = threshold(t, c, others, 0, i + 1, 1 - m);
  for (let j = 0; j < k; j++) {
    if (j === label) continue;
    x[xOff + j] = Math.max(Math.min(x[xOff + j]!, t) - tau, 0);
  }
  x[xOff + label] = Math.max(t - tau, 0) + m;
  return x;
}

/**
 * True when `v[off..off+k)` is a valid release for `label` (design §5): every entry finite and >= 0,
 * the first maximum at `label`, and |sum - 1| <= 1e-6 (sum in float64 of the float32 entries).
 */
export function isValidRelease(k: number, v: ArrayLike<number>, off: number, label: number): boolean {
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const x = v[off + j]!;
    if (!(x >= 0) || x === Infinity) return false;
    sum += x;
  }
  return argmaxFirst(k, v, off) === label && Math.abs(sum - 1) <= SUM_TOLERANCE;
}

/** What `repairRelease` did: kept the candidate, projected it, or fell back to the original `s`. */
export const REPAIR_KEPT = 0, REPAIR_PROJECTED = 1, REPAIR_ORIGINAL = 2;

/**
 * Writes a valid release for the query `s` (original order) into `out`, given the candidate `s'`:
 * the candidate itself when already valid (original argmax, entries >= 0, sum within 1e-6); else its
 * projection onto {simplex, original argmax on top by `RELEASE_MARGIN`} when that is valid; else `s`
 * unchanged (also for a non-finite candidate). Returns REPAIR_KEPT / REPAIR_PROJECTED / REPAIR_ORIGINAL.
 * `out` may alias `candidate`, never `s`. `s` is trusted to be a validated confidence vector.
 */
export function repairRelease(
  k: number, s: Float32Array, sOff: number, candidate: Float32Array, cOff: number, out: Float32Array, outOff: number,
): number {
  const label = argmaxFirst(k, s, sOff);
  if (isValidRelease(k, candidate, cOff, label)) {
    copy(k, candidate, cOff, out, outOff);
    return REPAIR_KEPT;
  }
  let finite = true;
  for (let j = 0; j < k; j++) if (!Number.isFinite(candidate[cOff + j]!)) finite = false;
  if (finite && label >= 0) {
    copy(k, candidate, cOff, out, outOff);
    simplexProjectLabelMax(k, out, outOff, label, RELEASE_MARGIN);
    if (isValidRelease(k, out, outOff, label)) return REPAIR_PROJECTED;
  }
  copy(k, s, sOff, out, outOff);
  return REPAIR_ORIGINAL;
}

function copy(k: number, src: Float32Array, srcOff: number, dst: Float32Array, dstOff: number): void {
  if (src === dst && srcOff === dstOff) return;
  for (let j = 0; j < k; j++) dst[dstOff + j] = src[srcOff + j]!;
}
