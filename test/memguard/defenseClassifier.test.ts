import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { membershipProbability, sortRows, trainDefenseClassifier } from '../../src/memguard/defenseClassifier.js';
import { MemGuard } from '../../src/memguard/memguard.js';
import { loadModel, serializeModel } from '../../src/nn/modelFile.js';
import { Random } from '../../src/random.js';

const t = suite('trainDefenseClassifier');

/** Confidence vectors: members peaked (low temperature), non-members flat. */
function vectors(n: number, k: number, temperature: number, rng: Random): Float32Array {
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += (out[r * k + j] = Math.exp(rng.uniform(-3, 3) / temperature));
    for (let j = 0; j < k; j++) out[r * k + j] = out[r * k + j]! / sum;
  }
  return out;
}

t('learns members from non-members, ignores class order, and round-trips through the model file', () => {
  const rng = new Random(5), k = 10;
  const members = vectors(300, k, 0.3, rng), nonMembers = vectors(300, k, 3, rng);
  const g = trainDefenseClassifier(members, nonMembers, k, { epochs: 30, learningRate: 0.05, seed: 1 });
  assert.equal(g.layers.map((l) => [l.in, l.out, l.activation]), [[10, 256, 'relu'], [256, 128, 'relu'], [128, 64, 'relu'], [64, 1, 'sigmoid']]);
  const testM = vectors(200, k, 0.3, rng), testN = vectors(200, k, 3, rng);
  const pm = membershipProbability(g, testM), pn = membershipProbability(g, testN);
  let right = 0;
  for (let i = 0; i < 200; i++) right += Number(pm[i]! > 0.5) + Number(pn[i]! <= 0.5);
  assert.ok(right / 400 > 0.9, `held-out accuracy ${right / 400}`);
  // Label-agnostic: permuting a vector's classes does not change g(s).
  const shuffled = testM.slice();
  for (let r = 0; r < 200; r++) rng.shuffle(shuffled.subarray(r * k, (r + 1) * k));
  assert.equal(Array.from(membershipProbability(g, shuffled)), Array.from(pm));
  const copy = loadModel(serializeModel(g));
  assert.equal(Array.from(copy.predict(sortRows(testN, k))), Array.from(pn));
  // And it serves as MemGuard's defense classifier.
  const guard = new MemGuard({ defenseClassifier: copy, epsilon: 1, coin: { mode: 'seed', seed: 1 } });
  assert.is(guard.protect(testM).released.length, testM.length);
});

t.run();
