// Offline LiRA: the Gaussian tail, the per-example fit, the score on hand-computed cases, the attack's
// power on synthetic Gaussian shadows against the closed-form optimum, and an end-to-end smoke with
// tiny models (src/experiment/lira.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import { liraAttack, liraScores, logitConfidence, logNormalSf, outDistribution } from '../../src/attacks/lira.js';
import { auc, tprAtFpr, rocCurve } from '../../src/attacks/metrics.js';
import { randomHalf, trainLiraAttack } from '../../src/experiment/lira.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';
import { throwsTyped } from '../helpers.js';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** A standard normal draw (Box-Muller). */
function normal(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

const math = suite('LiRA arithmetic');

math('logNormalSf matches tabulated normal tail probabilities', () => {
  // Pr[Z >= z] from standard tables (z = the 95% and 99.9% quantiles; Q(10) = 7.6198530241605e-24).
  near(logNormalSf(0), Math.log(0.5), 2e-7, 'z = 0');
  near(logNormalSf(1.6448536269514722), Math.log(0.05), 2e-7, 'z = 1.645');
  near(logNormalSf(-1.6448536269514722), Math.log(0.95), 2e-7, 'z = -1.645');
  near(logNormalSf(3.090232306167813), Math.log(0.001), 2e-7, 'z = 3.09');
  near(logNormalSf(10), Math.log(7.6198530241605e-24), 2e-7, 'z = 10');
  // Far in the tail (sf underflows float64 near z = 38): the asymptotic series, to its own accuracy.
  const z = 60;
  const asymptotic = -z * z / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(1 - 1 / z ** 2 + 3 / z ** 4);
  near(logNormalSf(z), asymptotic, 1e-6, 'z = 60');
  assert.ok(logNormalSf(-60) <= 0 && logNormalSf(-60) > -1e-12, 'far left tail is log 1');
});

math('logitConfidence is log(p_y / (1 - p_y)) of the true label, finite at p_y = 0 and 1', () => {
  const r = logitConfidence({ vectors: [0.2, 0.7, 0.1, 0.2, 0.7, 0.1, 0, 1, 0], labels: [1, 2, 1], k: 3 });
  near(r[0]!, Math.log(0.7 / 0.3), 1e-7, 'label 1');
  near(r[1]!, Math.log(0.1 / 0.9), 1e-7, 'label 2');
  assert.ok(Number.isFinite(r[2]!) && r[2]! > 60, `one-hot on the label: ${r[2]}`);
  throwsTyped(() => logitConfidence({ vectors: [0.5, 0.5], labels: [2], k: 2 }), MemGuardInputError, /label 2/);
});

math('outDistribution: median and population std per example, over the out shadows only', () => {
  const stats = [1, 2, 4, 7].map((v, m) => Float64Array.of(v, 10 * m));
  const all = outDistribution(stats);
  near(all.mean[0]!, 3, 1e-12, 'median of 1, 2, 4, 7');
  near(all.std[0]!, Math.sqrt(21 / 4), 1e-12, 'std of 1, 2, 4, 7');
  near(all.mean[1]!, 15, 1e-12, 'median of 0, 10, 20, 30');
  const out = [Uint8Array.of(1, 1), Uint8Array.of(1, 0), Uint8Array.of(1, 1), Uint8Array.of(0, 1)];
  const some = outDistribution(stats, out);
  near(some.mean[0]!, 2, 1e-12, 'median of 1, 2, 4');
  near(some.std[0]!, Math.sqrt(42 / 27), 1e-12, 'std of 1, 2, 4');
  near(some.mean[1]!, 20, 1e-12, 'median of 0, 20, 30');
  const alone = [Uint8Array.of(1, 1), Uint8Array.of(0, 1), Uint8Array.of(0, 1), Uint8Array.of(0, 1)];
  throwsTyped(() => outDistribution(stats, alone), MemGuardInputError, /example 0 is out of only 1/);
});

math('liraScores is -log Pr[N(mu, sigma) >= phi], per example, repeating over copies of the set', () => {
  const reference = { mean: Float64Array.of(3, -1), std: Float64Array.of(2, 0.5) };
  const s = liraScores([3 + 2 * 1.6448536269514722, -1, 3, -1 - 0.5 * 1.6448536269514722], reference);
  near(s[0]!, -Math.log(0.05), 1e-6, '95% quantile');
  near(s[1]!, -Math.log(0.5), 1e-6, 'at the median');
  near(s[2]!, -Math.log(0.5), 1e-6, 'row 2 uses example 0');
  near(s[3]!, -Math.log(0.95), 1e-6, 'row 3 uses example 1');
  throwsTyped(() => liraScores([1, 2, 3], reference), MemGuardInputError, /whole number of copies/);
});

math('on Gaussian shadows LiRA reaches the optimal test: AUC Phi(delta / sqrt 2), TPR 1 - Phi(z_{1-a} - delta)', () => {
  // Example i has its own out-distribution N(mu_i, sigma_i); a member's phi is shifted by delta sigma_i.
  // The most powerful test at level a flags phi > mu_i + z_{1-a} sigma_i: TPR(1%) = 1 - Phi(2.3263 - 2)
  // = 0.3721, AUC = Phi(2 / sqrt 2) = 0.9214. 64 shadows estimate (mu_i, sigma_i) well enough.
  const rng = new Random(7);
  const n = 4000, shadows = 64, delta = 2;
  const mu = Float64Array.from({ length: n }, () => rng.uniform(-10, 10));
  const sigma = Float64Array.from({ length: n }, () => rng.uniform(0.2, 3));
  const stats = Array.from({ length: shadows }, () => Float64Array.from(mu, (m, i) => m + sigma[i]! * normal(rng)));
  const reference = outDistribution(stats);
  const isMember = Uint8Array.from({ length: n }, (_, i) => i % 2);
  const observed = Float64Array.from(mu, (m, i) => m + sigma[i]! * (normal(rng) + (isMember[i] ? delta : 0)));
  const scores = liraScores(observed, reference);
  near(auc(scores, isMember), 0.9214, 0.02, 'AUC');
  near(tprAtFpr(rocCurve(scores, isMember), 0.01), 0.3721, 0.06, 'TPR at 1% FPR');
  // Without the per-example fit (one global threshold on phi) the same data gives far less.
  assert.ok(auc(observed, isMember) < auc(scores, isMember) - 0.2, `raw phi AUC ${auc(observed, isMember)}`);
});

math.run();

const e2e = suite('LiRA end to end (tiny models)');

e2e('randomHalf picks exactly half, differently per draw', () => {
  const rng = new Random(3);
  const a = randomHalf(101, rng), b = randomHalf(101, rng);
  assert.is(a.reduce((s, f) => s + f, 0), 50);
  assert.is(b.reduce((s, f) => s + f, 0), 50);
  assert.ok(a.some((f, i) => f !== b[i]), 'two draws differ');
});

e2e('shadows on random halves of a pool expose a target that memorized random labels', async () => {
  // Random features and labels: all a model learns is which record has which label, so members are
  // confident on their label and non-members are not; LiRA must see it, the threshold must be usable.
  const d = 12, k = 3, rng = new Random(11);
  const rows = (n: number) => ({
    features: Float32Array.from({ length: n * d }, () => rng.uniform(-1, 1)),
    labels: Int32Array.from({ length: n }, () => rng.int(k)), n,
  });
  const pool = rows(120), members = rows(60), nonMembers = rows(60);
  const sizes = [d, 64, k];
  const fit = (seed: number) => ({ epochs: 60, learningRate: 0.1, batchSize: 16, seed, optimizer: 'sgd' as const });
  const evaluation = {
    features: Float32Array.of(...members.features, ...nonMembers.features),
    labels: Int32Array.of(...members.labels, ...nonMembers.labels), n: 120,
  };
  let trained = 0;
  const attack = await trainLiraAttack({
    pool, evaluation, sizes, count: 4, fit, seed: 5,
    train: async (jobs) => { for (const j of jobs) { j.model.fit(j.x, j.y, j.options); trained++; } },
  });
  assert.is(trained, 4);
  assert.is(attack.reference.mean.length, 120);
  assert.ok(Number.isFinite(attack.threshold), `threshold ${attack.threshold}`);
  const target = Mlp.create(sizes, { seed: 99 });
  target.fit(members.features, members.labels, fit(99));
  const result = liraAttack(attack, { vectors: target.predict(evaluation.features), labels: evaluation.labels, k });
  target.dispose();
  const isMember = Uint8Array.from({ length: 120 }, (_, i) => (i < 60 ? 1 : 0));
  const a = auc(result.scores, isMember);
  assert.ok(a > 0.75, `LiRA AUC ${a}`);
  const right = result.decisions.reduce((s, dcs, i) => s + Number(dcs === isMember[i]), 0) / 120;
  assert.ok(right > 0.6, `accuracy at the calibrated threshold ${right}`);
});

e2e('fewer than 3 shadows is a clear error', async () => {
  const none = { features: new Float32Array(4), labels: new Int32Array(2), n: 2 };
  try {
    await trainLiraAttack({ pool: none, evaluation: none, sizes: [2, 2], count: 2, fit: () => ({ epochs: 1 }), seed: 0, train: async () => {} });
    assert.unreachable('expected an error');
  } catch (err) {
    assert.instance(err, MemGuardInputError);
    assert.match((err as Error).message, /at least 3 shadow models/);
  }
});

e2e.run();
