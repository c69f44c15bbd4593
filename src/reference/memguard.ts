// Plain-JS reference of MemGuard for ONE query (design §3, §4): the readable oracle the batched WASM
// search (assembly/memguard/) is checked against, and the bench baseline. It transcribes the
// authors' released code (defense_framework.py), which defines the published numbers:
//
//   sort s ascending (remember the permutation); z = logits or log(max(s, TINY)), same permutation
//   g0 = sigmoid(h(sorted s)); |g0 - 0.5| <= tol  ->  r = 0 ('at-half')
//   for c3 = 0.1, 1, ..., 1e5:
//     u = z; repeat (at least once, at most maxSteps): u -= beta * grad L(u) / ||grad L(u)||
//       until the label is kept and h(softmax(u)) has the opposite sign of h0
//     label lost or no crossing -> stop (return the last success, or r = 0 if none)
//     best = softmax(u) - sorted s
//   r = best mapped back to the original order
//
// L(u) = |h(softmax u)| + c2 ReLU(max_{j!=l} u_j - u_l) + c3 sum_j |softmax(u)_j - s_j|, l = k - 1.
//
// Float32 faithfulness: every intermediate is rounded to float32 (`f`) in the order the WASM port
// uses, so the two match up to the last ulp of exp/log (Math.exp vs the module's expf):
//   softmax:   m = max u; e_j = exp(u_j - m); S = sum e_j (left to right); s'_j = e_j / S
//   gradient:  v_j = sign(h) dh/ds'_j + c3 sign(s'_j - s_j); d = sum v_j s'_j (left to right);
//              grad_j = s'_j (v_j - d); hinge: grad_l -= c2, grad_j += c2 / #ties for the top other(s)
//   step:      n = sqrt(sum grad_j^2); u_j -= beta * (grad_j / n)
//
// Decisions (the WASM port must follow them):
// - TINY = 1e-30: log(1e-30) = -69.08, so exp(z_j - max z) >= 1e-30 stays a normal float32 and
//   softmax(log s) reproduces s to float32 rounding (a zero entry comes back as ~1e-30).
// - Ties: s is sorted ascending by value, equal values by DESCENDING original index, so the original
//   argmax (the first index among equal maxima) lands last (l = k - 1). The label is kept iff the
//   argmax over the ORIGINAL order of u (first index among equal maxima) is still l.
// - The hinge is active only when strictly positive (TF's relu gradient); its +c2 is split evenly
//   among tied top others (TF's reduce_max gradient). sign(0) = 0 (TF's abs gradient).
// - A zero or non-finite gradient norm ends the c3 round without moving (the released code would
//   divide by zero and produce NaN, which fails the round; repeating a zero step changes nothing).
//   Such an aborted step is not counted in `steps`.
// - "Crossed" means h * h0 <= 0 (the released (g - .5)(g0 - .5) > 0 test, negated, on the logit).
// - At e = 0, softmax(z) differs from s by float32 rounding, so the L1 term's subgradient there is
//   the sign of that rounding (as in the released code, whose logits and scores come from separate
//   float32 computations); it is not special-cased.
import { check } from '../errors.js';
import { PHASE1_DEFAULTS, resolvePhase1Options, type Phase1Options } from '../memguard/phase1.js';
import { simplexProjectLabelMax } from './simplex.js';

export { PHASE1_DEFAULTS, type Phase1Options };

/** The defense classifier as the search sees it: its logit h and input gradient dh/dinput. */
export interface DefenseLogit {
  /** Input width (the number of classes). */
  readonly k: number;
  /**
   * h(input) for one ascending-sorted probability vector of length k; when `grad` is given, writes
   * dh/dinput into it (length k).
   */
  logitAndGrad(input: Float32Array, grad: Float32Array | null): number;
}

/** Floor applied before taking logs of probabilities (see the file header). */
export const TINY = 1e-30;

export type Phase1Status = 'converged' | 'at-half' | 'failed';

export interface Phase1Result {
  /** r = s' - s in the original order (all zeros unless `status` is 'converged'). */
  noise: Float32Array;
  /** Gradient steps taken over all c3 rounds. */
  steps: number;
  /** c3 of the last successful round, or 0. */
  c3: number;
  /** 'converged': at least one round succeeded; 'at-half': g(s) already 0.5; 'failed': none did. */
  status: Phase1Status;
}

const f = Math.fround;
const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

/** Numerically safe float32 sigmoid. */
export function sigmoid(h: number): number {
  return h >= 0 ? f(1 / f(1 + f(Math.exp(-h)))) : f(f(Math.exp(h)) / f(1 + f(Math.exp(h))));
}

/**
 * The ascending order of `s`: `order[i]` is the original index of the i-th smallest; equal values by
 * descending original index, so the first original maximum comes last.
 */
export function sortOrder(s: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: s.length }, (_, i) => i);
  return order.sort((a, b) => (s[a]! - s[b]!) || (b - a));
}

/** float32 softmax of `u` into `out` (max-shifted; left-to-right sum; division). Returns `out`. */
export function softmax32(u: Float32Array, out: Float32Array): Float32Array {
  const k = u.length;
  let m = -Infinity;
  for (let j = 0; j < k; j++) if (u[j]! > m) m = u[j]!;
  let sum = 0;
  for (let j = 0; j < k; j++) { out[j] = Math.exp(f(u[j]! - m)); sum = f(sum + out[j]!); }
  for (let j = 0; j < k; j++) out[j] = out[j]! / sum;
  return out;
}

/**
 * True when the argmax of `u` over the original order (first index among equal maxima) is the
 * last sorted position; `order` maps sorted positions to original indices. NaN anywhere: false.
 */
export function labelKept(u: Float32Array, order: Int32Array): boolean {
  const l = u.length - 1;
  const top = u[l]!;
  if (top !== top) return false;
  for (let j = 0; j < l; j++) {
    const x = u[j]!;
    if (x !== x || x > top || (x === top && order[j]! < order[l]!)) return false;
  }
  return true;
}

/** Scratch buffers for one query of width k. */
interface Work {
  sp: Float32Array; // softmax(u)
  dh: Float32Array; // dh/ds'
  v: Float32Array; // dL/ds'
}

function work(k: number): Work {
  return { sp: new Float32Array(k), dh: new Float32Array(k), v: new Float32Array(k) };
}

/**
 * The Phase I loss L(u) in sorted coordinates (label at k - 1) and, when `grad` is given, its
 * analytic (sub)gradient with respect to the logits u. `sSorted`: the ascending-sorted query.
 */
export function phase1Loss(
  u: Float32Array, sSorted: Float32Array, g: DefenseLogit, c2: number, c3: number, grad: Float32Array | null,
): number {
  return lossInto(u, sSorted, g, c2, c3, grad, work(u.length));
}

function lossInto(
  u: Float32Array, sSorted: Float32Array, g: DefenseLogit, c2: number, c3: number, grad: Float32Array | null, w: Work,
): number {
  const k = u.length, l = k - 1;
  const { sp, dh, v } = w;
  softmax32(u, sp);
  const h = g.logitAndGrad(sp, grad ? dh : null);
  let top = -Infinity, ties = 0;
  for (let j = 0; j < l; j++) {
    if (u[j]! > top) { top = u[j]!; ties = 1; } else if (u[j] === top) ties++;
  }
  const gap = f(top - u[l]!);
  let l3 = 0;
  for (let j = 0; j < k; j++) l3 = f(l3 + Math.abs(f(sp[j]! - sSorted[j]!)));
  const loss = f(f(Math.abs(h) + f(f(c2) * Math.max(gap, 0))) + f(f(c3) * l3));
  if (!grad) return loss;
  const sh = sign(h), c3f = f(c3);
  let d = 0;
  for (let j = 0; j < k; j++) {
    v[j] = f(sh * dh[j]!) + f(c3f * sign(f(sp[j]! - sSorted[j]!)));
    d = f(d + f(v[j]! * sp[j]!));
  }
  for (let j = 0; j < k; j++) grad[j] = f(sp[j]! * f(v[j]! - d));
  if (gap > 0) {
    grad[l] = f(grad[l]! - f(c2));
    const share = f(f(c2) / ties);
    for (let j = 0; j < l; j++) if (u[j] === top) grad[j] = f(grad[j]! + share);
  }
  return loss;
}

function validate(s: Float32Array, g: DefenseLogit, logits?: Float32Array): void {
  check(s.length >= 1 && s.length === g.k, () => `phase1: s has length ${s.length}, the defense classifier takes ${g.k}`);
  for (let j = 0; j < s.length; j++) {
    check(Number.isFinite(s[j]!) && s[j]! >= 0, () => `phase1: s[${j}] = ${s[j]} is not a probability`);
  }
  if (logits) {
    check(logits.length === s.length, () => `phase1: logits have length ${logits.length}, s has ${s.length}`);
    for (let j = 0; j < logits.length; j++) check(Number.isFinite(logits[j]!), () => `phase1: logits[${j}] = ${logits[j]} is not finite`);
  }
}

interface Prepared {
  k: number;
  order: Int32Array;
  sSorted: Float32Array;
  h0: number;
  atHalf: boolean;
}

function prepare(s: Float32Array, g: DefenseLogit, tolerance: number): Prepared {
  const k = s.length;
  const order = sortOrder(s);
  const sSorted = new Float32Array(k);
  for (let i = 0; i < k; i++) sSorted[i] = s[order[i]!]!;
  const h0 = f(g.logitAndGrad(sSorted, null));
  const atHalf = Math.abs(sigmoid(h0) - 0.5) <= tolerance;
  return { k, order, sSorted, h0, atHalf };
}

function finish(p: Prepared, best: Float32Array | null, steps: number, c3: number): Phase1Result {
  const noise = new Float32Array(p.k);
  if (best) for (let i = 0; i < p.k; i++) noise[p.order[i]!] = best[i]!;
  return { noise, steps, c3: best ? c3 : 0, status: best ? 'converged' : 'failed' };
}

// The c3 schedule c3Start * c3Factor^i while <= c3Max, computed in float64 as the released code does
// (0.1 * 10 = 1 exactly, ... 1e4 * 10 = 1e5), with a relative slack against drift.
function* schedule(o: Required<Phase1Options>): Generator<number> {
  for (let c3 = o.c3Start; c3 <= o.c3Max * (1 + 1e-12); c3 *= o.c3Factor) yield c3;
}

/**
 * Phase I for one query: the authors' logit-space search (design §3). `s`: the confidence vector in the
 * original order; `logits`: the target model's logits for it (optional; else log(max(s, TINY))).
 *
 * @example
 * const g = { k: 2, logitAndGrad: (x, d) => { if (d) d.set([0, 4]); return 4 * x[1] - 3; } };
 * phase1(new Float32Array([0.1, 0.9]), g).status; // 'converged': h goes from 0.6 to < 0
 */
export function phase1(s: Float32Array, g: DefenseLogit, opts: Phase1Options = {}, logits?: Float32Array): Phase1Result {
  const o = resolvePhase1Options(opts);
  validate(s, g, logits);
  const p = prepare(s, g, o.tolerance);
  if (p.atHalf) return { noise: new Float32Array(p.k), steps: 0, c3: 0, status: 'at-half' };
  const { k, order, sSorted, h0 } = p;
  const z = new Float32Array(k);
  for (let i = 0; i < k; i++) z[i] = logits ? logits[order[i]!]! : Math.log(Math.max(sSorted[i]!, f(TINY)));
  const u = new Float32Array(k), grad = new Float32Array(k), w = work(k);
  const beta = f(o.beta);
  let best: Float32Array | null = null, bestC3 = 0, steps = 0;
  for (const c3 of schedule(o)) {
    u.set(z);
    let kept = false, crossed = false;
    for (let j = 0; j < o.maxSteps && !(kept && crossed); j++) {
      lossInto(u, sSorted, g, o.c2, c3, grad, w);
      let sq = 0;
      for (let i = 0; i < k; i++) sq = f(sq + f(grad[i]! * grad[i]!));
      const norm = f(Math.sqrt(sq));
      if (!(norm > 0 && norm < Infinity)) break;
      for (let i = 0; i < k; i++) u[i] = f(u[i]! - f(beta * f(grad[i]! / norm)));
      steps++;
      kept = labelKept(u, order);
      crossed = f(g.logitAndGrad(softmax32(u, w.sp), null)) * h0 <= 0;
    }
    if (!kept || !crossed) break;
    softmax32(u, w.sp);
    best = new Float32Array(k);
    for (let i = 0; i < k; i++) best[i] = f(w.sp[i]! - sSorted[i]!);
    bestC3 = c3;
  }
  return finish(p, best, steps, bestC3);
}

/**
 * The projected method's loss |h(p)| + c3 ||p - s||_1 (sorted coordinates) and, when `grad` is
 * given, its subgradient with respect to p, centred (mean removed: the simplex projection ignores
 * the component along the all-ones vector, so only the centred part moves p).
 */
export function projectedLoss(
  p: Float32Array, sSorted: Float32Array, g: DefenseLogit, c3: number, grad: Float32Array | null,
): number {
  const k = p.length;
  const dh = grad ? new Float32Array(k) : null;
  const h = g.logitAndGrad(p, dh);
  let l3 = 0;
  for (let j = 0; j < k; j++) l3 = f(l3 + Math.abs(f(p[j]! - sSorted[j]!)));
  const loss = f(Math.abs(h) + f(f(c3) * l3));
  if (!grad || !dh) return loss;
  const sh = sign(h), c3f = f(c3);
  let mean = 0;
  for (let j = 0; j < k; j++) {
    grad[j] = f(sh * dh[j]!) + f(c3f * sign(f(p[j]! - sSorted[j]!)));
    mean = f(mean + grad[j]!);
  }
  mean = f(mean / k);
  for (let j = 0; j < k; j++) grad[j] = f(grad[j]! - mean);
  return loss;
}

/**
 * Phase I by projected normalized gradient steps in probability space (design §5, not the paper's
 * method): p = s + r starts at s; p <- Proj(p - beta * grad / ||grad||) where Proj is the exact
 * Euclidean projection onto {simplex, p_l >= p_j + margin} (label l = the original argmax); loss
 * |h(p)| + c3 ||p - s||_1; the same c3 schedule, step budget and stopping rule as `phase1`. Like the
 * released code, p is not re-sorted inside the loop. `beta` is in probability units here.
 */
export function phase1Projected(s: Float32Array, g: DefenseLogit, opts: Phase1Options = {}): Phase1Result {
  const o = resolvePhase1Options(opts);
  validate(s, g);
  const pr = prepare(s, g, o.tolerance);
  if (pr.atHalf) return { noise: new Float32Array(pr.k), steps: 0, c3: 0, status: 'at-half' };
  const { k, order, sSorted, h0 } = pr;
  const p = new Float32Array(k), grad = new Float32Array(k);
  const beta = f(o.beta);
  let best: Float32Array | null = null, bestC3 = 0, steps = 0;
  for (const c3 of schedule(o)) {
    p.set(sSorted);
    let kept = false, crossed = false;
    for (let j = 0; j < o.maxSteps && !(kept && crossed); j++) {
      projectedLoss(p, sSorted, g, c3, grad);
      let sq = 0;
      for (let i = 0; i < k; i++) sq = f(sq + f(grad[i]! * grad[i]!));
      const norm = f(Math.sqrt(sq));
      if (!(norm > 0 && norm < Infinity)) break;
      for (let i = 0; i < k; i++) p[i] = f(p[i]! - f(beta * f(grad[i]! / norm)));
      simplexProjectLabelMax(k, p, 0, k - 1, o.margin);
      steps++;
      kept = labelKept(p, order);
      crossed = f(g.logitAndGrad(p, null)) * h0 <= 0;
    }
    if (!kept || !crossed) break;
    best = new Float32Array(k);
    for (let i = 0; i < k; i++) best[i] = f(p[i]! - sSorted[i]!);
    bestC3 = c3;
  }
  return finish(pr, best, steps, bestC3);
}

// Phase II's closed form lives in the product code (src/memguard/phase2.ts); re-exported so the
// reference keeps describing the whole per-query algorithm.
export { mixingProbability, type MixingMode } from '../memguard/phase2.js';
