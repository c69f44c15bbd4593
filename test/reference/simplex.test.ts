// Simplex projections: the JS reference against independent float64 solvers (bisection, Dykstra)
// and an exact optimality certificate (the support function of the constraint set), then the
// AssemblyScript kernels against the JS reference, bit for bit, on both builds.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  argmaxFirst, isValidRelease, RELEASE_MARGIN, REPAIR_KEPT, REPAIR_ORIGINAL, REPAIR_PROJECTED, repairRelease,
  simplexProject, simplexProjectLabelMax,
} from '../../src/reference/simplex.js';
import { loadEngine, simdSupported } from '../../src/wasm/engine.js';
import { allClose, randomArray } from '../helpers.js';

// ---- independent float64 solvers ----------------------------------------------------------------

/** Projection onto {sum = z, y >= 0} by bisection on the threshold (no sorting). */
function bisectSimplex(x: ArrayLike<number>, z = 1): Float64Array {
  let lo = Math.min(...Array.from(x)) - z, hi = Math.max(...Array.from(x));
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    let s = 0;
    for (let j = 0; j < x.length; j++) s += Math.max(x[j]! - mid, 0);
    if (s > z) lo = mid; else hi = mid;
  }
  const tau = (lo + hi) / 2;
  return Float64Array.from(x, (v) => Math.max(v - tau, 0));
}

/** Dykstra's alternating projections onto the simplex and each halfspace y_l - y_j >= m (j != l). */
function dykstra(x: ArrayLike<number>, label: number, margin: number, cycles: number): Float64Array {
  const k = x.length;
  const sets = [-1, ...Array.from({ length: k }, (_, j) => j).filter((j) => j !== label)]; // -1 = simplex
  const inc = sets.map(() => new Float64Array(k));
  let y = Float64Array.from(x);
  for (let c = 0; c < cycles; c++) {
    sets.forEach((j, s) => {
      const p = inc[s]!;
      const w = Float64Array.from(y, (v, i) => v + p[i]!);
      let next: Float64Array;
      if (j < 0) next = bisectSimplex(w);
      else {
        next = w.slice();
        const gap = w[label]! - w[j]!;
        if (gap < margin) { next[label] = w[label]! + (margin - gap) / 2; next[j] = w[j]! - (margin - gap) / 2; }
      }
      for (let i = 0; i < k; i++) p[i] = w[i]! - next[i]!;
      y = next;
    });
  }
  return y;
}

/**
 * max over C = {simplex, y_l >= y_j + m} of <c, q>: m c_l + (1 - m) max over sets S containing l of
 * mean(c_S) (the vertices of (1-m)Δ ∩ {y_l >= y_j} are the uniform vectors on such S).
 */
function supportFunction(c: ArrayLike<number>, label: number, margin: number): number {
  const others = Array.from(c).filter((_, j) => j !== label).sort((a, b) => b - a);
  let sum = c[label]!, best = sum;
  others.forEach((v, i) => { sum += v; best = Math.max(best, sum / (i + 2)); });
  return margin * c[label]! + (1 - margin) * best;
}

/** Max violation of the constraints of C by y. */
function infeasibility(y: ArrayLike<number>, label: number, margin: number): number {
  let worst = 0, sum = 0;
  for (let j = 0; j < y.length; j++) {
    sum += y[j]!;
    worst = Math.max(worst, -y[j]!);
    if (j !== label) worst = Math.max(worst, margin - (y[label]! - y[j]!));
  }
  return Math.max(worst, Math.abs(sum - 1));
}

// Test vectors of several kinds: far from the simplex, near it, large, with ties, with zeros.
function cases(k: number, seed: number): Float32Array[] {
  const uniform = randomArray(k, seed, -1, 1);
  const near = randomArray(k, seed + 1, 0, 2 / k);
  for (let j = 0; j < k; j++) near[j] = near[j]! + (randomArray(1, seed + 100 + j, -0.01, 0.01)[0]!);
  const large = randomArray(k, seed + 2, -10, 10);
  const ties = randomArray(k, seed + 3, 0, 1).map((v) => Math.round(v * 4) / 4);
  const zeros = randomArray(k, seed + 4, 0, 1).map((v, j) => (j % 3 === 0 ? 0 : v));
  return [uniform, near, large, ties, zeros];
}

const KS = [1, 2, 3, 4, 5, 7, 8, 10, 16, 17, 30, 31, 33, 50, 64, 100];

const t = suite('reference simplex');

t('simplexProject equals the bisection solution and the sum is 1', () => {
  for (const k of KS.filter((k) => k >= 1)) {
    cases(k, 10 * k).forEach((x, c) => {
      const y = simplexProject(k, x.slice(), 0);
      allClose(y, bisectSimplex(x), 0, 2e-7, `k=${k} case ${c}`);
      const sum = y.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) <= 1e-6, `k=${k} case ${c}: sum ${sum}`);
      assert.ok(y.every((v) => v >= 0));
    });
  }
});

t('simplexProject leaves simplex points unchanged and honours the offset', () => {
  const x = new Float32Array([9, 0.25, 0.5, 0.25, 9]);
  simplexProject(3, x, 1);
  assert.equal(Array.from(x), [9, 0.25, 0.5, 0.25, 9]);
  assert.equal(Array.from(simplexProject(3, new Float32Array([0.5, 0.5, 0.5]))), [1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  assert.equal(Array.from(simplexProject(1, new Float32Array([-7]))), [1]);
});

t('label-max projection is exact: support-function certificate on random vectors, k in 1..100', () => {
  for (const k of KS) {
    for (const margin of [0, RELEASE_MARGIN, 0.01, 0.3]) {
      cases(k, 7 * k + 1).forEach((x, c) => {
        const label = (c * 7 + k) % k;
        const y = simplexProjectLabelMax(k, x.slice(), 0, label, margin);
        const what = `k=${k} label=${label} margin=${margin} case ${c}`;
        assert.ok(infeasibility(y, label, margin) <= 1e-6, `${what}: infeasible by ${infeasibility(y, label, margin)}`);
        // y = Proj_C(x) iff <x - y, q - y> <= 0 for all q in C, i.e. support(x - y) <= <x - y, y>.
        const cvec = Array.from(x, (v, j) => v - y[j]!);
        const inner = cvec.reduce((a, v, j) => a + v * y[j]!, 0);
        const scale = 1 + Math.max(...cvec.map(Math.abs));
        assert.ok(supportFunction(cvec, label, margin) - inner <= 2e-6 * scale, `${what}: not optimal`);
      });
    }
  }
});

t('label-max projection agrees with a generic Dykstra solver', () => {
  for (const k of [2, 3, 5, 8, 13]) {
    for (const margin of [0, 0.02, 0.3]) {
      cases(k, 31 * k).forEach((x, c) => {
        const label = (c + k) % k;
        const y = simplexProjectLabelMax(k, x.slice(), 0, label, margin);
        allClose(y, dykstra(x, label, margin, 4000), 0, 2e-5, `k=${k} label=${label} margin=${margin} case ${c}`);
      });
    }
  }
});

t('with margin 0 it is the plain composition Proj_simplex(Proj_cone(x)) and keeps the label on top', () => {
  const x = new Float32Array([0.6, 0.1, 0.3]);
  assert.equal(Array.from(simplexProjectLabelMax(3, x, 0, 1, 0)), [0.35, 0.35, 0.3].map(Math.fround));
  for (const k of [4, 9, 30]) {
    const v = randomArray(k, k, -1, 1);
    const y = simplexProjectLabelMax(k, v.slice(), 0, k >> 1, 0);
    for (let j = 0; j < k; j++) assert.ok(y[k >> 1]! >= y[j]!);
  }
});

t('a positive margin makes the float32 argmax strict even against an earlier tied entry', () => {
  const x = new Float32Array([0.4, 0.1, 0.4, 0.1]);
  const y = simplexProjectLabelMax(4, x, 0, 2, RELEASE_MARGIN);
  assert.is(argmaxFirst(4, y), 2);
  assert.ok(y[2]! - y[0]! >= RELEASE_MARGIN * 0.99);
});

t('isValidRelease and argmaxFirst', () => {
  assert.is(argmaxFirst(4, [0.1, 0.4, 0.4, 0.1]), 1);
  assert.is(argmaxFirst(3, [NaN, 0.2, 0.8]), 2);
  assert.is(argmaxFirst(0, []), -1);
  assert.ok(isValidRelease(3, [0.2, 0.5, 0.3], 0, 1));
  assert.not.ok(isValidRelease(3, [0.2, 0.5, 0.3], 0, 2), 'wrong argmax');
  assert.not.ok(isValidRelease(3, [0.5, 0.5, 0], 0, 1), 'tie resolved to the first index');
  assert.not.ok(isValidRelease(3, [-0.1, 0.7, 0.4], 0, 1), 'negative');
  assert.not.ok(isValidRelease(3, [0.2, 0.5, 0.31], 0, 1), 'sum');
  assert.not.ok(isValidRelease(3, [0.2, NaN, 0.3], 0, 1), 'NaN');
  assert.ok(isValidRelease(2, [0.5000005, 0.5], 0, 0), 'sum within 1e-6');
});

t('repairRelease: keep, project, fall back', () => {
  const s = new Float32Array([0.2, 0.5, 0.3]);
  const out = new Float32Array(3);
  const valid = new Float32Array([0.1, 0.6, 0.3]);
  assert.is(repairRelease(3, s, 0, valid, 0, out, 0), REPAIR_KEPT);
  assert.equal(Array.from(out), Array.from(valid));
  for (const bad of [[0.5, 0.5, 0.0], [-0.01, 0.61, 0.4], [0.2, 0.5, 0.31], [0.6, 0.3, 0.1], [5, 7, -3]]) {
    const cand = new Float32Array(bad);
    assert.is(repairRelease(3, s, 0, cand, 0, out, 0), REPAIR_PROJECTED, `candidate ${bad}`);
    assert.ok(isValidRelease(3, out, 0, 1), `repaired ${bad}: ${Array.from(out)}`);
  }
  for (const bad of [[NaN, 0.5, 0.5], [Infinity, 0, 0]]) {
    assert.is(repairRelease(3, s, 0, new Float32Array(bad), 0, out, 0), REPAIR_ORIGINAL);
    assert.equal(Array.from(out), Array.from(s));
  }
  // In place over the candidate, with offsets.
  const buf = new Float32Array([9, 0.6, 0.3, 0.1, 9]);
  assert.is(repairRelease(3, s, 0, buf, 1, buf, 1), REPAIR_PROJECTED);
  assert.ok(isValidRelease(3, buf, 1, 1));
  assert.is(buf[0], 9); assert.is(buf[4], 9);
});

t.run();

// ---- the AssemblyScript kernels against the reference ------------------------------------------

const builds: Array<'simd' | 'scalar'> = simdSupported() ? ['simd', 'scalar'] : ['scalar'];

for (const build of builds) {
  const w = suite(`wasm simplex (${build})`);
  const engine = loadEngine({ build });
  const abi = engine.abi;

  const RAGGED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 30, 31, 32, 33, 63, 64, 65, 100, 129];

  w('simplexProject matches the reference bit for bit', () => {
    for (const k of RAGGED) {
      cases(k, 3 * k + 5).forEach((x, c) => {
        engine.withScratch([k, k], (px, scratch) => {
          engine.writeF32(px, x);
          abi.simplexProject(k, px, scratch);
          assert.equal(Array.from(engine.readF32(px, k)), Array.from(simplexProject(k, x.slice())), `k=${k} case ${c}`);
        });
      });
    }
  });

  w('simplexProjectLabelMax matches the reference bit for bit', () => {
    for (const k of RAGGED) {
      for (const margin of [0, RELEASE_MARGIN, 0.01]) {
        cases(k, 5 * k + 3).forEach((x, c) => {
          const label = (c * 3 + k) % k;
          engine.withScratch([k, k], (px, scratch) => {
            engine.writeF32(px, x);
            abi.simplexProjectLabelMax(k, px, label, margin, scratch);
            const want = simplexProjectLabelMax(k, x.slice(), 0, label, margin);
            assert.equal(Array.from(engine.readF32(px, k)), Array.from(want), `k=${k} label=${label} margin=${margin} case ${c}`);
          });
        });
      }
    }
  });

  w('argmaxFirst, isValidRelease and repairRelease match the reference', () => {
    for (const k of RAGGED) {
      const s = simplexProject(k, randomArray(k, k + 77, 0, 1));
      const label = argmaxFirst(k, s);
      const candidates = [
        ...cases(k, 11 * k),
        s.map((v, j) => v + (j === label ? -0.05 : 0.05 / Math.max(k - 1, 1))), // may lose the label
        s.slice(), // valid as is
        s.map((v, j) => (j === 0 ? NaN : v)),
      ];
      candidates.forEach((cand, c) => {
        engine.withScratch([k, k, k, k], (ps, pc, scratch, pout) => {
          engine.writeF32(ps, s);
          engine.writeF32(pc, cand);
          assert.is(abi.argmaxFirst(k, pc), argmaxFirst(k, cand), `argmax k=${k} case ${c}`);
          assert.is(abi.isValidRelease(k, pc, label), isValidRelease(k, cand, 0, label) ? 1 : 0, `valid k=${k} case ${c}`);
          const out = new Float32Array(k);
          const status = repairRelease(k, s, 0, cand, 0, out, 0);
          assert.is(abi.repairRelease(k, ps, pc, scratch, pout), status, `status k=${k} case ${c}`);
          assert.equal(Array.from(engine.readF32(pout, k)), Array.from(out), `repaired k=${k} case ${c}`);
          assert.ok(isValidRelease(k, out, 0, label), `k=${k} case ${c}: released vector invalid`);
          // In place: out aliases candidate.
          assert.is(abi.repairRelease(k, ps, pc, scratch, pc), status);
          assert.equal(Array.from(engine.readF32(pc, k)), Array.from(out));
        });
      });
    }
  });

  w.run();
}
