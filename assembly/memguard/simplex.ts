// Euclidean projections onto the probability simplex and onto {simplex, label on top}, and the
// release repair of design §5. One row of k float32 at a time, in place; `scratch` holds k floats
// for sorting (the module never allocates). Values are sorted as float32, accumulated in float64 and
// rounded to float32 once when stored: src/reference/simplex.ts is the operation-for-operation twin
// (and explains why projecting onto the label cone and then the simplex is the exact projection).

/** Release-validity tolerance on |sum - 1|; the sum is taken in float64 over float32 entries. */
const SUM_TOLERANCE: f64 = 1e-6;
/** Margin keeping the label strictly on top after rounding: 2^-20, 8 float32 ulps of 1. */
const RELEASE_MARGIN: f32 = 9.5367431640625e-7;

@inline function ld(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
@inline function st(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }

// Max-heap sift-down over p[0..n).
function siftDown(p: usize, i: i32, n: i32): void {
  const v = ld(p, i);
  while (true) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && ld(p, c + 1) > ld(p, c)) c++;
    if (!(ld(p, c) > v)) break;
    st(p, i, ld(p, c));
    i = c;
  }
  st(p, i, v);
}

/** Sorts n floats at p ascending in place (heap sort: O(n log n), no allocation; NaN-safe termination). */
function sortAscending(p: usize, n: i32): void {
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(p, i, n);
  for (let end = n - 1; end > 0; end--) {
    const t = ld(p, 0);
    st(p, 0, ld(p, end));
    st(p, end, t);
    siftDown(p, 0, end);
  }
}

// Threshold τ of the projection onto {sum = z, >= 0} of `count` copies of `head` followed by
// sorted[from..to) read backwards (ascending storage): one descending sequence.
function threshold(head: f64, count: i32, sorted: usize, from: i32, to: i32, z: f64): f64 {
  let cs: f64 = 0, csRho: f64 = 0;
  let rho = 0, j = 0;
  for (let i = 0; i < count; i++) {
    cs += head; j++;
    if (head - (cs - z) / <f64>j > 0) { rho = j; csRho = cs; }
  }
  for (let i = to - 1; i >= from; i--) {
    const u = <f64>ld(sorted, i);
    cs += u; j++;
    if (u - (cs - z) / <f64>j > 0) { rho = j; csRho = cs; }
  }
  return (csRho - z) / <f64>rho;
}

/** Index of the first maximum of k floats at v (NaN never wins); -1 if none. */
export function argmaxFirst(k: i32, v: usize): i32 {
  let best = -1;
  let bestValue: f32 = -Infinity;
  for (let j = 0; j < k; j++) {
    const x = ld(v, j);
    if (best < 0 ? x == x : x > bestValue) { best = j; bestValue = x; }
  }
  return best;
}

/** Projects k floats at x in place onto the probability simplex; scratch: k floats. Per row, by repair and tests. */
export function simplexProject(k: i32, x: usize, scratch: usize): void {
  if (k <= 0) return;
  memory.copy(scratch, x, <usize>k << 2);
  sortAscending(scratch, k);
  const tau = threshold(0, 0, scratch, 0, k, 1);
  for (let j = 0; j < k; j++) st(x, j, <f32>max(<f64>ld(x, j) - tau, 0.0));
}

/**
 * Projects k floats at x in place onto {simplex, x[label] >= x[j] + margin for j != label}, margin in
 * [0, 1), exactly; scratch: k floats. Per row, by the projected optimizer and by repairRelease.
 */
export function simplexProjectLabelMax(k: i32, x: usize, label: i32, margin: f32, scratch: usize): void {
  if (k <= 0) return;
  const m = <f64>margin;
  let n = 0;
  for (let j = 0; j < k; j++) if (j != label) st(scratch, n++, ld(x, j));
  sortAscending(scratch, n);
  // Projection onto the label cone: pool the shifted label with every entry above the running mean.
  let cs = <f64>ld(x, label) - m, t = cs;
  let c = 1, i = k - 2;
  while (i >= 0 && <f64>ld(scratch, i) > t) { cs += <f64>ld(scratch, i); c++; t = cs / <f64>c; i--; }
  const tau = threshold(t, c, scratch, 0, i + 1, 1 - m);
  for (let j = 0; j < k; j++) {
    if (j == label) continue;
    st(x, j, <f32>max(min(<f64>ld(x, j), t) - tau, 0.0));
  }
  st(x, label, <f32>(max(t - tau, 0.0) + m));
}

/** 1 when k floats at v are a valid release for label (finite, >= 0, first max at label, sum 1 +- 1e-6). */
export function isValidRelease(k: i32, v: usize, label: i32): i32 {
  let sum: f64 = 0;
  for (let j = 0; j < k; j++) {
    const x = ld(v, j);
    if (!(x >= 0) || x == Infinity) return 0;
    sum += <f64>x;
  }
  return i32(argmaxFirst(k, v) == label && abs(sum - 1) <= SUM_TOLERANCE);
}

/**
 * Writes a valid release of query s (k floats, original order) to out given candidate s': the
 * candidate if valid, else its label-keeping projection if valid, else s. Returns 0 kept,
 * 1 projected, 2 original. out may alias candidate, not s; scratch: k floats. Per released row.
 */
export function repairRelease(k: i32, s: usize, candidate: usize, scratch: usize, out: usize): i32 {
  const bytes = <usize>k << 2;
  const label = argmaxFirst(k, s);
  if (isValidRelease(k, candidate, label)) {
    if (out != candidate) memory.copy(out, candidate, bytes);
    return 0;
  }
  let finite = true;
  for (let j = 0; j < k; j++) if (!isFinite(ld(candidate, j))) finite = false;
  if (finite && label >= 0) {
    if (out != candidate) memory.copy(out, candidate, bytes);
    simplexProjectLabelMax(k, out, label, RELEASE_MARGIN, scratch);
    if (isValidRelease(k, out, label)) return 1;
  }
  memory.copy(out, s, bytes);
  return 2;
}
