// Each design §10 recipe shows its defining effect on small data, every recipe is deterministic for a
// seed, and trainTarget rejects bad calls before training.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hampLabel } from '../../src/defenses/hamp.js';
import { loadPredictor, serializePredictor, StackedModel } from '../../src/defenses/predictor.js';
import { DEFENSE_NAMES, DEFENSES } from '../../src/defenses/registry.js';
import { selenaExclusions } from '../../src/defenses/selena.js';
import { trainTarget, type TrainTargetOptions } from '../../src/defenses/train.js';
import { MemGuardInputError } from '../../src/errors.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';
import { allClose } from '../helpers.js';
import { accuracy, D, heldOut, K, members, reference, TINY } from './data.js';

const test = suite('defenses: recipes');

const base = (defense: TrainTargetOptions['defense'], params: Record<string, number> = {}, extra: Partial<TrainTargetOptions> = {}): TrainTargetOptions => ({
  defense, params, d: D, classes: K, members, reference, training: TINY, seed: 7, ...extra,
});

async function rejects(p: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, MemGuardInputError, `expected MemGuardInputError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected a rejection matching ${message}`);
}

function weightNorm(m: Mlp): number {
  let s = 0;
  for (const l of m.parameters()) for (const w of l.weight) s += w * w;
  return Math.sqrt(s);
}

test('the registry has every design §10 defense under its CLI name, each knob default inside its range', () => {
  assert.equal([...DEFENSE_NAMES], ['none', 'l2', 'dropout', 'label-smoothing', 'confidence-penalty', 'early-stopping', 'advreg',
    'dp-sgd', 'relaxloss', 'hamp', 'selena', 'dmp', 'stacking']);
  for (const name of DEFENSE_NAMES) {
    const r = DEFENSES[name];
    assert.is(r.name, name);
    assert.ok(r.description.length > 10, name);
    for (const k of r.knobs) {
      if (k.default === undefined) continue;
      assert.ok(k.grid.length === 0 || k.grid.includes(k.default), `${name} ${k.name}: default ${k.default} not in its grid`);
    }
  }
  assert.equal(DEFENSES.l2.knobs[0]!.grid, [1e-4, 1e-3, 5e-3, 1e-2, 5e-2]);
  assert.equal(DEFENSES['dp-sgd'].knobs.find((k) => k.name === 'targetEpsilon')!.grid, [1, 2, 4, 8, 16, 50]);
});

test('HAMP labels for k = 30, gamma = 0.5 are 0.68 / 0.011034, and one step less is below gamma ln k', () => {
  const { top, other } = hampLabel(30, 0.5);
  assert.ok(Math.abs(top - 0.68) < 1e-12, `top ${top}`);
  assert.ok(Math.abs(other - 0.011034) < 1e-6, `other ${other}`);
  const H = (t: number, o: number) => -t * Math.log(t) - 29 * o * Math.log(o);
  assert.ok(H(top, other) >= 0.5 * Math.log(30));
  assert.ok(H(top + 0.01, (1 - top - 0.01) / 29) < 0.5 * Math.log(30));
  assert.equal(hampLabel(30, 0), { top: 1, other: 0 });
});

test('SELENA: every member is left out of exactly L sub-models, chosen without repetition', () => {
  const mask = selenaExclusions(200, 25, 10, new Random(3));
  for (let i = 0; i < 200; i++) {
    let c = 0;
    for (let j = 0; j < 25; j++) c += mask[i * 25 + j]!;
    assert.is(c, 10, `member ${i}`);
  }
  // Not the same models for everyone.
  assert.not.equal(Array.from(mask.subarray(0, 25)), Array.from(mask.subarray(25, 50)));
});

test('SELENA: a member\'s soft label is the mean of exactly the sub-models that did not train on it', async () => {
  const out = await trainTarget(base('selena', { K: 5, L: 2 }));
  try {
    const { trainedOn, teacherOutputs, softLabels } = out.details;
    assert.is(trainedOn!.length, 5);
    for (let i = 0; i < members.y.length; i++) {
      const notTrained = trainedOn!.map((rows, j) => (rows.includes(i) ? -1 : j)).filter((j) => j >= 0);
      assert.is(notTrained.length, 2, `member ${i} was left out of ${notTrained.length} sub-models`);
      const expected = new Float32Array(K);
      for (const j of notTrained) for (let c = 0; c < K; c++) expected[c]! += teacherOutputs![j]![i * K + c]! / 2;
      allClose(softLabels!.subarray(i * K, (i + 1) * K), expected, 1e-6, 1e-7, `soft label of member ${i}`);
    }
  } finally {
    out.model.dispose();
  }
});

test('stacking: three disjoint parts covering the members; the stacked model predicts, saves and loads', async () => {
  const out = await trainTarget(base('stacking'));
  try {
    const parts = out.details.trainedOn!;
    assert.is(parts.length, 3);
    const seen = new Uint8Array(members.y.length);
    for (const p of parts) {
      assert.ok(Math.abs(p.length - members.y.length / 3) <= 1, `part of ${p.length} rows`);
      for (const r of p) { assert.is(seen[r], 0, `row ${r} in two parts`); seen[r] = 1; }
    }
    assert.ok(seen.every((s) => s === 1), 'every member is in a part');
    assert.instance(out.model, StackedModel);
    const p = out.model.predict(heldOut.x);
    for (let r = 0; r < 5; r++) assert.ok(Math.abs(p.subarray(r * K, (r + 1) * K).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    const back = loadPredictor(serializePredictor(out.model));
    assert.equal(Array.from(back.predict(heldOut.x)), Array.from(p));
    back.dispose();
  } finally {
    out.model.dispose();
  }
});

test('L2 shrinks the weight norm as lambda grows', async () => {
  const norms: number[] = [];
  for (const lambda of [0, 1e-2, 5e-2, 2e-1]) {
    const out = await trainTarget(base('l2', { lambda }, { training: { ...TINY, epochs: 30 } }));
    norms.push(weightNorm(out.model as Mlp));
    out.model.dispose();
  }
  for (let i = 1; i < norms.length; i++) assert.ok(norms[i]! < norms[i - 1]!, `norms ${norms.join(', ')}`);
});

test('dropout is off at inference: the same answers twice, equal to the same weights without dropout', async () => {
  const out = await trainTarget(base('dropout', { rate: 0.5 }));
  const plain = Mlp.fromParameters((out.model as Mlp).parameters());
  try {
    const a = out.model.predict(heldOut.x), b = out.model.predict(heldOut.x);
    assert.equal(Array.from(a), Array.from(b));
    assert.equal(Array.from(a), Array.from(plain.predict(heldOut.x)));
    // And dropout did train differently from no dropout at the same seed.
    const none = await trainTarget(base('none'));
    assert.not.equal(Array.from(none.model.predict(heldOut.x)), Array.from(a));
    none.model.dispose();
  } finally {
    out.model.dispose(); plain.dispose();
  }
});

test('label smoothing trains on (1 - eps + eps/k, eps/k) targets and lowers the members\' top confidence', async () => {
  const ls = await trainTarget(base('label-smoothing', { smoothing: 0.3 }, { training: { ...TINY, epochs: 40 } }));
  const none = await trainTarget(base('none', {}, { training: { ...TINY, epochs: 40 } }));
  try {
    const soft = ls.details.softLabels!;
    assert.ok(Math.abs(soft[members.y[0]!]! - (0.7 + 0.3 / K)) < 1e-6);
    assert.ok(Math.abs(soft[(members.y[0]! + 1) % K]! - 0.3 / K) < 1e-6);
    const top = (p: Float32Array) => { let s = 0; for (let r = 0; r < members.y.length; r++) s += Math.max(...p.subarray(r * K, (r + 1) * K)); return s / members.y.length; };
    const a = top(ls.model.predict(members.x)), b = top(none.model.predict(members.x));
    assert.ok(a < b && a <= 0.7 + 0.3 / K + 0.05, `top confidence ${a} (smoothed) vs ${b}`);
  } finally {
    ls.model.dispose(); none.model.dispose();
  }
});

test('confidence penalty raises the entropy of the members\' outputs', async () => {
  const entropy = (p: Float32Array) => { let h = 0; for (const v of p) if (v > 0) h -= v * Math.log(v); return h / members.y.length; };
  const cp = await trainTarget(base('confidence-penalty', { alpha: 2 }, { training: { ...TINY, epochs: 40 } }));
  const none = await trainTarget(base('none', {}, { training: { ...TINY, epochs: 40 } }));
  try {
    const a = entropy(cp.model.predict(members.x)), b = entropy(none.model.predict(members.x));
    assert.ok(a > b + 0.1, `entropy ${a} with the penalty vs ${b}`);
  } finally {
    cp.model.dispose(); none.model.dispose();
  }
});

test('early stopping trains exactly its epochs on the undefended schedule', async () => {
  const out = await trainTarget(base('early-stopping', { epochs: 3 }));
  assert.is(out.details.loss!.length, 3);
  assert.is(out.params.epochs, 3);
  assert.equal(out.params.learningRateMilestones, [8]);
  out.model.dispose();
});

test('RelaxLoss holds the mean training loss near alpha where the undefended loss falls far below it', async () => {
  const training = { ...TINY, epochs: 60, milestones: [] };
  const relaxed = await trainTarget(base('relaxloss', { alpha: 0.8 }, { training }));
  const none = await trainTarget(base('none', {}, { training }));
  try {
    const tail = (l: number[]) => l.slice(-10).reduce((a, b) => a + b, 0) / 10;
    const r = tail(relaxed.details.loss!), n = tail(none.details.loss!);
    assert.ok(Math.abs(r - 0.8) < 0.2, `RelaxLoss mean loss ${r}, alpha 0.8`);
    assert.ok(n < 0.5, `undefended mean loss ${n}`);
  } finally {
    relaxed.model.dispose(); none.model.dispose();
  }
});

test('DP-SGD reports an epsilon within 0.5 % of its target and every accounting field', async () => {
  for (const targetEpsilon of [2, 8]) {
    const out = await trainTarget(base('dp-sgd', { targetEpsilon }));
    const dp = out.dp!;
    assert.ok(Math.abs(dp.epsilon - targetEpsilon) / targetEpsilon < 0.005, `epsilon ${dp.epsilon} for target ${targetEpsilon}`);
    assert.is(dp.delta, 1e-5);
    assert.is(dp.clip, 1);
    assert.ok(Math.abs(dp.sampleRate - 16 / 60) < 1e-12);
    assert.ok(dp.noiseMultiplier > 0 && dp.steps > 0);
    assert.is(out.params.noiseMultiplier, dp.noiseMultiplier);
    out.model.dispose();
  }
  const fixed = await trainTarget(base('dp-sgd', { noiseMultiplier: 1.5 }));
  assert.is(fixed.dp!.noiseMultiplier, 1.5);
  assert.is(fixed.params.targetEpsilon, undefined);
  fixed.model.dispose();
});

test('DMP never sees member labels: the student is the same whatever the reference labels, and learns the teacher\'s outputs', async () => {
  const a = await trainTarget(base('dmp'));
  const scrambled = { x: reference.x, y: reference.y.map((v) => (v + 1) % K) };
  const b = await trainTarget(base('dmp', {}, { reference: scrambled }));
  try {
    assert.equal(Array.from(a.model.predict(heldOut.x)), Array.from(b.model.predict(heldOut.x)));
    assert.is(a.details.softLabels!.length, reference.y.length * K, 'soft labels are for the reference rows only');
  } finally {
    a.model.dispose(); b.model.dispose();
  }
});

test('AdvReg trains its rounds and its privacy term changes the classifier', async () => {
  const params = { hBatches: 3, classifierBatches: 2 };
  const training = { ...TINY, epochs: 6 };
  const on = await trainTarget(base('advreg', { alpha: 3, ...params }, { training }));
  const off = await trainTarget(base('advreg', { alpha: 0, ...params }, { training }));
  try {
    assert.is(on.details.loss!.length, 6);
    assert.not.equal(Array.from(on.model.predict(heldOut.x)), Array.from(off.model.predict(heldOut.x)));
  } finally {
    on.model.dispose(); off.model.dispose();
  }
});

const SMALL: Record<string, Record<string, number>> = { selena: { K: 4, L: 2 }, advreg: { hBatches: 2, classifierBatches: 1 }, 'early-stopping': { epochs: 4 } };

for (const name of DEFENSE_NAMES) {
  test(`${name}: the same seed gives the same model, another seed another; progress reported`, async () => {
    const training = { ...TINY, epochs: 4 };
    const events: Array<{ stage: string; done: number; total: number }> = [];
    const a = await trainTarget(base(name, SMALL[name] ?? {}, { training, onProgress: (e) => events.push(e) }));
    const b = await trainTarget(base(name, SMALL[name] ?? {}, { training }));
    const c = await trainTarget(base(name, SMALL[name] ?? {}, { training, seed: 8 }));
    try {
      const pa = Array.from(a.model.predict(heldOut.x));
      assert.equal(Array.from(b.model.predict(heldOut.x)), pa);
      assert.not.equal(Array.from(c.model.predict(heldOut.x)), pa);
      assert.ok(events.length > 0 && events.every((e) => e.done >= 1 && e.done <= e.total), `${events.length} progress events`);
      assert.ok(accuracy(a.model.predict(members.x), members.y) >= 0, 'predicts');
      assert.is(a.params.seed, 7);
      for (const k of DEFENSES[name].knobs) if (k.default !== undefined && !(name === 'dp-sgd' && k.name === 'noiseMultiplier')) assert.ok(k.name in a.params, `${name} params has ${k.name}`);
    } finally {
      a.model.dispose(); b.model.dispose(); c.model.dispose();
    }
  });
}

test('trainTarget: a bad call fails before training, naming what is wrong', async () => {
  await rejects(trainTarget(base('nope' as never)), /unknown defense "nope"/);
  await rejects(trainTarget(base('l2', { lamda: 1 })), /l2 has no parameter "lamda"; its parameters: lambda/);
  await rejects(trainTarget(base('dropout', { rate: 1.5 })), /dropout rate must be .*<= 0\.99, got 1\.5/);
  await rejects(trainTarget(base('selena', { K: 2.5 })), /selena K must be an integer/);
  await rejects(trainTarget(base('dmp', {}, { reference: undefined })), /dmp needs reference rows/);
  await rejects(trainTarget(base('none', {}, { members: { x: members.x, y: members.y.map(() => 9) } })), /label 9 is outside 0\.\.3/);
  await rejects(trainTarget(base('none', {}, { training: { ...TINY, epochs: 0 } })), /epochs must be an integer >= 1/);
});

test.run();
