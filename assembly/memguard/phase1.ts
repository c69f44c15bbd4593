// Phase I of MemGuard (design §3), batched: the whole c3 search for every row of a batch in one call.
// Rows advance in lock-step "ticks": each tick runs ONE forward + backward pass of the defense
// classifier g over the rows still searching (gathered into a compact batch), which gives both the
// crossing test for a row's previous step and the gradient for its next one. Rows finish at
// different ticks and drop out of the gathered batch.
//
// Operation order follows src/reference/memguard.ts (the per-query oracle) float32 op for op:
// exp/log in f64 rounded to f32 (as Math.exp + Float32Array store), left-to-right sums.
import { mlpBackward, mlpForward } from '../nn/mlp';
import { simplexProjectLabelMax } from './simplex';

/** Floor before taking logs of probabilities (reference TINY). */
const TINY: f32 = 1e-30;

// Options block: f64 values, in this order (src/memguard/phase1.ts writes it).
const OPT_C2 = 0, OPT_C3_START = 1, OPT_C3_FACTOR = 2, OPT_C3_MAX = 3, OPT_BETA = 4,
  OPT_MAX_STEPS = 5, OPT_TOLERANCE = 6, OPT_MARGIN = 7, OPT_METHOD = 8,
  OPT_EARLY_STOP = 9, OPT_TICK_BUDGET = 10,
  OPT_STALL = 11; // per stall tier t (see TIERS): window, dominance, band at OPT_STALL + 3 t + 0, 1, 2
export const PHASE1_OPTIONS: i32 = 17;

// Per-row report: f64 values, in this order.
const REP_STEPS = 0, REP_STATUS = 1, REP_C3 = 2, REP_G = 3, REP_G_NOISY = 4,
  REP_TICKS = 5, REP_STOP_RULE = 6, REP_STOP_STEP = 7, REP_LONGEST_STALL = 8; // + t for tier t
export const PHASE1_REPORT: i32 = 10;

/** Early-stop rules (options[OPT_EARLY_STOP], a bit set; 0 = the paper-literal search). */
export const STOP_CYCLE: i32 = 1;
export const STOP_STALL: i32 = 2;
export const STOP_DEEP_STALL: i32 = 8;
/** What ended a row's last round early (report[REP_STOP_RULE]); STOP_NONE: nothing did. */
export const STOP_NONE: i32 = 0;
export const STOP_BUDGET: i32 = 4;

// The stall rules are two tiers of one test (see phase1's comment): tier 0 is STOP_STALL, tier 1
// STOP_DEEP_STALL, each with its own window, dominance margin and band (read from the options
// block of the call in progress) and its own counters per row.
const TIERS = 2;
let opts: usize = 0;
@inline function tierRule(t: i32): i32 { return t == 0 ? STOP_STALL : STOP_DEEP_STALL; }
@inline function tierWindow(t: i32): i32 { return <i32>ldd(opts, OPT_STALL + 3 * t); }
@inline function tierDominance(t: i32): f32 { return <f32>ldd(opts, OPT_STALL + 3 * t + 1); }
@inline function tierBand(t: i32): f32 { return <f32>ldd(opts, OPT_STALL + 3 * t + 2); }

/** Row status codes (report[REP_STATUS]). */
export const STATUS_FAILED: i32 = 0;
export const STATUS_CONVERGED: i32 = 1;
export const STATUS_AT_HALF: i32 = 2;

/** Search methods (options[OPT_METHOD]). */
export const METHOD_LOGITS: i32 = 0; // the paper's: normalized steps on logits, softmax keeps the simplex
export const METHOD_PROJECTED: i32 = 1; // normalized steps on probabilities, projected back each step

@inline function ldf(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
@inline function stf(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
@inline function ldi(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }
@inline function sti(p: usize, i: i32, v: i32): void { store<i32>(p + (<usize>i << 2), v); }
@inline function ldd(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function std(p: usize, i: i32, v: f64): void { store<f64>(p + (<usize>i << 3), v); }
@inline function row(base: usize, r: i32, k: i32): usize { return base + (<usize>(r * k) << 2); }
@inline function expf32(x: f32): f32 { return <f32>Math.exp(<f64>x); }
@inline function signf(x: f32): f32 { return x > 0 ? 1 : x < 0 ? <f32>-1 : 0; }

/** Float32 sigmoid as the reference computes it. */
@inline function sigmoid32(h: f32): f32 {
  if (h >= 0) return <f32>1 / (<f32>1 + expf32(-h));
  const e = expf32(h);
  return e / (<f32>1 + e);
}

// Workspace layout (module globals: the module never allocates). Per row: order (k i32), sorted
// s, z, u, best, saved (k f32 each), h0, bestQ (f32), c3 and bestC3 (f64), steps, stepsInRound,
// state, ticks, stopRule, stopStep (i32); per stall tier: stall, roundStall, longestStall (i32),
// stallHigh (f32), at index t * batch + r (tierAt). Per gathered batch: x, dx (batch x k), acts, dLogits (batch),
// scratch (2 x batch x width), active (batch i32); projection and decoy scratch (k each).
let sumOut = 0, width = 0;
let wOrder: usize = 0, wSorted: usize = 0, wZ: usize = 0, wU: usize = 0, wBest: usize = 0, wSaved: usize = 0;
let rowsInBatch = 0;
let wH0: usize = 0, wBestQ: usize = 0, wStallHigh: usize = 0, wC3: usize = 0, wBestC3: usize = 0, wSteps: usize = 0, wInRound: usize = 0, wState: usize = 0;
let wTicks: usize = 0, wStall: usize = 0, wRoundStall: usize = 0, wLongestStall: usize = 0, wStopRule: usize = 0, wStopStep: usize = 0;
let wX: usize = 0, wDx: usize = 0, wActs: usize = 0, wDLogits: usize = 0, wScratch: usize = 0;
let wActive: usize = 0, wProj: usize = 0, wShadow: usize = 0;
/** Where the decoy work of fixed-work passes lands, so the optimizer cannot drop it. */
let decoySink: i32 = 0;

/** Reads the network's total output width and widest layer into sumOut / width. */
function measure(desc: usize, nLayers: i32): void {
  sumOut = 0; width = 0;
  for (let l = 0; l < nLayers; l++) {
    const nIn = load<i32>(desc + (<usize>(l * 8) << 2)), nOut = load<i32>(desc + (<usize>(l * 8 + 1) << 2));
    sumOut += nOut;
    width = max(width, max(nIn, nOut));
  }
}

/** Lays the workspace out from `base`; returns its end. */
function layout(base: usize, batch: i32, k: i32): usize {
  rowsInBatch = batch;
  const rk = <usize>(batch * k) << 2, rb4 = <usize>batch << 2, rb8 = <usize>batch << 3;
  let p = (base + 7) & ~7;
  wC3 = p; p += rb8;
  wBestC3 = p; p += rb8;
  wOrder = p; p += rk;
  wSorted = p; p += rk;
  wZ = p; p += rk;
  wU = p; p += rk;
  wBest = p; p += rk;
  wSaved = p; p += rk;
  wH0 = p; p += rb4;
  wBestQ = p; p += rb4;
  wStallHigh = p; p += <usize>TIERS * rb4;
  wSteps = p; p += rb4;
  wInRound = p; p += rb4;
  wState = p; p += rb4;
  wTicks = p; p += rb4;
  wStall = p; p += <usize>TIERS * rb4;
  wRoundStall = p; p += <usize>TIERS * rb4;
  wLongestStall = p; p += <usize>TIERS * rb4;
  wStopRule = p; p += rb4;
  wStopStep = p; p += rb4;
  wX = p; p += rk;
  wDx = p; p += rk;
  wActs = p; p += <usize>(batch * sumOut) << 2;
  wDLogits = p; p += rb4;
  wScratch = p; p += <usize>(2 * batch * width) << 2;
  wActive = p; p += rb4;
  wProj = p; p += <usize>k << 2;
  wShadow = p; p += <usize>k << 2;
  return p;
}

/** Bytes of workspace `phase1` needs for this network and batch. Called once per batch by the TS side. */
export function phase1WorkspaceBytes(desc: usize, nLayers: i32, batch: i32, k: i32): i32 {
  measure(desc, nLayers);
  return <i32>layout(0, batch, k) + 8;
}

// Row states.
const SEARCHING: i32 = 0; // forwarded this tick at u; steps from it
const RESTART: i32 = 1; // a new c3 round begins: u was reset, its forward is next tick's
const DONE: i32 = 2;

/** Half the range of the k floats at v: the largest entry of v - mu for the best shift mu. */
function spread(k: i32, v: usize): f32 {
  let lo: f32 = Infinity, hi: f32 = -Infinity;
  for (let j = 0; j < k; j++) { const x = ldf(v, j); lo = min(lo, x); hi = max(hi, x); }
  return (hi - lo) * <f32>0.5;
}

/** Index of row r's counter of stall tier t in the per-tier workspace arrays. */
@inline function tierAt(t: i32, r: i32): i32 { return t * rowsInBatch + r; }

/** The band guard of the stall rules: the crossing (q = 0) is `band` times farther from the best q than the stall's wiggle above it. */
@inline function clearOf(bestQ: f32, high: f32, band: f32): bool { return bestQ > band * (high - bestQ); }

/** True when the k floats at a and b are the same bit patterns (so the same search state). */
function sameBits(k: i32, a: usize, b: usize): bool {
  for (let j = 0; j < k; j++) if (ldi(a, j) != ldi(b, j)) return false;
  return true;
}

/** Sorts indices 0..k-1 of s ascending by value, equal values by descending index (insertion sort). */
function sortOrder(k: i32, s: usize, order: usize): void {
  for (let i = 0; i < k; i++) {
    const v = ldf(s, i);
    let j = i - 1;
    // i is the largest index so far: it goes before every equal value.
    while (j >= 0 && ldf(s, ldi(order, j)) >= v) { sti(order, j + 1, ldi(order, j)); j--; }
    sti(order, j + 1, i);
  }
}

/** The label (sorted position k-1) is the first maximum of u in the original order. */
function labelKept(k: i32, u: usize, order: usize): bool {
  const l = k - 1;
  const top = ldf(u, l);
  if (top != top) return false;
  const lo = ldi(order, l);
  for (let j = 0; j < l; j++) {
    const x = ldf(u, j);
    if (x != x || x > top || (x == top && ldi(order, j) < lo)) return false;
  }
  return true;
}

/** out = softmax(u), reference order of operations. */
function softmax32(k: i32, u: usize, out: usize): void {
  let m: f32 = -Infinity;
  for (let j = 0; j < k; j++) if (ldf(u, j) > m) m = ldf(u, j);
  let sum: f32 = 0;
  for (let j = 0; j < k; j++) { const e = expf32(ldf(u, j) - m); stf(out, j, e); sum += e; }
  for (let j = 0; j < k; j++) stf(out, j, ldf(out, j) / sum);
}

/**
 * Gradient of the logit-space loss w.r.t. u into grad, given sp = softmax(u) and
 * shd = sign(h) dh/ds' (from the backward pass).
 */
function logitGradient(k: i32, u: usize, sp: usize, shd: usize, sorted: usize, c2: f32, c3: f32, grad: usize): void {
  const l = k - 1;
  let d: f32 = 0;
  for (let j = 0; j < k; j++) {
    const v = ldf(shd, j) + c3 * signf(ldf(sp, j) - ldf(sorted, j));
    stf(grad, j, v); // v_j kept in grad until the second pass
    d += v * ldf(sp, j);
  }
  for (let j = 0; j < k; j++) stf(grad, j, ldf(sp, j) * (ldf(grad, j) - d));
  let top: f32 = -Infinity;
  let ties = 0;
  for (let j = 0; j < l; j++) {
    const x = ldf(u, j);
    if (x > top) { top = x; ties = 1; } else if (x == top) ties++;
  }
  if (top - ldf(u, l) > 0) {
    stf(grad, l, ldf(grad, l) - c2);
    const share = c2 / <f32>ties;
    for (let j = 0; j < l; j++) if (ldf(u, j) == top) stf(grad, j, ldf(grad, j) + share);
  }
}

/** Centred subgradient of |h(p)| + c3 ||p - s||_1 w.r.t. p (projected method). */
function probabilityGradient(k: i32, p: usize, shd: usize, sorted: usize, c3: f32, grad: usize): void {
  let mean: f32 = 0;
  for (let j = 0; j < k; j++) {
    const v = ldf(shd, j) + c3 * signf(ldf(p, j) - ldf(sorted, j));
    stf(grad, j, v);
    mean += v;
  }
  mean = mean / <f32>k;
  for (let j = 0; j < k; j++) stf(grad, j, ldf(grad, j) - mean);
}

/**
 * One normalized gradient step of the search at u, in place: grad holds sign(h) dh/ds' at u on entry
 * and the loss gradient after. Returns false, leaving u alone, when the gradient has no direction.
 */
function gradientStep(k: i32, u: usize, x: usize, grad: usize, sorted: usize, c2: f32, c3: f32, beta: f32, margin: f32, projected: bool): bool {
  if (projected) probabilityGradient(k, u, grad, sorted, c3, grad);
  else logitGradient(k, u, x, grad, sorted, c2, c3, grad);
  let sq: f32 = 0;
  for (let j = 0; j < k; j++) sq += ldf(grad, j) * ldf(grad, j);
  const norm = Mathf.sqrt(sq);
  if (!(norm > 0 && norm < Infinity)) return false;
  for (let j = 0; j < k; j++) stf(u, j, ldf(u, j) - beta * (ldf(grad, j) / norm));
  if (projected) simplexProjectLabelMax(k, u, k - 1, margin, wProj);
  return true;
}

/** Fixed work's decoy: a step's arithmetic (the stall test's spread, then the step) on a copy of u. */
function decoyStep(k: i32, u: usize, x: usize, grad: usize, sorted: usize, c2: f32, c3: f32, beta: f32, margin: f32, projected: bool): void {
  decoySink += i32(spread(k, grad) > c3);
  memory.copy(wShadow, u, <usize>k << 2);
  decoySink += i32(gradientStep(k, wShadow, x, grad, sorted, c2, c3, beta, margin, projected));
}

/** Starts a c3 round for row r: u back at the undistorted point (z, or s for the projected method). */
function startRound(r: i32, k: i32, projected: bool): void {
  memory.copy(row(wU, r, k), projected ? row(wSorted, r, k) : row(wZ, r, k), <usize>k << 2);
  memory.copy(row(wSaved, r, k), row(wU, r, k), <usize>k << 2);
  sti(wInRound, r, 0);
  for (let t = 0; t < TIERS; t++) { sti(wStall, tierAt(t, r), 0); sti(wRoundStall, tierAt(t, r), 0); }
}

/** The deepest stall tier whose rule is on and whose window and band hold for row r, or STOP_NONE. */
function stalled(r: i32, bestQ: f32, rules: i32): i32 {
  for (let t = TIERS - 1; t >= 0; t--) {
    const at = tierAt(t, r);
    if ((rules & tierRule(t)) && ldi(wStall, at) >= tierWindow(t) && clearOf(bestQ, ldf(wStallHigh, at), tierBand(t))) return tierRule(t);
  }
  return STOP_NONE;
}

/**
 * Phase I for `batch` queries of width k against the defense classifier described by desc (one
 * sigmoid/logit output). s: probabilities (batch x k, original order); logits: the target model's
 * logits for them, or 0 to use log(max(s, 1e-30)). options: PHASE1_OPTIONS f64 values. Writes
 * noise r (batch x k, original order; zero where the search failed) and a PHASE1_REPORT f64 row per
 * query: [steps, status, c3 of the last success, g(s), g(sort(s + r)), ticks, stop rule, in-round
 * step of the stop, longest stall of a successful round]. One call per batch.
 *
 * Early stop (options[OPT_EARLY_STOP]). A round that fails ends the whole search (the result is the
 * previous round's noise), so the only thing a round's remaining steps can change is whether it
 * ever succeeds within maxSteps; a rule that proves (or, for STOP_STALL, has been measured to
 * predict) that it cannot lets the row stop at once with the same status, c3 and noise:
 * - STOP_CYCLE (exact). Within a round the next state is a function of the current one alone:
 *   u_{t+1} = F(u_t) with F fixed by (z, sorted s, c2, c3, beta, g), evaluated in float32 in the
 *   same order whatever the batch (the GEMM sums every row in a batch-independent order), and
 *   success is a function S(u_t) of the state. So if u_t has the bit pattern of an earlier u_i, the
 *   trajectory repeats u_i..u_{t-1} forever, all of which were tested (u_0 = u_t included) and
 *   failed: no later step can succeed. States are compared bit for bit against one saved state,
 *   re-saved at in-round steps 1, 2, 4, 8, ... (Brent): a cycle of period p entered by step m is
 *   seen by step 2 max(m, p), with k floats of memory and k compares per step.
 * - STOP_STALL (measured, not proved). The search is trapped around z: for stallSteps steps the
 *   round's progress towards the crossing, q = sign(h0) h(softmax u), has not beaten its minimum,
 *   and throughout: the label was kept (the hinge is not pulling), the distortion term dominated
 *   g's pull with a margin (dominance x half the range of dh/ds' <= c3: at s' = s the subgradient
 *   of c3 ||s' - s||_1 covers any such pull, so s' = s is a sharp local minimum of L, each
 *   normalized step that leaves it overshoots the kink and the next comes back), and the crossing
 *   stayed stallBand times farther than the stall's own wiggle in q (the circling itself cannot
 *   reach it). Why only measured: a search can drift out of a shallow trap. Location row 1021's
 *   c3 = 1 round (g's pull 0.98 of c3) sits at s for 230 steps, then escapes and crosses at step
 *   260; rows with g(s) within a few 1e-3 of 0.5 wiggle across or drift across (a k = 3 random row
 *   after 250 steps without progress). The guards keep both out: with dominance 1.1 and band 4
 *   (the defaults) the longest stall inside a round that went on to succeed is 1 step on the
 *   2,000 Location queries and 31 on 70,000 random rows (the property set and five independent
 *   sets), so stallSteps = 64 leaves a margin of 2. With dominance 1 and band 1 (an earlier
 *   default) it is 250 steps and 3 of the 70,000 rows differ from the literal search (two of them
 *   release no noise at all where the literal search finds some).
 *   scripts/phase1-early-stop.ts measures all of this; test/fixtures/phase1-hard-rows.json holds the
 *   rows that came closest. With dominance and band 0 the rule is the fast mode's plain stall test.
 * - STOP_DEEP_STALL (measured, not proved): the same test in a deeper trap, so it needs less
 *   evidence: the crossing deepBand = 8 times farther than the wiggle (deepDominance 1.1). The
 *   longest such stall inside a successful round is 1 step on Location and 10 on the random rows,
 *   so the window is 24 steps: it ends 1,183 of Location's 1,963 failing rounds, at step 25 (p50).
 * Fixed work (options[OPT_TICK_BUDGET] = B > 0): every row takes part in exactly B ticks (forward
 * and backward passes): rows that finish early are carried along as masked padding and rows still
 * searching at their B-th tick stop there (STOP_BUDGET) with the last success so far; a row that
 * does not step in a tick (padding, or restarting a round) does a decoy step on scratch. A batch
 * then costs the same whatever its rows, which closes the timing channel of design §7 (measured:
 * without the decoy, members' earlier finish showed as wall-time AUC 0.39 on an idle machine).
 */
export function phase1(
  desc: usize, nLayers: i32, batch: i32, k: i32, s: usize, logits: usize, options: usize,
  work: usize, noise: usize, report: usize,
): void {
  measure(desc, nLayers);
  layout(work, batch, k);
  const projected = <i32>ldd(options, OPT_METHOD) == METHOD_PROJECTED;
  const c2 = <f32>ldd(options, OPT_C2);
  const c3Start = ldd(options, OPT_C3_START), c3Factor = ldd(options, OPT_C3_FACTOR);
  const c3Limit = ldd(options, OPT_C3_MAX) * (1 + 1e-12);
  const beta = <f32>ldd(options, OPT_BETA);
  const maxSteps = <i32>ldd(options, OPT_MAX_STEPS);
  const tolerance = ldd(options, OPT_TOLERANCE);
  const margin = <f32>ldd(options, OPT_MARGIN);
  const rules = <i32>ldd(options, OPT_EARLY_STOP);
  const budget = <i32>ldd(options, OPT_TICK_BUDGET);
  opts = options;
  const hOut = wActs + (<usize>(batch * (sumOut - 1)) << 2); // last layer's logits, when all rows are forwarded

  // Sort every row, record g(s) and decide which rows search at all.
  for (let r = 0; r < batch; r++) {
    const order = row(wOrder, r, k), sorted = row(wSorted, r, k), z = row(wZ, r, k);
    sortOrder(k, row(s, r, k), order);
    for (let i = 0; i < k; i++) {
      const o = ldi(order, i);
      stf(sorted, i, ldf(row(s, r, k), o));
      stf(z, i, logits ? ldf(row(logits, r, k), o) : <f32>Math.log(<f64>max(ldf(sorted, i), TINY)));
    }
    memory.copy(row(wX, r, k), sorted, <usize>k << 2);
  }
  mlpForward(desc, nLayers, batch, wX, wActs);
  for (let r = 0; r < batch; r++) {
    const h0 = ldf(hOut, r);
    stf(wH0, r, h0);
    const g0 = sigmoid32(h0);
    std(report + (<usize>(r * PHASE1_REPORT) << 3), REP_G, <f64>g0);
    sti(wSteps, r, 0);
    sti(wTicks, r, 0);
    for (let t = 0; t < TIERS; t++) sti(wLongestStall, tierAt(t, r), 0);
    sti(wStopRule, r, STOP_NONE);
    sti(wStopStep, r, 0);
    std(wBestC3, r, 0);
    std(wC3, r, c3Start);
    // Padding rows (fixed work) step from u: keep it a valid point.
    memory.copy(row(wU, r, k), projected ? row(wSorted, r, k) : row(wZ, r, k), <usize>k << 2);
    if (abs(<f64>g0 - 0.5) <= tolerance) {
      sti(wState, r, DONE);
      std(report + (<usize>(r * PHASE1_REPORT) << 3), REP_STATUS, <f64>STATUS_AT_HALF);
    } else {
      startRound(r, k, projected);
      sti(wState, r, SEARCHING);
      std(report + (<usize>(r * PHASE1_REPORT) << 3), REP_STATUS, <f64>STATUS_FAILED);
    }
  }

  while (true) {
    // Gather the rows still searching (and, under a tick budget, finished rows as padding); their
    // forward input is softmax(u) (or p itself).
    let n = 0;
    for (let r = 0; r < batch; r++) {
      const st = ldi(wState, r);
      if (st == DONE && ldi(wTicks, r) >= budget) continue;
      if (st == RESTART) sti(wState, r, SEARCHING);
      sti(wActive, n, r);
      sti(wTicks, r, ldi(wTicks, r) + 1);
      if (projected) memory.copy(row(wX, n, k), row(wU, r, k), <usize>k << 2);
      else softmax32(k, row(wU, r, k), row(wX, n, k));
      n++;
    }
    if (n == 0) break;
    mlpForward(desc, nLayers, n, wX, wActs);
    const h = wActs + (<usize>(n * (sumOut - 1)) << 2);

    // Crossing test for each row's previous step; round transitions; early stops.
    for (let i = 0; i < n; i++) {
      const r = ldi(wActive, i);
      stf(wDLogits, i, 0);
      if (ldi(wState, r) == DONE) {
        // Padding. Under fixed work it tests a decoy state as a searching row would, so that a pass
        // costs the same for every row whatever its search did (design §7).
        if (budget > 0) decoySink += i32(labelKept(k, row(wU, r, k), row(wOrder, r, k))) + i32(sameBits(k, row(wU, r, k), row(wSaved, r, k)));
        continue;
      }
      const hr = ldf(h, i);
      stf(wDLogits, i, signf(hr));
      const taken = ldi(wInRound, r);
      const q = hr * signf(ldf(wH0, r)); // > 0 until g crosses 0.5
      if (taken == 0) {
        stf(wBestQ, r, q);
        for (let t = 0; t < TIERS; t++) stf(wStallHigh, tierAt(t, r), q);
        continue;
      }
      const kept = labelKept(k, row(wU, r, k), row(wOrder, r, k));
      const crossed = hr * ldf(wH0, r) <= 0;
      if (kept && crossed) {
        // Round succeeded: keep it, raise c3, restart from the undistorted point.
        const best = row(wBest, r, k), sorted = row(wSorted, r, k), x = row(wX, i, k);
        for (let j = 0; j < k; j++) stf(best, j, ldf(x, j) - ldf(sorted, j));
        std(wBestC3, r, ldd(wC3, r));
        for (let t = 0; t < TIERS; t++) sti(wLongestStall, tierAt(t, r), max(ldi(wLongestStall, tierAt(t, r)), ldi(wRoundStall, tierAt(t, r))));
        const next = ldd(wC3, r) * c3Factor;
        std(wC3, r, next);
        if (next > c3Limit) sti(wState, r, DONE);
        else {
          startRound(r, k, projected);
          sti(wState, r, RESTART);
        }
        stf(wDLogits, i, 0);
        continue;
      }
      const bestQ = min(q, ldf(wBestQ, r));
      // Progress, or the label hinge pulling (not the trap around s): every stall starts over.
      const progress = q < ldf(wBestQ, r) || !kept;
      stf(wBestQ, r, bestQ);
      for (let t = 0; t < TIERS; t++) {
        const at = tierAt(t, r);
        if (progress) { stf(wStallHigh, at, q); sti(wStall, at, 0); continue; }
        stf(wStallHigh, at, max(q, ldf(wStallHigh, at)));
        sti(wStall, at, ldi(wStall, at) + 1);
        // The longest stall the rule could have fired on (its margin, reported for successful rounds).
        if (clearOf(bestQ, ldf(wStallHigh, at), tierBand(t))) sti(wRoundStall, at, max(ldi(wStall, at), ldi(wRoundStall, at)));
      }
      let stop = STOP_NONE;
      if (taken >= maxSteps) stop = -1; // the literal end of a failed round
      else if ((rules & STOP_CYCLE) && sameBits(k, row(wU, r, k), row(wSaved, r, k))) stop = STOP_CYCLE;
      else stop = stalled(r, bestQ, rules);
      if (stop != STOP_NONE) {
        sti(wState, r, DONE);
        stf(wDLogits, i, 0);
        if (stop > 0) { sti(wStopRule, r, stop); sti(wStopStep, r, taken); }
        continue;
      }
      if ((taken & (taken - 1)) == 0) memory.copy(row(wSaved, r, k), row(wU, r, k), <usize>k << 2);
    }
    // A row still searching at its last budgeted pass could not test another step: it stops here.
    if (budget > 0) {
      for (let i = 0; i < n; i++) {
        const r = ldi(wActive, i);
        if (ldi(wState, r) != DONE && ldi(wTicks, r) >= budget) {
          sti(wState, r, DONE);
          stf(wDLogits, i, 0);
          sti(wStopRule, r, STOP_BUDGET);
          sti(wStopStep, r, ldi(wInRound, r));
        }
      }
    }

    // One backward pass gives sign(h) dh/ds' for every gathered row (zero for rows not stepping).
    mlpBackward(desc, nLayers, n, wX, wActs, wDLogits, wDx, 0, wScratch);

    for (let i = 0; i < n; i++) {
      const r = ldi(wActive, i);
      if (ldi(wState, r) != SEARCHING) {
        // A row not stepping this pass (padding, or restarting a round) takes a decoy step under
        // fixed work: the same arithmetic on scratch, so every pass costs every row the same.
        if (budget > 0) decoyStep(k, row(wU, r, k), row(wX, i, k), row(wDx, i, k), row(wSorted, r, k), c2, <f32>ldd(wC3, r), beta, margin, projected);
        continue;
      }
      const u = row(wU, r, k), x = row(wX, i, k), grad = row(wDx, i, k);
      const c3 = <f32>ldd(wC3, r);
      // A stall counts only steps where the distortion term dominates (see STOP_STALL, STOP_DEEP_STALL).
      const pull = spread(k, grad);
      for (let t = 0; t < TIERS; t++) {
        if (tierDominance(t) * pull > c3) { sti(wStall, tierAt(t, r), 0); stf(wStallHigh, tierAt(t, r), ldf(wBestQ, r)); }
      }
      if (!gradientStep(k, u, x, grad, row(wSorted, r, k), c2, c3, beta, margin, projected)) { sti(wState, r, DONE); continue; }
      sti(wSteps, r, ldi(wSteps, r) + 1);
      sti(wInRound, r, ldi(wInRound, r) + 1);
    }
  }

  // Map the best noise back to the original order and evaluate g on the re-sorted s + r (under a
  // tick budget on every row, so this pass costs the same whatever the rows).
  let n = 0;
  for (let r = 0; r < batch; r++) {
    const rep = report + (<usize>(r * PHASE1_REPORT) << 3);
    std(rep, REP_STEPS, <f64>ldi(wSteps, r));
    std(rep, REP_TICKS, <f64>ldi(wTicks, r));
    std(rep, REP_STOP_RULE, <f64>ldi(wStopRule, r));
    std(rep, REP_STOP_STEP, <f64>ldi(wStopStep, r));
    for (let t = 0; t < TIERS; t++) std(rep, REP_LONGEST_STALL + t, <f64>ldi(wLongestStall, tierAt(t, r)));
    const out = row(noise, r, k);
    memory.fill(out, 0, <usize>k << 2);
    const bestC3 = ldd(wBestC3, r);
    std(rep, REP_C3, bestC3);
    std(rep, REP_G_NOISY, ldd(rep, REP_G));
    if (bestC3 == 0 && budget == 0) continue;
    const order = row(wOrder, r, k), best = row(wBest, r, k), sr = row(wU, r, k);
    if (bestC3 != 0) {
      std(rep, REP_STATUS, <f64>STATUS_CONVERGED);
      for (let i = 0; i < k; i++) stf(out, ldi(order, i), ldf(best, i));
    }
    for (let j = 0; j < k; j++) stf(sr, j, ldf(row(s, r, k), j) + ldf(out, j));
    sortOrder(k, sr, row(wOrder, r, k));
    const x = row(wX, n, k);
    for (let i = 0; i < k; i++) stf(x, i, ldf(sr, ldi(row(wOrder, r, k), i)));
    sti(wActive, n, r);
    n++;
  }
  if (n > 0) {
    mlpForward(desc, nLayers, n, wX, wActs);
    const h = wActs + (<usize>(n * (sumOut - 1)) << 2);
    for (let i = 0; i < n; i++) {
      const r = ldi(wActive, i);
      if (ldd(wBestC3, r) == 0) continue; // padding
      std(report + (<usize>(r * PHASE1_REPORT) << 3), REP_G_NOISY, <f64>sigmoid32(ldf(h, i)));
    }
  }
}
