// Mlp.fit's design §10 options and the Trainer, end to end through the WASM fit loop: each option's
// defining effect, equivalences with plain training, reproducibility, and the typed errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import { Mlp, type FitOptions, type LossBatch } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';
import { allClose, randomArray, throwsTyped } from '../helpers.js';

const t = suite('Mlp training options');

/** k noisy Gaussian classes in d dimensions (overlapping, so a net can overfit them). */
function classes(n: number, d: number, k: number, seed: number, spread = 1.5): { x: Float32Array; y: Int32Array } {
  const rng = new Random(seed);
  const x = new Float32Array(n * d), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % k;
    for (let j = 0; j < d; j++) {
      const gauss = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      x[i * d + j] = (j % k === y[i] ? 1 : 0) + spread * gauss;
    }
  }
  return { x, y };
}

const flat = (m: Mlp) => Float32Array.from(m.parameters().flatMap((l) => [...l.weight, ...l.bias]));
const weightNorm = (m: Mlp) => Math.hypot(...m.parameters().flatMap((l) => [...l.weight]));

/** Cross-entropy written as a lossGradient hook (float64), for equivalence with the built-in loss. */
function ceHook(labels: Int32Array) {
  return (b: LossBatch): number => {
    let loss = 0;
    for (let r = 0; r < b.rows; r++) {
      const o = r * b.classes, z = b.logits.subarray(o, o + b.classes);
      const m = Math.max(...z), s = z.reduce((a, v) => a + Math.exp(v - m), 0);
      const y = labels[b.indices[r]!]!;
      loss += (Math.log(s) - (z[y]! - m)) / b.rows;
      for (let j = 0; j < b.classes; j++) b.dLogits[o + j] = (Math.exp(z[j]! - m) / s - (j === y ? 1 : 0)) / b.rows;
    }
    return loss;
  };
}

t('no new option (or every option at its off value) trains bit for bit as before', () => {
  const { x, y } = classes(50, 6, 3, 1);
  const a = Mlp.create([6, 12, 3], { seed: 2 }), b = Mlp.create([6, 12, 3], { seed: 2 });
  const base: FitOptions = { epochs: 3, batchSize: 8, learningRate: 0.1, seed: 4 };
  a.fit(x, y, base);
  b.fit(x, y, { ...base, weightDecay: 0, dropout: 0, entropyWeight: 0 });
  allClose(flat(b), flat(a), 0, 0, 'parameters');
});

t('weight decay: the weight norm shrinks as lambda grows; alone it scales weights by (1 - lr lambda) and leaves biases', () => {
  const { x, y } = classes(80, 8, 4, 3);
  const norms = [0, 1e-3, 1e-2, 5e-2, 2e-1].map((lambda) => {
    const m = Mlp.create([8, 16, 4], { seed: 5 });
    m.fit(x, y, { epochs: 30, batchSize: 16, learningRate: 0.1, weightDecay: lambda, seed: 1 });
    return weightNorm(m);
  });
  for (let i = 1; i < norms.length; i++) assert.ok(norms[i]! < norms[i - 1]!, `norms ${norms}`);
  // With a zero data gradient, one step is exactly w <- w - lr * lambda * w, biases unchanged.
  const m = Mlp.create([3, 4, 2], { seed: 6 });
  m.setParameters(m.parameters().map((l) => ({ ...l, bias: l.bias.map((_, i) => 0.1 * (i + 1)) })));
  const before = m.parameters();
  const { loss } = m.fit([[1, 2, 3]], [0], { epochs: 1, learningRate: 0.5, weightDecay: 0.2, lossGradient: () => 0 });
  m.parameters().forEach((l, i) => {
    allClose(l.weight, before[i]!.weight.map((v) => v * (1 - 0.5 * 0.2)), 1e-6, 1e-7, `layer ${i} weights`);
    allClose(l.bias, before[i]!.bias, 0, 0, `layer ${i} biases`);
  });
  const expected = 0.1 * before.reduce((s, l) => s + l.weight.reduce((a, v) => a + v * v, 0), 0);
  assert.ok(Math.abs(loss[0]! - expected) < 1e-5 * expected, `loss includes lambda/2 sum W^2: ${loss[0]} vs ${expected}`);
});

t('soft targets: one-hot soft targets train as integer labels; smoothed targets lower the confidence', () => {
  const { x, y } = classes(60, 6, 3, 7);
  const onehot = Array.from(y, (c) => [0, 1, 2].map((j) => (j === c ? 1 : 0)));
  const a = Mlp.create([6, 10, 3], { seed: 8 }), b = Mlp.create([6, 10, 3], { seed: 8 }), c = Mlp.create([6, 10, 3], { seed: 8 });
  const o: FitOptions = { epochs: 40, batchSize: 10, learningRate: 0.2, seed: 2 };
  a.fit(x, y, o);
  b.fit(x, { soft: onehot }, o);
  allClose(flat(b), flat(a), 1e-4, 1e-5, 'one-hot soft vs labels');
  const smooth = onehot.map((row) => row.map((v) => v * 0.6 + 0.4 / 3));
  c.fit(x, { soft: smooth }, o);
  const top = (m: Mlp) => { const p = m.predict(x); let s = 0; for (let r = 0; r < 60; r++) s += Math.max(p[3 * r]!, p[3 * r + 1]!, p[3 * r + 2]!); return s / 60; };
  assert.ok(top(c) < top(a) - 0.05, `smoothed ${top(c)} vs hard ${top(a)}`);
  assert.ok(top(c) < 0.6 + 0.4 / 3 + 0.02, `smoothed confidence ${top(c)} stays near its target's 0.733`);
});

t('entropy penalty lowers the mean top confidence as alpha grows', () => {
  const { x, y } = classes(60, 6, 3, 9);
  const tops = [0, 0.5, 2].map((alpha) => {
    const m = Mlp.create([6, 16, 3], { seed: 10 });
    m.fit(x, y, { epochs: 60, batchSize: 10, learningRate: 0.2, entropyWeight: alpha, seed: 3 });
    const p = m.predict(x);
    let s = 0;
    for (let r = 0; r < 60; r++) s += Math.max(p[3 * r]!, p[3 * r + 1]!, p[3 * r + 2]!);
    return s / 60;
  });
  assert.ok(tops[1]! < tops[0]! && tops[2]! < tops[1]!, `tops ${tops}`);
});

t('lossGradient: sees the shuffled batch rows and their current logits; CE as a hook trains as the built-in CE', () => {
  const { x, y } = classes(40, 5, 2, 11);
  const a = Mlp.create([5, 8, 2], { seed: 12 }), b = Mlp.create([5, 8, 2], { seed: 12 });
  const probe = Mlp.fromParameters(b.parameters());
  const o: FitOptions = { epochs: 3, batchSize: 16, learningRate: 0.3, seed: 5 };
  a.fit(x, y, o);
  const hook = ceHook(y);
  let first = true;
  const seen: number[] = [];
  const { loss } = b.fit(x, y, {
    ...o,
    lossGradient: (batch) => {
      if (batch.epoch === 1) seen.push(...batch.indices);
      if (first) {
        first = false;
        const rows = Array.from(batch.indices, (i) => [...x.subarray(i * 5, i * 5 + 5)]);
        allClose(batch.logits, probe.logits(rows.flat()), 1e-6, 1e-6, 'hook logits are the model logits of those rows');
        assert.is(batch.classes, 2);
      }
      return hook(batch);
    },
  });
  assert.equal([...seen].sort((p, q) => p - q), [...Array(40).keys()], 'every row once per epoch');
  assert.not.equal(seen, [...Array(40).keys()], 'in shuffled order');
  allClose(flat(b), flat(a), 1e-4, 1e-5, 'hook CE vs built-in CE');
  assert.ok(loss.every(Number.isFinite));
});

t('dropout: identity at inference, seeded masks reproduce, different seeds differ, expected activation kept', () => {
  const { x, y } = classes(40, 5, 2, 13);
  const make = () => Mlp.create([5, 32, 32, 2], { seed: 14 });
  const a = make(), b = make(), c = make();
  const o: FitOptions = { epochs: 3, batchSize: 8, learningRate: 0.1, dropout: 0.5, seed: 6 };
  a.fit(x, y, o); b.fit(x, y, o); c.fit(x, y, { ...o, seed: 7 });
  allClose(flat(b), flat(a), 0, 0, 'same seed, same masks, same parameters');
  assert.not.equal(flat(c), flat(a), 'another seed, other masks');
  const d = make();
  d.fit(x, y, { ...o, dropout: 0 });
  assert.not.equal(flat(d), flat(a), 'dropout changes training');
  // Inference: deterministic and equal to a dropout-free copy of the same parameters.
  allClose(a.predict(x), a.predict(x), 0, 0, 'predict is deterministic');
  allClose(a.logits(x), Mlp.fromParameters(a.parameters()).logits(x), 0, 0, 'no masks at inference');
  // Expected activation: with a linear identity hidden layer the mean output of many masked
  // passes (seen through a lossGradient hook's logits) approaches the unmasked one.
  const lin = Mlp.fromParameters([
    { in: 1, out: 200, activation: 'linear', weight: new Float32Array(200).fill(1), bias: new Float32Array(200) },
    { in: 200, out: 1, activation: 'sigmoid', weight: new Float32Array(200).fill(1 / 200), bias: new Float32Array(1) },
  ]);
  let sum = 0, squares = 0, count = 0, zeros = 0;
  lin.fit(new Float32Array(64).fill(1), new Float32Array(64), {
    epochs: 20, batchSize: 64, dropout: 0.3, seed: 9,
    lossGradient: (batch) => { for (const v of batch.logits) { sum += v; squares += v * v; count++; if (v === 0) zeros++; } return 0; },
  });
  assert.ok(Math.abs(sum / count - 1) < 0.01, `mean masked output ${sum / count}, unmasked 1`);
  // Each logit is the mean of 200 units kept with probability 0.7 at 1/0.7: std sqrt(0.3/0.7/200).
  const std = Math.sqrt(squares / count - (sum / count) ** 2), expectedStd = Math.sqrt(0.3 / 0.7 / 200);
  assert.ok(Math.abs(std / expectedStd - 1) < 0.15, `masked output std ${std} vs ${expectedStd}`);
  assert.is(zeros, 0);
  allClose(lin.logits([1]), [1], 1e-6, 1e-6, 'unchanged by zero-gradient training');
});

t('validation: the best epoch (first of ties) is restored; patience stops training', () => {
  const train = classes(60, 10, 3, 15, 2.5), val = classes(60, 10, 3, 16, 2.5);
  const m = Mlp.create([10, 64, 3], { seed: 17 });
  const snapshots: Float32Array[] = [];
  const r = m.fit(train.x, train.y, {
    epochs: 40, batchSize: 10, learningRate: 0.3, seed: 1, validation: { x: val.x, y: val.y },
    onEpoch: () => snapshots.push(flat(m)),
  });
  const accs = r.validationAccuracy!;
  assert.is(accs.length, 40);
  const best = accs.indexOf(Math.max(...accs)) + 1;
  assert.is(r.bestEpoch, best);
  assert.ok(best < 40, `the test needs a best epoch before the last (accuracies ${accs})`);
  allClose(flat(m), snapshots[best - 1]!, 0, 0, 'restored parameters are the best epoch\'s');
  const p = m.predict(val.x);
  let right = 0;
  for (let i = 0; i < 60; i++) right += [0, 1, 2].reduce((a, j) => (p[3 * i + j]! > p[3 * i + a]! ? j : a), 0) === val.y[i] ? 1 : 0;
  assert.is(right / 60, accs[best - 1]);
  const stopped = Mlp.create([10, 64, 3], { seed: 17 });
  const s = stopped.fit(train.x, train.y, { epochs: 40, batchSize: 10, learningRate: 0.3, seed: 1, validation: { x: val.x, y: val.y, patience: 3 } });
  assert.is(s.validationAccuracy!.length, s.bestEpoch! + 3, 'stops patience epochs after the best');
  assert.is(s.loss.length, s.validationAccuracy!.length);
});

t('Trainer: a CE step equals one full-batch fit step; inputGradient is d loss / d x before the update', () => {
  const { x, y } = classes(12, 4, 3, 18);
  const a = Mlp.create([4, 6, 3], { seed: 19 }), b = Mlp.create([4, 6, 3], { seed: 19 });
  a.fit(x, y, { epochs: 1, batchSize: 12, shuffle: false, learningRate: 0.3, weightDecay: 0.01 });
  const before = Mlp.fromParameters(b.parameters());
  const trainer = b.trainer({ learningRate: 0.3, weightDecay: 0.01 });
  let dl = new Float32Array(0);
  const hook = ceHook(y);
  const { loss, inputGradient } = trainer.step(x, (logits, dLogits, rows) => {
    const value = hook({ epoch: 1, rows, classes: 3, indices: Int32Array.from({ length: rows }, (_, i) => i), logits, dLogits });
    dl = dLogits.slice();
    return value;
  }, { inputGradient: true });
  trainer.dispose();
  allClose(flat(b), flat(a), 1e-5, 1e-6, 'trainer step vs fit step');
  assert.ok(Number.isFinite(loss));
  allClose(inputGradient!, before.inputGradient(x, { logitWeights: dl }), 1e-5, 1e-6, 'input gradient');
  throwsTyped(() => trainer.step(x, () => 0), MemGuardInputError, /after dispose/);
});

t('Trainer: dropout masks come from its seed (same seed, same steps; another seed differs); weight decay alone shrinks weights', () => {
  const { x, y } = classes(16, 4, 2, 25);
  const hook = ceHook(y);
  const loss = (logits: Float32Array, dLogits: Float32Array, rows: number) =>
    hook({ epoch: 1, rows, classes: 2, indices: Int32Array.from({ length: rows }, (_, i) => i), logits, dLogits });
  const run = (seed: number) => {
    const m = Mlp.create([4, 32, 2], { seed: 26 });
    const trainer = m.trainer({ learningRate: 0.2, dropout: 0.5, seed, optimizer: 'adam' });
    for (let i = 0; i < 3; i++) trainer.step(x, loss);
    trainer.dispose();
    return flat(m);
  };
  allClose(run(1), run(1), 0, 0, 'same seed');
  assert.not.equal(run(1), run(2), 'other seed');
  const m = Mlp.create([4, 8, 2], { seed: 27 });
  const w0 = weightNorm(m);
  const trainer = m.trainer({ learningRate: 0.5, weightDecay: 0.1 });
  const { loss: l } = trainer.step(x, () => 0);
  trainer.dispose();
  assert.ok(Math.abs(weightNorm(m) - w0 * 0.95) < 1e-5 * w0, 'w <- (1 - lr lambda) w');
  assert.ok(Math.abs(l - 0.05 * w0 * w0) < 1e-4 * w0 * w0, 'loss is the L2 term');
});

t('DP-SGD: sigma 0, C = Infinity, q = 1 is plain full-batch SGD', () => {
  const { x, y } = classes(30, 5, 3, 20);
  const a = Mlp.create([5, 8, 3], { seed: 21 }), b = Mlp.create([5, 8, 3], { seed: 21 });
  a.fit(x, y, { epochs: 4, batchSize: 30, shuffle: false, learningRate: 0.5 });
  const r = b.fit(x, y, { epochs: 4, learningRate: 0.5, dp: { noiseMultiplier: 0, clip: Infinity, sampleRate: 1 } });
  assert.is(r.steps, 4);
  allClose(flat(b), flat(a), 1e-5, 1e-6, 'DP with no clipping and no noise vs SGD');
});

t('DP-SGD: the noise has standard deviation sigma C / (q N); steps per epoch are round(1/q)', () => {
  const m = Mlp.create([20, 64, 10], { seed: 22 });
  const before = flat(m);
  const n = 50, sigma = 1.3, clip = 0.7, q = 0.2;
  const r = m.fit(new Float32Array(n * 20), new Int32Array(n), {
    epochs: 1, learningRate: 1, seed: 3, dp: { noiseMultiplier: sigma, clip, sampleRate: q }, lossGradient: () => 0,
  });
  assert.is(r.steps, 5);
  const change = flat(m).map((v, i) => (v - before[i]!));
  // Five independent steps: the change's per-parameter std is sqrt(5) * sigma C / (q N).
  const mean = change.reduce((s, v) => s + v, 0) / change.length;
  const std = Math.sqrt(change.reduce((s, v) => s + (v - mean) ** 2, 0) / change.length);
  const expected = Math.sqrt(5) * sigma * clip / (q * n);
  assert.ok(Math.abs(std / expected - 1) < 0.02, `noise std ${std} vs ${expected}`);
  assert.ok(Math.abs(mean) < 4 * expected / Math.sqrt(change.length), `noise mean ${mean}`);
});

t('DP-SGD trains: Poisson batches learn the task; the same seed gives the same model', () => {
  const { x, y } = classes(200, 6, 2, 23, 0.8);
  const dp = { noiseMultiplier: 0.5, clip: 1, sampleRate: 0.1 };
  const a = Mlp.create([6, 16, 2], { seed: 24 }), b = Mlp.create([6, 16, 2], { seed: 24 });
  a.fit(x, y, { epochs: 10, learningRate: 0.5, seed: 2, dp });
  b.fit(x, y, { epochs: 10, learningRate: 0.5, seed: 2, dp });
  allClose(flat(b), flat(a), 0, 0, 'reproducible');
  const p = a.predict(x);
  let right = 0;
  for (let i = 0; i < 200; i++) right += (p[2 * i + 1]! > p[2 * i]! ? 1 : 0) === y[i] ? 1 : 0;
  assert.ok(right / 200 > 0.8, `accuracy ${right / 200}`);
});

t('wrong options give MemGuardInputError naming the option', () => {
  const m = Mlp.create([3, 4, 2]);
  const x = [[1, 2, 3], [3, 2, 1]], y = [0, 1];
  const bad: Array<[Partial<FitOptions>, RegExp]> = [
    [{ dropout: 1 }, /dropout rate must be in \[0, 1\), got 1/],
    [{ dropout: -0.1 }, /dropout rate must be in \[0, 1\)/],
    [{ weightDecay: -1 }, /weightDecay \(lambda\) must be a finite number >= 0, got -1/],
    [{ entropyWeight: NaN }, /entropyWeight \(alpha\)/],
    [{ dp: { noiseMultiplier: 1, clip: 1, sampleRate: 0 } }, /dp.sampleRate must be in \(0, 1\], got 0/],
    [{ dp: { noiseMultiplier: 1, clip: 0, sampleRate: 0.5 } }, /dp.clip must be positive/],
    [{ dp: { noiseMultiplier: 1, clip: Infinity, sampleRate: 0.5 } }, /needs a finite dp.clip/],
    [{ dp: { noiseMultiplier: -1, clip: 1, sampleRate: 0.5 } }, /dp.noiseMultiplier must be a finite number >= 0/],
    [{ validation: { x, y, patience: 0 } }, /patience must be a positive integer, got 0/],
    [{ validation: { x: [[1, 2]], y: [0] } }, /validation.x/],
    [{ lossGradient: () => NaN }, /lossGradient returned NaN/],
  ];
  for (const [o, re] of bad) throwsTyped(() => m.fit(x, y, { epochs: 1, ...o }), MemGuardInputError, re);
  throwsTyped(() => m.fit(x, { soft: [[0.5, 0.6], [1, 0]] }, { epochs: 1 }), MemGuardInputError, /y.soft row 0 sums to 1.1/);
  throwsTyped(() => m.fit(x, { soft: [[1.5, -0.5], [1, 0]] }, { epochs: 1 }), MemGuardInputError, /no negative entries/);
  const sig = Mlp.create([3, 1], { head: 'sigmoid' });
  throwsTyped(() => sig.fit(x, { soft: [[1], [1]] }, { epochs: 1 }), MemGuardInputError, /soft targets need a softmax head/);
  throwsTyped(() => sig.fit(x, [0, 1], { epochs: 1, entropyWeight: 1 }), MemGuardInputError, /entropyWeight needs a softmax head/);
  throwsTyped(() => m.trainer({ dropout: 2 }), MemGuardInputError, /trainer: dropout rate/);
  // A failed fit leaves the model usable and unchanged.
  const before = flat(m);
  throwsTyped(() => m.fit(x, y, { epochs: 1, lossGradient: (b) => { b.dLogits[0] = Infinity; return 0; } }), MemGuardInputError, /dLogits\[0\] = Infinity/);
  allClose(flat(m), before, 0, 0, 'unchanged');
  m.fit(x, y, { epochs: 1 });
});

t.run();
