// NN-AT (design §11): the adversarial search stays on the simplex, keeps every row's label and stays
// within rho in L1 (a property over many random vectors and networks), moves each row toward the
// opposite membership; training is deterministic for a seed and, with rho = 0, is the plain NN
// attack bit for bit (the same shuffles, batches, schedule and steps).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adversarialSearch, trainAdversarialNnAttack } from '../../src/attacks/nnAdversarial.js';
import { trainNnAttack } from '../../src/attacks/nnAttack.js';
import { sortRows } from '../../src/memguard/defenseClassifier.js';
import { MemGuardInputError } from '../../src/errors.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';
import { argmaxFirst } from '../../src/reference/simplex.js';
import { throwsTyped } from '../helpers.js';

/** Random confidence vectors: softmax of logits of varied sharpness, some near one-hot, some near uniform. */
function vectors(rng: Random, rows: number, k: number): Float32Array {
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const sharp = [0.1, 1, 5, 30][r % 4]!;
    let s = 0;
    for (let j = 0; j < k; j++) { const e = Math.exp(sharp * rng.next()); out[r * k + j] = e; s += e; }
    for (let j = 0; j < k; j++) out[r * k + j]! /= s;
  }
  return out;
}

function hasStrictTop(v: Float32Array, off: number, k: number): boolean {
  const l = argmaxFirst(k, v, off);
  for (let j = 0; j < k; j++) if (j !== l && v[off + j] === v[off + l]) return false;
  return true;
}

const search = suite('NN-AT adversarial search');

search('property: on the simplex, label kept, within rho in L1, over many random vectors and networks', () => {
  const rng = new Random(11);
  let checked = 0;
  for (let trial = 0; trial < 60; trial++) {
    const k = [2, 3, 5, 10, 30][trial % 5]!;
    const rows = 40;
    const rho = [0.01, 0.1, 0.3, 0.7, 1.5][Math.floor(trial / 5) % 5]!;
    const steps = 1 + (trial % 4);
    const net = Mlp.create([k, 16, 8, 1], { head: 'sigmoid', seed: 100 + trial });
    const v = vectors(rng, rows, k);
    const member = Array.from({ length: rows }, (_, r) => r % 2);
    const adv = adversarialSearch(net, v, member, { rho, steps });
    for (let r = 0; r < rows; r++) {
      const off = r * k;
      if (!hasStrictTop(v, off, k)) continue;
      let sum = 0, dist = 0;
      for (let j = 0; j < k; j++) {
        assert.ok(adv[off + j]! >= 0, `trial ${trial} row ${r}: entry ${j} is ${adv[off + j]}`);
        sum += adv[off + j]!;
        dist += Math.abs(adv[off + j]! - v[off + j]!);
      }
      assert.ok(Math.abs(sum - 1) <= 1e-5, `trial ${trial} row ${r}: sum ${sum}`);
      assert.ok(dist <= rho + 1e-5, `trial ${trial} row ${r}: L1 distance ${dist} > rho ${rho}`);
      assert.is(argmaxFirst(k, adv, off), argmaxFirst(k, v, off), `trial ${trial} row ${r}: label changed`);
      checked++;
    }
    net.dispose();
  }
  assert.ok(checked > 2000, `checked ${checked} rows`);
});

search('moves members toward non-membership and non-members toward membership, and uses the radius', () => {
  const rng = new Random(5);
  const k = 10, rows = 200;
  const net = Mlp.create([k, 32, 1], { head: 'sigmoid', seed: 3 });
  const v = vectors(rng, rows, k);
  const member = Array.from({ length: rows }, (_, r) => (r < rows / 2 ? 1 : 0));
  const adv = adversarialSearch(net, v, member, { rho: 0.3, steps: 3 });
  const before = net.logits(sortRows(v, k)), after = net.logits(sortRows(adv, k));
  let memberShift = 0, nonMemberShift = 0, moved = 0;
  for (let r = 0; r < rows; r++) {
    if (member[r]) memberShift += after[r]! - before[r]!; else nonMemberShift += after[r]! - before[r]!;
    let dist = 0;
    for (let j = 0; j < k; j++) dist += Math.abs(adv[r * k + j]! - v[r * k + j]!);
    if (dist > 0.05) moved++;
  }
  assert.ok(memberShift < 0, `members' logits rose by ${memberShift}`);
  assert.ok(nonMemberShift > 0, `non-members' logits fell by ${-nonMemberShift}`);
  assert.ok(moved > rows / 2, `only ${moved} of ${rows} rows moved more than 0.05`);
});

search('rho 0 leaves the vectors as they are; bad options are typed errors', () => {
  const net = Mlp.create([3, 4, 1], { head: 'sigmoid', seed: 1 });
  const v = new Float32Array([0.7, 0.2, 0.1, 0.2, 0.5, 0.3]);
  assert.equal(Array.from(adversarialSearch(net, v, [1, 0], { rho: 0 })), Array.from(v));
  throwsTyped(() => adversarialSearch(net, v, [1, 0], { rho: -0.1 }), MemGuardInputError, /rho/);
  throwsTyped(() => adversarialSearch(net, v, [1, 0], { rho: 0.1, steps: 0 }), MemGuardInputError, /steps/);
  throwsTyped(() => adversarialSearch(net, v, [1], { rho: 0.1 }), MemGuardInputError, /isMember/);
});

search.run();

const training = suite('NN-AT training');

const rng = new Random(21);
const members = vectors(rng, 60, 5), nonMembers = vectors(rng, 60, 5);
const small = { hidden: [16, 8], epochs: 6, batchSize: 16, learningRate: 0.05, seed: 4 };

training('deterministic for a seed, different across seeds', () => {
  const a = trainAdversarialNnAttack(members, nonMembers, 5, { ...small, rho: 0.3 });
  const b = trainAdversarialNnAttack(members, nonMembers, 5, { ...small, rho: 0.3 });
  const c = trainAdversarialNnAttack(members, nonMembers, 5, { ...small, rho: 0.3, seed: 5 });
  const flat = (m: Mlp) => m.parameters().flatMap((l) => [...l.weight, ...l.bias]);
  assert.equal(flat(a), flat(b));
  assert.not.equal(flat(a), flat(c));
});

training('with rho 0 it is the plain NN attack, bit for bit; with rho > 0 it is not', () => {
  const schedule = { milestones: [3], gamma: 0.1 };
  const plain = trainNnAttack(members, nonMembers, 5, { ...small, schedule, optimizer: 'sgd' });
  const zero = trainAdversarialNnAttack(members, nonMembers, 5, { ...small, schedule, rho: 0 });
  const adversarial = trainAdversarialNnAttack(members, nonMembers, 5, { ...small, schedule, rho: 0.3 });
  const flat = (m: Mlp) => m.parameters().flatMap((l) => [...l.weight, ...l.bias]);
  assert.equal(flat(zero), flat(plain));
  assert.not.equal(flat(adversarial), flat(plain));
});

training.run();
