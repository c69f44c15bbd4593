// The predictor interface's files: a stacked model saves and loads bit for bit, a plain MLP file
// still loads, and a bad stacked-model file fails with a typed error naming the part.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPredictor, serializePredictor, sideBySide, StackedModel } from '../../src/defenses/predictor.js';
import { MemGuardFormatError, MemGuardInputError } from '../../src/errors.js';
import { Mlp } from '../../src/nn/mlp.js';
import { serializeModel } from '../../src/nn/modelFile.js';
import { randomArray, throwsTyped } from '../helpers.js';

const test = suite('defenses: predictor files');
const x = randomArray(5 * 4, 3, 0, 1);

test('a stacked model answers from its second level on the first level\'s probabilities side by side', () => {
  const a = Mlp.create([4, 6, 3], { seed: 1 }), b = Mlp.create([4, 3], { seed: 2 }), top = Mlp.create([6, 3], { seed: 3 });
  const stacked = new StackedModel([a, b], top);
  const inner = sideBySide([a, b], x);
  const pa = a.predict(x);
  for (let r = 0; r < 5; r++) for (let j = 0; j < 3; j++) assert.is(inner[r * 6 + j], pa[r * 3 + j]);
  assert.equal(Array.from(stacked.predict(x)), Array.from(top.predict(inner)));
  assert.equal(Array.from(stacked.logits(x)), Array.from(top.logits(inner)));
  const back = loadPredictor(serializePredictor(stacked));
  assert.instance(back, StackedModel);
  assert.equal(Array.from(back.predict(x)), Array.from(stacked.predict(x)));
  back.dispose(); stacked.dispose();
});

test('an MLP model file loads as an Mlp predictor', () => {
  const m = Mlp.create([4, 3], { seed: 5 });
  const back = loadPredictor(serializeModel(m));
  assert.instance(back, Mlp);
  assert.equal(Array.from(back.predict(x)), Array.from(m.predict(x)));
  back.dispose(); m.dispose();
});

test('bad stacked files and shapes fail with typed errors naming the problem', () => {
  const part = JSON.parse(serializeModel(Mlp.create([4, 3], { seed: 1 })));
  const wide = JSON.parse(serializeModel(Mlp.create([5, 3], { seed: 1 })));
  throwsTyped(() => loadPredictor('{"format":"memguard-stack","version":2}'), MemGuardFormatError, /"version" 2 is not supported/);
  throwsTyped(() => loadPredictor({ format: 'memguard-stack', version: 1, levelOne: [] }), MemGuardFormatError, /"levelOne" must be a non-empty array/);
  throwsTyped(() => loadPredictor({ format: 'memguard-stack', version: 1, levelOne: [part, { format: 'x' }], levelTwo: part }), MemGuardFormatError, /levelOne\[1\]: model file: "format"/);
  throwsTyped(() => loadPredictor({ format: 'memguard-stack', version: 1, levelOne: [part, part], levelTwo: wide }), MemGuardFormatError, /second-level model takes 5 inputs; the first-level models give 6/);
  throwsTyped(() => new StackedModel([Mlp.create([4, 3]), Mlp.create([2, 3])], Mlp.create([6, 3])), MemGuardInputError, /first-level model 1 takes 2 inputs, model 0 takes 4/);
});

test.run();
