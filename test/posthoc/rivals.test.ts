// Each post-hoc rival does what its documentation says, checked against values computed here
// (not by the code under test), and rejects bad input with a typed error naming the problem.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import { MemGuard } from '../../src/memguard/memguard.js';
import { Mlp } from '../../src/nn/mlp.js';
import type { PostHocDefense } from '../../src/posthoc/defense.js';
import { HampOutput } from '../../src/posthoc/hampOutput.js';
import { LabelOnly } from '../../src/posthoc/labelOnly.js';
import { memGuardDefense } from '../../src/posthoc/memguardDefense.js';
import { Rounding } from '../../src/posthoc/rounding.js';
import { TemperatureScaling } from '../../src/posthoc/temperature.js';
import { TopK } from '../../src/posthoc/topK.js';
import { UniformMixing } from '../../src/posthoc/uniform.js';
import { Random } from '../../src/random.js';
import { throwsTyped } from '../helpers.js';
import { firstArgmax } from '../memguard/invariants.js';
import { adversarialVectors, randomLogits } from './vectors.js';

const rivals = suite('post-hoc rivals: each rule');

rivals('temperature: the mean distortion over the call equals epsilon; the release is softmax(log s / T)', () => {
  const k = 30, s = adversarialVectors('peaked', 300, k, new Random(7));
  for (const epsilon of [0.05, 0.3, 1]) {
    const res = new TemperatureScaling({ k, epsilon }).protect(s);
    const mean = res.distortion.reduce((a, b) => a + b, 0) / 300;
    assert.ok(Math.abs(mean - epsilon) < 1e-4, `epsilon ${epsilon}: mean ${mean}`);
    assert.ok(res.temperature > 1, `T = ${res.temperature}`);
    // The release, recomputed here from the temperature the call reports.
    for (let r = 0; r < 300; r += 37) {
      const w = Array.from(s.subarray(r * k, (r + 1) * k), (p) => p ** (1 / res.temperature));
      const total = w.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k; j++) assert.ok(Math.abs(res.released[r * k + j]! - w[j]! / total) < 1e-6, `row ${r} class ${j}`);
    }
  }
  assert.is(new TemperatureScaling({ k, epsilon: 0 }).protect(s).distortion.every((d) => d === 0), true, 'epsilon 0 releases s');
  const z = randomLogits(20, k, new Random(12));
  const atZero = new TemperatureScaling({ k, epsilon: 0 }).protect(z, { input: 'logits' });
  assert.equal(Array.from(atZero.released), Array.from(atZero.scores), 'epsilon 0 on logits releases softmax(z) as computed for s');
});

rivals('temperature: a fixed T on logits releases softmax(z / T); an unreachable budget stops at MAX_TEMPERATURE', () => {
  const k = 5, z = randomLogits(40, k, new Random(8));
  const res = new TemperatureScaling({ k, temperature: 2.5 }).protect(z, { input: 'logits' });
  assert.is(res.temperature, 2.5);
  for (let r = 0; r < 40; r++) {
    const row = Array.from(z.subarray(r * k, (r + 1) * k));
    const m = Math.max(...row), e = row.map((v) => Math.exp((v - m) / 2.5)), total = e.reduce((a, b) => a + b, 0);
    for (let j = 0; j < k; j++) assert.ok(Math.abs(res.released[r * k + j]! - e[j]! / total) < 1e-6, `row ${r} class ${j}`);
  }
  const far = new TemperatureScaling({ k: 3, epsilon: 1.9 }).protect([[0.5, 0.3, 0.2]]);
  assert.is(far.temperature, 1e6);
  const toUniform = Math.abs(0.5 - 1 / 3) + Math.abs(0.3 - 1 / 3) + Math.abs(0.2 - 1 / 3);
  assert.ok(Math.abs(far.distortion[0]! - toUniform) < 1e-4, `${far.distortion[0]}: nearly u, the farthest this rule goes`);
});

rivals('rounding: multiples of 10^-d summing to 1, within 10^-d of s, the label strictly on top', () => {
  const k = 10, rng = new Random(9);
  const s = new Float32Array([...adversarialVectors('peaked', 200, k, rng), ...adversarialVectors('flat', 200, k, rng), ...adversarialVectors('tied', 200, k, rng)]);
  for (const decimals of [1, 2, 3]) {
    const unit = 10 ** decimals;
    const res = new Rounding({ k, decimals }).protect(s);
    let lifted = 0;
    for (let r = 0; r < 600; r++) {
      const o = r * k, label = firstArgmax(s, o, k);
      let units = 0, far = false;
      for (let j = 0; j < k; j++) {
        const v = res.released[o + j]! * unit;
        assert.ok(Math.abs(v - Math.round(v)) < 1e-3, `d=${decimals} row ${r} class ${j}: ${res.released[o + j]} is not a multiple of 10^-${decimals}`);
        units += Math.round(v);
        if (j !== label) assert.ok(res.released[o + j]! < res.released[o + label]!, `d=${decimals} row ${r}: class ${j} reaches the label`);
        far ||= Math.abs(res.released[o + j]! - s[o + j]!) > 1 / unit + 1e-6;
      }
      assert.is(units, unit, `d=${decimals} row ${r} sums to ${units} units`);
      lifted += Number(far);
    }
    // Only rows whose label had to be lifted over a rival move more than one unit anywhere.
    assert.ok(lifted < 600, `d=${decimals}: ${lifted} rows lifted`);
  }
  assert.equal(Array.from(new Rounding({ k: 3, decimals: 1 }).protect([[0.38, 0.39, 0.23]]).released, (v) => Math.round(v * 10)), [3, 5, 2]);
  assert.equal(Array.from(new Rounding({ k: 3, decimals: 1 }).protect([[0.34, 0.33, 0.33]]).released, (v) => Math.round(v * 10)), [4, 3, 3]);
});

rivals('top-k keeps the top entries in proportion (ties to the lower index); label only is the one-hot label', () => {
  const top = new TopK({ k: 5, top: 3 }).protect([[0.1, 0.3, 0.1, 0.3, 0.2], [0.2, 0.2, 0.2, 0.2, 0.2]]).released;
  const want = [0, 0.375, 0, 0.375, 0.25, 1 / 3, 1 / 3, 1 / 3, 0, 0];
  want.forEach((w, i) => assert.ok(Math.abs(top[i]! - w) < 1e-7, `entry ${i}: ${top[i]} vs ${w}`));
  assert.equal(Array.from(new TopK({ k: 3, top: 1 }).protect([[0.3, 0.4, 0.3]]).released), [0, 1, 0]);
  const only = new LabelOnly({ k: 4 }).protect([[0.1, 0.4, 0.4, 0.1]]);
  assert.equal(Array.from(only.released), [0, 1, 0, 0]);
  assert.ok(Math.abs(only.distortion[0]! - 1.2) < 1e-6);
});

rivals('HAMP output: the query ranking kept, values from the model on a random input, seeded', () => {
  const k = 8, model = Mlp.create([12, 16, k], { seed: 3 });
  const s = adversarialVectors('peaked', 100, k, new Random(10));
  const a = new HampOutput({ model, seed: 5 }).protect(s), b = new HampOutput({ model, seed: 5 }).protect(s);
  assert.equal(Array.from(a.released), Array.from(b.released), 'same seed, same release');
  const c = new HampOutput({ model, seed: 6 }).protect(s);
  assert.not.equal(Array.from(a.released), Array.from(c.released), 'another seed, another release');
  for (let r = 0; r < 100; r++) {
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      if (s[r * k + i]! > s[r * k + j]!) assert.ok(a.released[r * k + i]! >= a.released[r * k + j]!, `row ${r}: classes ${i} > ${j} swapped`);
    }
  }
  // Marginals of one training row: every random input is that row, so every release is the model's
  // sorted softmax on it, re-ranked (computed here).
  const row = Float32Array.from({ length: 12 }, (_, j) => (j * 0.37) % 1);
  const fixed = new HampOutput({ model, seed: 1, marginals: row }).protect(s.subarray(0, 3 * k));
  const p = Array.from(model.predict(row)).sort((x, y) => y - x);
  for (let r = 0; r < 3; r++) {
    const order = Array.from({ length: k }, (_, j) => j).sort((x, y) => s[r * k + y]! - s[r * k + x]! || x - y);
    order.forEach((cls, rank) => assert.ok(Math.abs(fixed.released[r * k + cls]! - p[rank]!) < 1e-6, `row ${r} rank ${rank}`));
  }
  // binary: those features are Bernoulli(1/2) even with marginals; with all of them binary the
  // marginals are unused, so the release is the no-marginals one.
  const binary = new Array<boolean>(12).fill(true);
  const viaBinary = new HampOutput({ model, seed: 5, marginals: row, binary }).protect(s);
  assert.equal(Array.from(viaBinary.released), Array.from(a.released));
});

rivals('MemGuard through the post-hoc shape: its own release, its distortion', () => {
  const k = 10, g = Mlp.create([k, 16, 1], { head: 'sigmoid', seed: 4 });
  const s = adversarialVectors('peaked', 100, k, new Random(11));
  const options = { defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed' as const, seed: 2 } };
  const direct = new MemGuard(options).protect(s);
  const defense: PostHocDefense = memGuardDefense(new MemGuard(options));
  const res = defense.protect(s);
  assert.is(defense.name, 'memguard');
  assert.equal(Array.from(res.released), Array.from(direct.released));
  for (let r = 0; r < 100; r++) {
    let l1 = 0;
    for (let j = 0; j < k; j++) l1 += Math.abs(direct.released[r * k + j]! - s[r * k + j]!);
    assert.ok(Math.abs(res.distortion[r]! - l1) < 1e-12, `row ${r}`);
  }
});

rivals('bad input: typed errors naming the row, column or option', () => {
  const all: PostHocDefense[] = [
    new UniformMixing({ k: 3, epsilon: 0.1 }), new TemperatureScaling({ k: 3, epsilon: 0.1 }), new Rounding({ k: 3, decimals: 2 }),
    new TopK({ k: 3, top: 1 }), new LabelOnly({ k: 3 }), new HampOutput({ model: Mlp.create([2, 3], { seed: 1 }), seed: 1 }),
  ];
  for (const d of all) {
    throwsTyped(() => d.protect([[0.5, 0.5, 0], [0.2, NaN, 0.8]]), MemGuardInputError, new RegExp(`${d.name}.*row 1, column 1 is NaN`));
    throwsTyped(() => d.protect([[0.5, 0.5, 0], [0.6, 0.6, -0.2]]), MemGuardInputError, /row 1, column 2 is -0\.2/);
    throwsTyped(() => d.protect([[0.5, 0.5, 0], [0.5, 0.4, 0]]), MemGuardInputError, /row 1 sums to 0\.9/);
    throwsTyped(() => d.protect([[0.5, 0.5]]), MemGuardInputError, /row 0 has 2 values, expected 3/);
    throwsTyped(() => d.protect([[1, Infinity, 0]], { input: 'logits' }), MemGuardInputError, /row 0, column 1 is Infinity/);
  }
  throwsTyped(() => new UniformMixing({ k: 1, epsilon: 0.1 }), MemGuardInputError, /k \(classes per vector\) must be an integer >= 2, got 1/);
  throwsTyped(() => new UniformMixing({ k: 3, epsilon: -1 }), MemGuardInputError, /epsilon must be a number >= 0/);
  throwsTyped(() => new TemperatureScaling({ k: 3 }), MemGuardInputError, /exactly one of epsilon .* and temperature/);
  throwsTyped(() => new TemperatureScaling({ k: 3, epsilon: 0.1, temperature: 2 }), MemGuardInputError, /exactly one/);
  throwsTyped(() => new TemperatureScaling({ k: 3, temperature: 0 }), MemGuardInputError, /temperature must be a finite number > 0/);
  throwsTyped(() => new Rounding({ k: 3, decimals: 0 }), MemGuardInputError, /decimals must be an integer in \[1, 6\], got 0/);
  throwsTyped(() => new TopK({ k: 3, top: 0 }), MemGuardInputError, /top must be an integer >= 1, got 0/);
  throwsTyped(() => new HampOutput({ model: Mlp.create([2, 1], { head: 'sigmoid', seed: 1 }), seed: 1 }), MemGuardInputError, /softmax head/);
  throwsTyped(() => new HampOutput({ model: Mlp.create([2, 3], { seed: 1 }), seed: 1, marginals: [1, 2, 3] }), MemGuardInputError, /marginals/);
});

rivals.run();
