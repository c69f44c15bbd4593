// The label-only noise-robustness attack (design §11): a record whose label never changes scores 1,
// one never given its label scores 0; flips happen at rate f/d and continuous noise has sd tau sd_j;
// calibration picks the level and threshold that separate the shadow records; seeded.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { calibrateNoiseRobustness, noiseRobustnessAttack, noiseRobustnessScores, NOISE_LEVELS, NOISE_ROBUSTNESS_ID, type LabelOracle } from '../../src/attacks/noiseRobustness.js';
import { predictedLabels } from '../../src/attacks/confidence.js';
import { MemGuardInputError } from '../../src/errors.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';
import { throwsTyped } from '../helpers.js';

const test = suite('noise robustness');

function binaryRecords(n: number, d: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n * d }, () => (rng.next() < 0.3 ? 1 : 0));
}

test('a record whose label never changes scores 1 (a constant-class model); one never given its label 0', () => {
  const d = 6;
  const constant: LabelOracle = (x) => new Int32Array(x.length / d).fill(2);
  const records = { features: binaryRecords(4, d, 1), labels: [2, 0, 2, 1], d };
  const all = { binary: new Array(d).fill(1), sd: new Array(d).fill(0) };
  const scores = noiseRobustnessScores(constant, records, { flips: 3, tau: 0 }, all, { copies: 100, seed: 1 });
  assert.equal(Array.from(scores), [1, 0, 1, 0]);
  // The same with a real network whose output ignores its input (zero first-layer weights).
  const net = Mlp.create([d, 4, 3], { seed: 1 });
  const [l0, l1] = net.parameters();
  net.setParameters([{ weight: new Float32Array(l0!.weight.length), bias: l0!.bias }, { weight: l1!.weight, bias: new Float32Array([0, 0, 5]) }]);
  assert.equal(Array.from(noiseRobustnessScores(net, records, { flips: 5, tau: 0 }, all, { copies: 50, seed: 2 })), [1, 0, 1, 0]);
});

test('binary flips at rate f/d; continuous noise with sd tau x the feature sd; features untouched at level 0', () => {
  const d = 50, copies = 400;
  const features = binaryRecords(5, d, 3);
  const base = features.slice();
  let flips = 0, rows = 0;
  const counting: LabelOracle = (x) => {
    for (let r = 0; r < x.length / d; r++) {
      const rec = Math.floor(rows / copies);
      for (let j = 0; j < d; j++) flips += x[r * d + j] !== base[rec * d + j] ? 1 : 0;
      rows++;
    }
    return new Int32Array(x.length / d);
  };
  const all = { binary: new Array(d).fill(1), sd: new Array(d).fill(0) };
  noiseRobustnessScores(counting, { features, labels: [0, 0, 0, 0, 0], d }, { flips: 5, tau: 0 }, all, { copies, seed: 4 });
  const expected = 5 * copies * 5; // f flips per copy on average
  assert.ok(Math.abs(flips - expected) < 0.05 * expected, `flips ${flips}, expected about ${expected}`);
  flips = 0; rows = 0;
  noiseRobustnessScores(counting, { features, labels: [0, 0, 0, 0, 0], d }, { flips: 0, tau: 0 }, all, { copies, seed: 4 });
  assert.is(flips, 0);
  // Continuous: one feature of sd 2, tau 0.5 -> noise sd 1.
  let sum = 0, sum2 = 0, count = 0;
  const gauss: LabelOracle = (x) => { for (const v of x) { sum += v - 10; sum2 += (v - 10) ** 2; count++; } return new Int32Array(x.length); };
  noiseRobustnessScores(gauss, { features: new Float32Array([10]), labels: [0], d: 1 }, { flips: 0, tau: 0.5 }, { binary: [0], sd: [2] }, { copies: 20000, seed: 5 });
  const mean = sum / count, sd = Math.sqrt(sum2 / count - mean * mean);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.03, `noise mean ${mean}, sd ${sd}`);
});

test('calibration separates robust shadow members from fragile non-members and applies to the target', () => {
  // Members: all-zero rows (label 0 unless many features flip); non-members: one feature set (label
  // 1, lost as soon as that feature flips). The oracle: label 1 iff exactly one feature is set.
  const d = 20;
  const oracle: LabelOracle = (x) => Int32Array.from({ length: x.length / d }, (_, r) => {
    let set = 0;
    for (let j = 0; j < d; j++) set += x[r * d + j]!;
    return set === 1 ? 1 : 0;
  });
  const n = 20;
  const features = new Float32Array(2 * n * d);
  for (let r = n; r < 2 * n; r++) features[r * d + (r % d)] = 1;
  const labels = Array.from({ length: 2 * n }, (_, r) => (r < n ? 0 : 1));
  const isMember = labels.map((y) => 1 - y);
  const cal = calibrateNoiseRobustness(oracle, { features, labels, d, isMember }, { copies: 50, seed: 1 });
  assert.is(cal.shadowAccuracy.length, 5);
  assert.equal(cal.level, NOISE_LEVELS[cal.shadowAccuracy.indexOf(Math.max(...cal.shadowAccuracy))]);
  assert.ok(cal.threshold > 0 && cal.threshold <= 1, `threshold ${cal.threshold}`);
  assert.equal(cal.binary, new Array(d).fill(1));
  const result = noiseRobustnessAttack(oracle, cal, { features, labels, d }, { seed: 9 });
  assert.is(result.attack, NOISE_ROBUSTNESS_ID);
  const correct = result.decisions.reduce((s, v, i) => s + (v === isMember[i] ? 1 : 0), 0);
  assert.ok(correct / (2 * n) >= 0.85, `target accuracy ${correct / (2 * n)}`);
});

test('deterministic for a seed, different across seeds; bad input is a typed error', () => {
  const d = 12;
  const net = Mlp.create([d, 16, 4], { seed: 7 });
  const features = binaryRecords(30, d, 8);
  const labels = predictedLabels(net.predict(features), 4);
  const records = { features, labels, d };
  const all = { binary: new Array(d).fill(1), sd: new Array(d).fill(0) };
  const a = noiseRobustnessScores(net, records, { flips: 3, tau: 0 }, all, { copies: 40, seed: 1 });
  const b = noiseRobustnessScores(net, records, { flips: 3, tau: 0 }, all, { copies: 40, seed: 1 });
  const c = noiseRobustnessScores(net, records, { flips: 3, tau: 0 }, all, { copies: 40, seed: 2 });
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from(c));
  throwsTyped(() => noiseRobustnessScores(net, records, { flips: 13, tau: 0 }, all), MemGuardInputError, /flips/);
  throwsTyped(() => noiseRobustnessScores(net, { ...records, labels: [1] }, { flips: 1, tau: 0 }, all), MemGuardInputError, /labels/);
  throwsTyped(() => calibrateNoiseRobustness(net, records), MemGuardInputError, /isMember/);
  throwsTyped(() => noiseRobustnessScores(Mlp.create([5, 3]), records, { flips: 1, tau: 0 }, all), MemGuardInputError, /features/);
});

test.run();
