// NN-R (design §11): scores rounded to 1 and 2 decimals, in training and in inference.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { roundedNnAttack, roundScores, trainRoundedNnAttack } from '../../src/attacks/nnRounded.js';
import { trainNnAttack } from '../../src/attacks/nnAttack.js';
import { MemGuardInputError } from '../../src/errors.js';
import type { Mlp } from '../../src/nn/mlp.js';
import { throwsTyped } from '../helpers.js';

const test = suite('NN-R');

test('roundScores rounds to the given decimals, half away from zero', () => {
  const r1 = roundScores([0.04, 0.15, 0.81, 0.449, 0.95, 1], 1);
  assert.equal(Array.from(r1), [0, 0.2, 0.8, 0.4, 1, 1].map(Math.fround));
  const r2 = roundScores([0.004, 0.125, 0.8149, 0.999], 2);
  assert.equal(Array.from(r2), [0, 0.13, 0.81, 1].map(Math.fround));
  throwsTyped(() => roundScores([0.5], 1.5), MemGuardInputError, /decimals/);
  throwsTyped(() => roundScores([0.5], -1), MemGuardInputError, /decimals/);
});

const members = [[0.93, 0.05, 0.02], [0.88, 0.1, 0.02], [0.97, 0.02, 0.01], [0.05, 0.91, 0.04]];
const nonMembers = [[0.52, 0.41, 0.07], [0.44, 0.36, 0.2], [0.3, 0.61, 0.09], [0.38, 0.33, 0.29]];
const options = { hidden: [8], epochs: 20, learningRate: 0.1, seed: 2 };
const flat = (m: Mlp) => m.parameters().flatMap((l) => [...l.weight, ...l.bias]);

test('trains the NN attack on rounded shadow vectors', () => {
  const r = trainRoundedNnAttack(members, nonMembers, 3, 1, options);
  const onRounded = trainNnAttack(roundScores(members.flat(), 1), roundScores(nonMembers.flat(), 1), 3, options);
  const onRaw = trainNnAttack(members, nonMembers, 3, options);
  assert.equal(flat(r.model), flat(onRounded));
  assert.not.equal(flat(r.model), flat(onRaw));
});

test('inference rounds: vectors equal after rounding get equal scores, others do not', () => {
  const one = trainRoundedNnAttack(members, nonMembers, 3, 1, options);
  const two = trainRoundedNnAttack(members, nonMembers, 3, 2, options);
  const a = new Float32Array([0.71, 0.2, 0.09]), b = new Float32Array([0.74, 0.17, 0.09]);
  const s1 = roundedNnAttack(one, new Float32Array([...a, ...b]));
  assert.is(s1.attack, 'nn-r1');
  assert.is(s1.scores[0], s1.scores[1]); // both round to [0.7, 0.2, 0.1]
  const s2 = roundedNnAttack(two, new Float32Array([...a, ...b]));
  assert.is(s2.attack, 'nn-r2');
  assert.is.not(s2.scores[0], s2.scores[1]);
});

test.run();
