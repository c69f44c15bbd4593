// The per-query MemGuard reference (design §3, §4) on small hand-made defense classifiers: a linear h
// with a hand-computed trajectory, and a 2-layer MLP written inline.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import {
  type DefenseLogit, labelKept, mixingProbability, phase1, phase1Loss, phase1Projected, sigmoid, sortOrder, TINY,
} from '../../src/reference/memguard.js';
import { argmaxFirst } from '../../src/reference/simplex.js';
import { allClose, randomArray, throwsTyped } from '../helpers.js';

// ---- hand-made defense classifiers (float64 inside; inputs are the float32 vectors) -------------

/** h(x) = w . x + b. */
function linear(w: number[], b: number): DefenseLogit & { h(x: ArrayLike<number>): number } {
  const h = (x: ArrayLike<number>) => w.reduce((a, wi, i) => a + wi * x[i]!, b);
  return { k: w.length, h, logitAndGrad: (x, d) => { if (d) d.set(w); return h(x); } };
}

/**
 * h(x) = w2 . relu(W1 x + b1) + b2 with W1 k x H (row-major by input), Glorot-like random weights;
 * `scale` multiplies w2 (at 1, h varies by only ~0.5 over the simplex).
 */
function mlp(k: number, hidden: number, seed: number, shift = 0, scale = 1): DefenseLogit & { h(x: ArrayLike<number>): number } {
  const w1 = randomArray(k * hidden, seed, -1, 1).map((v) => v * Math.sqrt(6 / (k + hidden)));
  const b1 = randomArray(hidden, seed + 1, -0.1, 0.1);
  const w2 = randomArray(hidden, seed + 2, -1, 1).map((v) => scale * v * Math.sqrt(6 / (hidden + 1)));
  let b2 = shift;
  const pre = (x: ArrayLike<number>) => {
    const a = new Float64Array(hidden);
    for (let j = 0; j < hidden; j++) { let s = b1[j]!; for (let i = 0; i < k; i++) s += x[i]! * w1[i * hidden + j]!; a[j] = s; }
    return a;
  };
  const h = (x: ArrayLike<number>) => pre(x).reduce((acc, a, j) => acc + w2[j]! * Math.max(a, 0), b2);
  return {
    k, h,
    logitAndGrad(x, d) {
      const a = pre(x);
      if (d) {
        d.fill(0);
        for (let j = 0; j < hidden; j++) if (a[j]! > 0) for (let i = 0; i < k; i++) d[i] = d[i]! + w2[j]! * w1[i * hidden + j]!;
      }
      return a.reduce((acc, v, j) => acc + w2[j]! * Math.max(v, 0), b2);
    },
  };
}

/** Counts gradient evaluations (one per step in phase1). */
function counting(g: DefenseLogit): DefenseLogit & { gradCalls: number } {
  const c = { k: g.k, gradCalls: 0, logitAndGrad: (x: Float32Array, d: Float32Array | null) => { if (d) c.gradCalls++; return g.logitAndGrad(x, d); } };
  return c;
}

function softmax64(u: ArrayLike<number>): Float64Array {
  const m = Math.max(...Array.from(u));
  const e = Float64Array.from(u, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** L(u) in float64, written from design §3 independently of the reference. */
function loss64(u: ArrayLike<number>, sSorted: ArrayLike<number>, h: (x: ArrayLike<number>) => number, c2: number, c3: number): number {
  const k = u.length, sp = softmax64(u);
  let top = -Infinity;
  for (let j = 0; j < k - 1; j++) top = Math.max(top, u[j]!);
  let l3 = 0;
  for (let j = 0; j < k; j++) l3 += Math.abs(sp[j]! - sSorted[j]!);
  return Math.abs(h(sp)) + c2 * Math.max(top - u[k - 1]!, 0) + c3 * l3;
}

function probs(k: number, seed: number, temperature = 3): Float32Array {
  return Float32Array.from(softmax64(randomArray(k, seed, -temperature, temperature)));
}

function sorted(s: Float32Array): Float32Array {
  const order = sortOrder(s);
  return Float32Array.from(order, (i) => s[i]!);
}

const t = suite('reference memguard');

t('sortOrder puts the first original maximum last; labelKept breaks ties by original index', () => {
  const order = sortOrder([0.4, 0.1, 0.4, 0.1]);
  assert.equal(Array.from(order), [3, 1, 2, 0]);
  // Sorted positions -> original indices [3, 1, 2, 0]; the label is original 0 at position 3.
  assert.ok(labelKept(new Float32Array([0, 0, 1, 1]), order), 'tie with a later original index keeps the label');
  assert.not.ok(labelKept(new Float32Array([0, 0, 1.5, 1]), order));
  const order2 = sortOrder([0.1, 0.4, 0.1, 0.4]); // first max is original 1
  assert.equal(Array.from(order2), [2, 0, 3, 1]);
  assert.not.ok(labelKept(new Float32Array([0, 0, 1, 1]), new Int32Array([2, 0, 1, 3])), 'tie with an earlier original index loses it');
  assert.not.ok(labelKept(new Float32Array([0, NaN, 1]), new Int32Array([0, 1, 2])));
});

t('the analytic gradient of L matches central finite differences (MLP, hinge on and off)', () => {
  for (const k of [2, 3, 5, 10, 30]) {
    const g = mlp(k, 12, 100 + k);
    const s = probs(k, k);
    const sS = sorted(s);
    for (let trial = 0; trial < 6; trial++) {
      const u = Float32Array.from(sS, (v, j) => Math.log(v) + randomArray(1, 1000 * k + 10 * trial + j, -0.5, 0.5)[0]!);
      if (trial % 2 === 1) u[k - 1] = u[k - 1]! - 3; // hinge active: another entry above the label
      for (const c3 of [0.1, 10]) {
        const grad = new Float32Array(k);
        const L = phase1Loss(u, sS, g, 10, c3, grad);
        assert.ok(Math.abs(L - loss64(u, sS, g.h, 10, c3)) <= 1e-4 * (1 + Math.abs(L)), `loss k=${k}`);
        const fd = new Float64Array(k), eps = 1e-5;
        for (let j = 0; j < k; j++) {
          const up = Array.from(u), dn = Array.from(u);
          up[j] = up[j]! + eps; dn[j] = dn[j]! - eps;
          fd[j] = (loss64(up, sS, g.h, 10, c3) - loss64(dn, sS, g.h, 10, c3)) / (2 * eps);
        }
        const scale = Math.max(1, ...Array.from(fd, Math.abs));
        allClose(grad, fd, 0, 1e-4 * scale, `grad k=${k} trial=${trial} c3=${c3}`);
      }
    }
  }
});

t('hand-computed run: linear h, k = 2 (3 steps at c3 = 0.1 and 1, c3 = 10 oscillates for 299)', () => {
  // Sorted input x = [0.2, 0.8], h = 4 x_1 - 3 = 0.2. For k = 2 every normalized step moves the logit
  // gap by 0.1 sqrt 2; crossing needs x_1 <= 0.75, i.e. gap <= log 3: ceil((log 4 - log 3) / 0.1414) = 3.
  // With c3 = 10 the L1 term flips the direction after every step away from s: no crossing.
  const g = counting(linear([0, 4], -3));
  const r = phase1(new Float32Array([0.8, 0.2]), g);
  assert.is(r.status, 'converged');
  assert.is(r.c3, 1);
  assert.is(r.steps, 3 + 3 + 299);
  assert.is(g.gradCalls, r.steps);
  const gap = Math.log(4) - 3 * 0.1 * Math.SQRT2;
  const top = 1 / (1 + Math.exp(-gap));
  allClose(r.noise, [top - 0.8, 0.8 - top], 0, 2e-6, 'noise (original order)');
});

t('all seven c3 rounds succeed when one step crosses: steps 7, c3 = 1e5', () => {
  const r = phase1(new Float32Array([0.2, 0.8]), linear([0, 4], -3.19));
  assert.is(r.status, 'converged');
  assert.is(r.steps, 7);
  assert.is(r.c3, 1e5);
  assert.ok(r.noise[1]! < 0 && Math.abs(r.noise[0]! + r.noise[1]!) < 1e-7);
});

t('at-half, zero-gradient and unreachable cases return zero noise', () => {
  const s = new Float32Array([0.1, 0.6, 0.3]);
  const half = phase1(s, linear([0, 0, 0], 0));
  assert.equal(half, { noise: new Float32Array(3), steps: 0, c3: 0, status: 'at-half' });
  assert.is(phase1(s, linear([0, 0, 0], 3.6e-5)).status, 'at-half', '|g - 0.5| = 9e-6 is within tolerance');
  // k = 1: the softmax Jacobian is 0, so the gradient is exactly zero: the round ends without a step.
  assert.equal(phase1(new Float32Array([1]), linear([3], 2)), { noise: new Float32Array(1), steps: 0, c3: 0, status: 'failed' });
  // A constant h: only the L1 term's sign of float32 rounding (softmax(log s) != s) moves u; no crossing.
  const flat = phase1(s, linear([0, 0, 0], 5));
  assert.equal({ ...flat, steps: 0 }, { noise: new Float32Array(3), steps: 0, c3: 0, status: 'failed' });
  const far = phase1(s, linear([0, 0, 1], 5)); // h >= 5 on the whole simplex
  assert.equal(far, { noise: new Float32Array(3), steps: 299, c3: 0, status: 'failed' });
  const labelOnly = phase1(new Float32Array([0.45, 0.55]), linear([0, 10], -0.5)); // crossing needs x_top < 0.05
  assert.is(labelOnly.status, 'failed');
  assert.equal(Array.from(labelOnly.noise), [0, 0]);
});

t('random MLP defense classifiers: label kept, simplex output, g crosses, steps counted', () => {
  let converged = 0, total = 0;
  for (const k of [3, 5, 10, 30]) {
    for (let q = 0; q < 12; q++) {
      const s = probs(k, 50 * k + q, 1 + (q % 4));
      const base = mlp(k, 16, 7 * k + q, 0, 10);
      // Put h(s) at +-0.5 (g = 0.62 or 0.38): both crossing directions.
      const shift = (q % 2 ? 0.5 : -0.5) - base.h(sorted(s));
      const g = counting(mlp(k, 16, 7 * k + q, shift, 10));
      const r = phase1(s, g);
      total++;
      assert.is(g.gradCalls, r.steps, 'one gradient per step');
      assert.ok(r.steps <= 7 * 299);
      const released = Float64Array.from(s, (v, j) => v + r.noise[j]!);
      assert.ok(released.every((v) => v >= -1e-7), 'non-negative');
      assert.ok(Math.abs(released.reduce((a, b) => a + b, 0) - 1) <= 1e-5, 'sums to 1');
      assert.is(argmaxFirst(k, released), argmaxFirst(k, s), `k=${k} q=${q}: label changed`);
      if (r.status === 'converged') {
        converged++;
        assert.ok([0.1, 1, 10, 100, 1e3, 1e4, 1e5].includes(r.c3));
        // Crossing is judged on the vector in the query's sorted order (no re-sort, design §3).
        const order = sortOrder(s);
        const h1 = g.logitAndGrad(Float32Array.from(order, (i) => released[i]!), null);
        const h0 = g.logitAndGrad(sorted(s), null);
        assert.ok(h1 * h0 <= 1e-6, `k=${k} q=${q}: g did not cross (h0 ${h0}, h1 ${h1})`);
      } else {
        assert.is(r.c3, 0);
        assert.ok(r.noise.every((v) => v === 0));
      }
    }
  }
  assert.ok(converged >= total / 2, `only ${converged}/${total} converged`);
});

t('logits shifted by a constant give the same noise as log(s)', () => {
  const s = probs(6, 3);
  const g = mlp(6, 8, 9, 0);
  const shifted = mlp(6, 8, 9, 1 - g.h(sorted(s)));
  const a = phase1(s, shifted);
  const b = phase1(s, shifted, {}, Float32Array.from(s, (v) => Math.log(v) + 2.5));
  assert.is(b.status, a.status);
  assert.is(b.c3, a.c3);
  allClose(b.noise, a.noise, 0, 1e-4, 'noise');
});

t('zero entries are floored at TINY and stay zero-ish', () => {
  const s = new Float32Array([0, 0.3, 0.7]);
  const r = phase1(s, linear([0, 0, 4], -2.6));
  assert.is(r.status, 'converged');
  assert.ok(Math.abs(r.noise[0]!) < 1e-20, `a zero entry moved by ${r.noise[0]}`);
  assert.is(TINY, 1e-30);
});

t('phase1Projected: hand-computed k = 2 run and random MLPs', () => {
  // p-space gradient [0, 4] centred -> (-1, 1)/sqrt 2: one step of 0.0707 crosses from 0.8 to 0.729.
  const r = phase1Projected(new Float32Array([0.2, 0.8]), linear([0, 4], -3));
  assert.is(r.status, 'converged');
  assert.is(r.steps, 7);
  allClose(r.noise, [0.1 / Math.SQRT2, -0.1 / Math.SQRT2], 0, 1e-6, 'noise');
  let converged = 0;
  for (const k of [3, 10, 30]) {
    for (let q = 0; q < 8; q++) {
      const s = probs(k, 90 * k + q, 2);
      const base = mlp(k, 16, 3 * k + q, 0, 10);
      const g = counting(mlp(k, 16, 3 * k + q, (q % 2 ? 0.5 : -0.5) - base.h(sorted(s)), 10));
      const p = phase1Projected(s, g, { beta: 0.02 });
      const released = Float64Array.from(s, (v, j) => v + p.noise[j]!);
      assert.ok(released.every((v) => v >= -1e-7));
      assert.ok(Math.abs(released.reduce((a, b) => a + b, 0) - 1) <= 1e-5);
      assert.is(argmaxFirst(k, released), argmaxFirst(k, s));
      assert.is(g.gradCalls, p.steps);
      if (p.status === 'converged') {
        converged++;
        const h1 = g.logitAndGrad(Float32Array.from(sortOrder(s), (i) => released[i]!), null);
        assert.ok(h1 * g.logitAndGrad(sorted(s), null) <= 1e-6);
      }
    }
  }
  assert.ok(converged >= 12, `only ${converged}/24 converged`);
});

t('phase1 validates its inputs and options', () => {
  const g = linear([0, 1, 0], 1);
  throwsTyped(() => phase1(new Float32Array(2), g), MemGuardInputError, /length 2.*takes 3/);
  throwsTyped(() => phase1(new Float32Array([0.5, NaN, 0.5]), g), MemGuardInputError, /s\[1\] = NaN/);
  throwsTyped(() => phase1(new Float32Array([0.5, -0.1, 0.6]), g), MemGuardInputError, /s\[1\]/);
  throwsTyped(() => phase1(new Float32Array([0.2, 0.3, 0.5]), g, { beta: 0 }), MemGuardInputError, /beta/);
  throwsTyped(() => phase1(new Float32Array([0.2, 0.3, 0.5]), g, { maxSteps: 1.5 }), MemGuardInputError, /maxSteps/);
  throwsTyped(() => phase1(new Float32Array([0.2, 0.3, 0.5]), g, {}, new Float32Array(2)), MemGuardInputError, /logits/);
  throwsTyped(() => phase1(new Float32Array([0.2, 0.3, 0.5]), g, {}, new Float32Array([0, Infinity, 0])), MemGuardInputError, /logits\[1\]/);
});

t('sigmoid is float32 and stable at the extremes', () => {
  assert.is(sigmoid(0), 0.5);
  assert.is(sigmoid(1000), 1);
  assert.is(sigmoid(-1000), 0);
  assert.ok(Math.abs(sigmoid(2) - 1 / (1 + Math.exp(-2))) <= 1.2e-7);
  assert.is(sigmoid(2), Math.fround(sigmoid(2)));
});

t('mixingProbability: paper and exact rules on hand-computed cases', () => {
  // g(s) = 0.9, g(s+r) = 0.3, ||r||_1 = 0.4.
  assert.is(mixingProbability(0.9, 0.3, 0.4, 0.1, 'paper'), 0.25);
  assert.is(mixingProbability(0.9, 0.3, 0.4, 1, 'paper'), 1);
  assert.ok(Math.abs(mixingProbability(0.9, 0.3, 0.4, 1, 'exact') - 2 / 3) < 1e-15, 'E g = 0.5 exactly');
  assert.is(mixingProbability(0.9, 0.3, 0.4, 0.1, 'exact'), 0.25, 'the budget binds');
  assert.is(mixingProbability(0.9, 0.6, 0.4, 1, 'exact'), 1, 'no overshoot: full noise');
  assert.is(mixingProbability(0.9, 0.3, 0.4, 0.1), 0.25, "'paper' is the default");
  // Noise that does not help: p = 0.
  assert.is(mixingProbability(0.6, 0.3, 0.4, 1), 0);
  assert.is(mixingProbability(0.5, 0.7, 0.4, 1), 0);
  assert.is(mixingProbability(0.7, 0.3, 0.4, 1), 0, 'equal distance from 0.5 does not help');
});

t('mixingProbability: epsilon 0 and Infinity, r = 0, and p ||r||_1 <= epsilon always', () => {
  assert.is(mixingProbability(0.9, 0.5, 0.4, 0), 0);
  assert.is(mixingProbability(0.9, 0.5, 0, 1), 0);
  assert.is(mixingProbability(0.9, 0.5, 0.4, Infinity, 'paper'), 1);
  assert.is(mixingProbability(0.9, 0.2, 0.4, Infinity, 'exact'), 0.4 / 0.7, 'exact mode aims at 0.5 even without a budget');
  const u = randomArray(3000, 5, 0, 1);
  for (let i = 0; i < 1000; i++) {
    const l1 = 1e-3 + 2 * u[3 * i]!, eps = u[3 * i + 1]! * 1.5, gS = 0.5 + u[3 * i + 2]! / 2;
    for (const mode of ['paper', 'exact'] as const) {
      const p = mixingProbability(gS, 0.5, l1, eps, mode);
      assert.ok(p >= 0 && p <= 1);
      assert.ok(p * l1 <= eps, `p ${p} * ${l1} > ${eps}`);
    }
  }
  assert.ok(mixingProbability(0.9, 0.5, 0.3, 0.1) * 0.3 <= 0.1);
});

t('mixingProbability validates its arguments', () => {
  throwsTyped(() => mixingProbability(1.5, 0.5, 0.1, 1), MemGuardInputError, /g\(s\)/);
  throwsTyped(() => mixingProbability(0.5, NaN, 0.1, 1), MemGuardInputError, /g\(s \+ r\)/);
  throwsTyped(() => mixingProbability(0.9, 0.5, -1, 1), MemGuardInputError, /\|\|r\|\|_1/);
  throwsTyped(() => mixingProbability(0.9, 0.5, 0.1, -1), MemGuardInputError, /epsilon/);
  throwsTyped(() => mixingProbability(0.9, 0.5, 0.1, 1, 'other' as 'paper'), MemGuardInputError, /mode/);
});

t.run();
