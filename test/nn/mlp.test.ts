import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import ndarray from 'ndarray';
import '../../src/ndarray.js'; // registers ndarray as the factory for ndarray results
import { MemGuardFormatError, MemGuardInputError } from '../../src/errors.js';
import { Mlp } from '../../src/nn/mlp.js';
import { loadModel, parseModel, serializeModel } from '../../src/nn/modelFile.js';
import { Random } from '../../src/random.js';
import { loadEngine } from '../../src/wasm/engine.js';
import { allClose, randomArray, throwsTyped } from '../helpers.js';

const t = suite('Mlp');

/** Two Gaussian blobs in d dimensions, means +-1 on every axis: linearly separable with margin. */
function blobs(n: number, d: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Random(seed);
  const x = new Float32Array(n * d), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let j = 0; j < d; j++) {
      const gauss = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      x[i * d + j] = (y[i] ? 1 : -1) + 0.7 * gauss;
    }
  }
  return { x, y };
}

t('inputGradient matches central differences of the logits', () => {
  for (const head of ['sigmoid', 'softmax'] as const) {
    const mlp = Mlp.create([6, 16, 8, head === 'sigmoid' ? 1 : 4], { head, hidden: 'relu', seed: 3 });
    const x = randomArray(3 * 6, 11, -1, 1);
    const weights = randomArray(3 * mlp.outputSize, 12);
    const g = mlp.inputGradient(x, { logitWeights: weights });
    const objective = (xx: Float32Array) => {
      const z = mlp.logits(xx);
      let s = 0;
      for (let i = 0; i < z.length; i++) s += z[i]! * weights[i]!;
      return s;
    };
    const h = 1e-2;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      x[i] = v + h; const up = objective(x);
      x[i] = v - h; const down = objective(x);
      x[i] = v;
      const numeric = (up - down) / (2 * h);
      assert.ok(Math.abs(numeric - g[i]!) < 2e-3 + 2e-2 * Math.abs(numeric), `${head} x[${i}]: ${g[i]} vs ${numeric}`);
    }
    // One logit is the same as weights that pick it.
    const one = mlp.inputGradient(x, { logit: mlp.outputSize - 1 });
    const pick = new Float32Array(3 * mlp.outputSize);
    for (let r = 0; r < 3; r++) pick[r * mlp.outputSize + mlp.outputSize - 1] = 1;
    allClose(one, mlp.inputGradient(x, { logitWeights: pick }), 0, 0, 'logit vs logitWeights');
    mlp.dispose();
  }
});

t('fit: parameter gradients drive the loss down and separate two blobs (softmax and sigmoid heads)', () => {
  const { x, y } = blobs(400, 5, 1);
  const soft = Mlp.create([5, 32, 2], { seed: 1 });
  const { loss } = soft.fit(x, y, { epochs: 20, learningRate: 0.1, seed: 2 });
  assert.ok(loss[loss.length - 1]! < loss[0]! * 0.5, `loss ${loss[0]} -> ${loss[loss.length - 1]}`);
  const p = soft.predict(x);
  let correct = 0;
  for (let i = 0; i < 400; i++) correct += Number((p[2 * i + 1]! > p[2 * i]!) === (y[i] === 1));
  assert.ok(correct / 400 > 0.95, `softmax accuracy ${correct / 400}`);

  const sig = Mlp.create([5, 32, 1], { head: 'sigmoid', seed: 1 });
  sig.fit(x, Float32Array.from(y), { epochs: 20, learningRate: 0.1, seed: 2, optimizer: { type: 'sgd', momentum: 0.9 } });
  const q = sig.predict(x);
  correct = 0;
  for (let i = 0; i < 400; i++) correct += Number((q[i]! > 0.5) === (y[i] === 1));
  assert.ok(correct / 400 > 0.95, `sigmoid accuracy ${correct / 400}`);
  soft.dispose(); sig.dispose();
});

t('fit is reproducible from its seed and reports every epoch', () => {
  const { x, y } = blobs(100, 3, 4);
  const seen: number[] = [];
  const a = Mlp.create([3, 8, 2], { seed: 9 }), b = Mlp.create([3, 8, 2], { seed: 9 });
  a.fit(x, y, { epochs: 3, seed: 5, optimizer: 'adam', learningRate: 0.01, onEpoch: (i) => seen.push(i.epoch) });
  b.fit(x, y, { epochs: 3, seed: 5, optimizer: 'adam', learningRate: 0.01 });
  assert.equal(seen, [1, 2, 3]);
  assert.equal(Array.from(a.predict(x)), Array.from(b.predict(x)));
  a.dispose(); b.dispose();
});

t('step schedule multiplies the rate after each milestone', () => {
  const { x, y } = blobs(64, 3, 4);
  const rates: number[] = [];
  const m = Mlp.create([3, 4, 2]);
  m.fit(x, y, { epochs: 5, learningRate: 0.5, schedule: { milestones: [2, 4], gamma: 0.1 }, onEpoch: (i) => rates.push(i.learningRate) });
  allClose(rates, [0.5, 0.5, 0.05, 0.05, 0.005], 1e-12, 0, 'rates');
  m.dispose();
});

t('ndarray in gives ndarray out; strided ndarrays and arrays of rows are read correctly', () => {
  const m = Mlp.create([3, 5, 2], { seed: 2 });
  const flat = randomArray(12, 1);
  const expected = m.predict(flat);
  const nd = m.predict(ndarray(flat, [4, 3]));
  assert.equal(nd.shape, [4, 2]);
  allClose(nd.data as Float32Array, expected, 0, 0, 'ndarray');
  const transposed = ndarray(new Float32Array(12), [3, 4]);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 3; c++) transposed.set(c, r, flat[r * 3 + c]!);
  allClose(m.predict(transposed.transpose(1, 0)).data as Float32Array, expected, 0, 0, 'strided');
  const rows = [0, 1, 2, 3].map((r) => Array.from(flat.subarray(r * 3, r * 3 + 3)));
  allClose(m.predict(rows), expected, 0, 0, 'array of rows');
  m.dispose();
});

t('save -> load gives identical predictions', () => {
  const m = Mlp.create([7, 9, 4, 3], { seed: 5, hidden: 'sigmoid' });
  const x = randomArray(20 * 7, 3);
  const copy = loadModel(serializeModel(m));
  assert.equal(copy.layers, m.layers);
  assert.equal(Array.from(copy.predict(x)), Array.from(m.predict(x)));
  m.dispose(); copy.dispose();
});

t('corrupt or mismatched model files name the first problem', () => {
  const good = JSON.parse(serializeModel(Mlp.create([2, 3, 2], { seed: 1 })));
  const broken = (edit: (d: any) => void) => { const d = structuredClone(good); edit(d); return d; };
  throwsTyped(() => parseModel('{"format": "memguard-mlp", '), MemGuardFormatError, /not valid JSON/);
  throwsTyped(() => parseModel(broken((d) => { d.format = 'keras'; })), MemGuardFormatError, /"format" must be "memguard-mlp"/);
  throwsTyped(() => parseModel(broken((d) => { d.version = 2; })), MemGuardFormatError, /"version" 2 is not supported/);
  throwsTyped(() => parseModel(broken((d) => { d.layers = []; })), MemGuardFormatError, /non-empty array/);
  throwsTyped(() => parseModel(broken((d) => { d.layers[0].weight.pop(); })), MemGuardFormatError, /layers\[0\]\.weight has 5 values, expected 6/);
  throwsTyped(() => parseModel(broken((d) => { d.layers[1].bias[1] = null; })), MemGuardFormatError, /layers\[1\]\.bias\[1\] is null/);
  throwsTyped(() => parseModel(broken((d) => { d.layers[1].in = 4; })), MemGuardFormatError, /layers\[1\]\.in is 4 but layers\[0\]\.out is 3/);
  throwsTyped(() => parseModel(broken((d) => { d.layers[0].activation = 'gelu'; })), MemGuardFormatError, /layers\[0\]\.activation/);
  throwsTyped(() => parseModel(broken((d) => { d.layers[0].out = 0; })), MemGuardFormatError, /layers\[0\]\.out must be a positive integer/);
});

t('memory growth mid-session keeps predictions, gradients and training correct', () => {
  const engine = loadEngine();
  const m = Mlp.create([4, 6, 3], { seed: 1, engine });
  const x = randomArray(8 * 4, 2);
  const before = m.predict(x), gradBefore = m.inputGradient(x, { logit: 1 });
  const buffer = engine.abi.memory.buffer;
  const hog = engine.alloc(8 << 20); // 32 MiB: forces memory.grow, detaching old views
  assert.is.not(engine.abi.memory.buffer, buffer);
  allClose(m.predict(x), before, 0, 0, 'predict after growth');
  allClose(m.inputGradient(x, { logit: 1 }), gradBefore, 0, 0, 'gradient after growth');
  engine.release(hog);
  const twin = Mlp.create([4, 6, 3], { seed: 1, engine: loadEngine() });
  const y = Int32Array.from({ length: 8 }, (_, i) => i % 3);
  // Training allocates its own scratch (growing again here); results equal a twin's without growth.
  const hog2 = engine.alloc(16 << 20);
  m.fit(x, y, { epochs: 2, seed: 1 });
  twin.fit(x, y, { epochs: 2, seed: 1 });
  allClose(m.predict(x), twin.predict(x), 0, 0, 'fit after growth');
  engine.release(hog2);
});

t('bad shapes, NaN/Inf and label ranges raise typed errors naming the problem', () => {
  const m = Mlp.create([3, 4, 2]);
  throwsTyped(() => m.predict(new Float32Array(7)), MemGuardInputError, /flat length 7 is not a multiple of 3/);
  throwsTyped(() => m.predict([[1, 2, 3], [1, 2]]), MemGuardInputError, /row 1 has 2 values, expected 3/);
  throwsTyped(() => m.predict(Float32Array.of(1, 2, 3, 4, NaN, 6)), MemGuardInputError, /row 1, column 1 is NaN/);
  throwsTyped(() => m.predict(ndarray(new Float32Array(8), [2, 4])), MemGuardInputError, /expected 3 columns, got shape \[2,4\]/);
  throwsTyped(() => m.fit([[1, 2, Infinity]], [0], { epochs: 1 }), MemGuardInputError, /row 0, column 2 is Infinity/);
  throwsTyped(() => m.fit([[1, 2, 3]], [2], { epochs: 1 }), MemGuardInputError, /row 0 is 2, expected an integer label in 0\.\.1/);
  throwsTyped(() => m.fit([[1, 2, 3]], [0, 1], { epochs: 1 }), MemGuardInputError, /has 2 entries, expected 1/);
  throwsTyped(() => m.fit([[1, 2, 3]], [0], { epochs: 1, batchSize: 0 }), MemGuardInputError, /batchSize must be a positive integer/);
  throwsTyped(() => m.inputGradient([[1, 2, 3]], { logit: 2 }), MemGuardInputError, /logit 2 is outside 0\.\.1/);
  throwsTyped(() => Mlp.create([3, 4, 2], { hidden: 'gelu' as never }), MemGuardInputError, /unknown activation "gelu"/);
  const sig = Mlp.create([3, 1], { head: 'sigmoid' });
  throwsTyped(() => sig.fit([[1, 2, 3]], [1.5], { epochs: 1 }), MemGuardInputError, /row 0 is 1.5, expected a target in \[0, 1\]/);
  m.dispose();
  throwsTyped(() => m.predict([[1, 2, 3]]), MemGuardInputError, /used after dispose/);
  // A failed call leaves the engine usable and its heap as it was.
  const used = sig.engine.heap.bytesInUse;
  throwsTyped(() => sig.fit([[1, 2, NaN]], [1], { epochs: 1 }), MemGuardInputError, /NaN/);
  assert.is(sig.engine.heap.bytesInUse, used);
  assert.ok(sig.predict([[1, 2, 3]])[0]! > 0);
});

t.run();
