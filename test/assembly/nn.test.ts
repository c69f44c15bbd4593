// The NN kernels of assembly/nn and assembly/blas/vector.ts against their plain-JS twins, on every
// build the runtime validates and ragged sizes, plus finite-difference checks of every backward pass and loss gradient.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as ref from '../../src/reference/nn.js';
import { mlpBackward as refBackward, mlpForward as refForward, type ReferenceLayer } from '../../src/reference/mlp.js';
import { loadEngine, relaxedSimdSupported, simdSupported, type Engine, type ResolvedBuild } from '../../src/wasm/engine.js';
import { allClose, randomArray } from '../helpers.js';

const builds: ResolvedBuild[] = [...(relaxedSimdSupported() ? ['relaxed' as const] : []), ...(simdSupported() ? ['simd' as const] : []), 'scalar'];
const SIZES = [1, 3, 4, 5, 17, 63, 65, 1000];

/** Copies arrays into fresh WASM blocks, runs fn with their pointers, returns the blocks' contents. */
function run(e: Engine, inputs: Array<Float32Array | Int32Array>, fn: (...p: number[]) => number | void): { out: Float32Array[]; ret: number | void } {
  const ptrs = inputs.map((a) => {
    const p = e.alloc(Math.max(a.length, 1));
    if (a instanceof Int32Array) e.i32.set(a, p >>> 2);
    else e.writeF32(p, a);
    return p;
  });
  const ret = fn(...ptrs);
  const out = ptrs.map((p, i) => e.readF32(p, inputs[i]!.length));
  ptrs.forEach((p) => e.release(p));
  return { out, ret };
}

for (const build of builds) {
  const t = suite(`nn kernels (${build})`);
  const e = loadEngine({ build });

  t('relu, sigmoid, tanh forward/backward match the reference', () => {
    for (const n of SIZES) {
      const x = randomArray(n, n, -3, 3), dy = randomArray(n, n + 1);
      for (const [fwd, bwd, rf, rb] of [
        ['reluForward', 'reluBackward', ref.reluForward, ref.reluBackward],
        ['sigmoidForward', 'sigmoidBackward', ref.sigmoidForward, ref.sigmoidBackward],
        ['tanhForward', 'tanhBackward', ref.tanhForward, ref.tanhBackward],
      ] as const) {
        const y = new Float32Array(n); rf(n, x, y);
        const dx = new Float32Array(n); rb(n, y, dy, dx);
        const w = run(e, [x, new Float32Array(n)], (px, py) => (e.abi as any)[fwd](n, px, py)).out[1]!;
        allClose(w, y, 1e-6, 1e-7, `${fwd} n=${n}`);
        const wb = run(e, [y, dy, new Float32Array(n)], (py, pdy, pdx) => (e.abi as any)[bwd](n, py, pdy, pdx)).out[2]!;
        allClose(wb, dx, 1e-6, 1e-7, `${bwd} n=${n}`);
      }
    }
  });

  t('softmax forward/backward match the reference, rows sum to 1', () => {
    for (const [rows, cols] of [[1, 1], [3, 5], [17, 30], [64, 2], [5, 100]] as const) {
      const x = randomArray(rows * cols, rows + cols, -20, 20), dy = randomArray(rows * cols, 7);
      const y = new Float32Array(rows * cols); ref.softmaxForward(rows, cols, x, y);
      const dx = new Float32Array(rows * cols); ref.softmaxBackward(rows, cols, y, dy, dx);
      const wy = run(e, [x, new Float32Array(rows * cols)], (px, py) => e.abi.softmaxForward(rows, cols, px, py)).out[1]!;
      allClose(wy, y, 1e-5, 1e-7, 'softmax');
      for (let r = 0; r < rows; r++) assert.ok(Math.abs(wy.subarray(r * cols, (r + 1) * cols).reduce((a, b) => a + b, 0) - 1) < 1e-5);
      const wdx = run(e, [y, dy, new Float32Array(rows * cols)], (py, pd, px) => e.abi.softmaxBackward(rows, cols, py, pd, px)).out[2]!;
      allClose(wdx, dx, 1e-4, 1e-6, 'softmax backward');
    }
  });

  t('losses match the reference (value and gradient), stable for huge logits', () => {
    for (const [rows, cols] of [[1, 2], [3, 30], [64, 30], [65, 7]] as const) {
      const logits = randomArray(rows * cols, rows, -50, 50);
      const labels = Int32Array.from(randomArray(rows, cols, 0, cols), Math.floor);
      const d = new Float32Array(rows * cols);
      const loss = ref.softmaxCrossEntropy(rows, cols, logits, labels, d);
      const w = run(e, [logits, labels, new Float32Array(rows * cols)], (pl, py, pd) => e.abi.softmaxCrossEntropy(rows, cols, pl, py, pd));
      assert.ok(Number.isFinite(w.ret as number));
      assert.ok(Math.abs((w.ret as number) - loss) <= 1e-4 * Math.max(1, loss), `CE ${w.ret} vs ${loss}`);
      allClose(w.out[2]!, d, 1e-4, 1e-7, 'CE gradient');
    }
    for (const n of SIZES) {
      const logits = randomArray(n, n, -100, 100), targets = randomArray(n, n + 3, 0, 1);
      const d = new Float32Array(n);
      const loss = ref.sigmoidBinaryCrossEntropy(n, logits, targets, d);
      const w = run(e, [logits, targets, new Float32Array(n)], (pl, pt, pd) => e.abi.sigmoidBinaryCrossEntropy(n, pl, pt, pd));
      assert.ok(Math.abs((w.ret as number) - loss) <= 1e-4 * Math.max(1, loss), `BCE ${w.ret} vs ${loss}`);
      allClose(w.out[2]!, d, 1e-4, 1e-7, 'BCE gradient');
    }
  });

  t('optimizers match the reference', () => {
    for (const n of SIZES) {
      const w0 = randomArray(n, n), g = randomArray(n, n + 1), v0 = randomArray(n, n + 2);
      for (const momentum of [0, 0.9]) {
        const w = w0.slice(), v = v0.slice();
        ref.sgdStep(n, w, g, v, 0.05, momentum);
        const out = run(e, [w0, g, v0], (pw, pg, pv) => e.abi.sgdStep(n, pw, pg, pv, 0.05, momentum)).out;
        allClose(out[0]!, w, 1e-6, 1e-7, `sgd momentum ${momentum}`);
        allClose(out[2]!, momentum ? v : v0, 1e-6, 1e-7, 'velocity');
      }
      const w = w0.slice(), m = new Float32Array(n), v = new Float32Array(n);
      for (let step = 1; step <= 3; step++) ref.adamStep(n, w, g, m, v, 0.01, 0.9, 0.999, 1e-8, step);
      const out = run(e, [w0, g, new Float32Array(n), new Float32Array(n)], (pw, pg, pm, pv) => {
        for (let step = 1; step <= 3; step++) e.abi.adamStep(n, pw, pg, pm, pv, 0.01, 0.9, 0.999, 1e-8, step);
      }).out;
      allClose(out[0]!, w, 1e-5, 1e-6, 'adam');
    }
  });

  t('row helpers match the reference', () => {
    for (const [rows, cols] of [[1, 1], [3, 5], [64, 30], [7, 129]] as const) {
      const x = randomArray(rows * cols, cols), bias = randomArray(cols, rows);
      const s = new Float32Array(cols); ref.columnSum(rows, cols, x, s);
      allClose(run(e, [x, new Float32Array(cols)], (px, ps) => e.abi.columnSum(rows, cols, px, ps)).out[1]!, s, 1e-5, 1e-6, 'columnSum');
      const y = new Float32Array(rows * cols); ref.broadcastRow(rows, cols, bias, y);
      allClose(run(e, [bias, new Float32Array(rows * cols)], (pb, py) => e.abi.broadcastRow(rows, cols, pb, py)).out[1]!, y, 0, 0, 'broadcastRow');
      const index = Int32Array.from({ length: 5 }, (_, i) => (i * 7) % rows);
      const gathered = run(e, [x, index, new Float32Array(5 * cols)], (px, pi, pd) => e.abi.gatherRows(cols, px, pi, 5, pd)).out[2]!;
      for (let i = 0; i < 5; i++) allClose(gathered.subarray(i * cols, (i + 1) * cols), x.subarray(index[i]! * cols, (index[i]! + 1) * cols), 0, 0, 'gatherRows');
    }
  });

  t('mlpForward / mlpBackward match the reference MLP', () => {
    const sizes = [13, 17, 5, 3];
    const acts = [1, 4, 3]; // relu, tanh hidden, softmax head (head applied outside)
    const layers: ReferenceLayer[] = sizes.slice(1).map((out, i) => ({
      in: sizes[i]!, out, activation: acts[i]!, weight: randomArray(sizes[i]! * out, 10 + i), bias: randomArray(out, 20 + i),
    }));
    for (const batch of [1, 4, 9]) {
      const x = randomArray(batch * 13, batch);
      const dLogits = randomArray(batch * 3, batch + 5);
      const rActs = refForward(layers, batch, x);
      const rGrads = refBackward(layers, batch, x, rActs, dLogits);
      const total = layers.reduce((n, l) => n + l.in * l.out + l.out, 0);
      const sumOut = layers.reduce((n, l) => n + l.out, 0);
      const width = 17;
      e.withScratch([total, total, 8 * layers.length, batch * 13, batch * sumOut, batch * 3, batch * 13, 2 * batch * width],
        (params, grads, desc, px, pActs, pD, pdx, scratch) => {
          let at = 0;
          layers.forEach((l, i) => {
            e.writeF32(params + at * 4, l.weight);
            e.writeF32(params + (at + l.in * l.out) * 4, l.bias);
            e.i32.set([l.in, l.out, l.activation, params + at * 4, params + (at + l.in * l.out) * 4,
              grads + at * 4, grads + (at + l.in * l.out) * 4, 0], (desc >>> 2) + 8 * i);
            at += l.in * l.out + l.out;
          });
          e.writeF32(px, x);
          e.writeF32(pD, dLogits);
          e.abi.mlpForward(desc, layers.length, batch, px, pActs);
          let off = 0;
          layers.forEach((l, i) => {
            allClose(e.readF32(pActs + off * 4, batch * l.out), rActs[i]!, 1e-5, 1e-6, `acts layer ${i}`);
            off += batch * l.out;
          });
          e.abi.mlpBackward(desc, layers.length, batch, px, pActs, pD, pdx, 1, scratch);
          allClose(e.readF32(pdx, batch * 13), rGrads.input, 1e-4, 1e-6, 'input gradient');
          at = 0;
          layers.forEach((l, i) => {
            allClose(e.readF32(grads + at * 4, l.in * l.out), rGrads.weight[i]!, 1e-4, 1e-6, `weight grad ${i}`);
            allClose(e.readF32(grads + (at + l.in * l.out) * 4, l.out), rGrads.bias[i]!, 1e-4, 1e-6, `bias grad ${i}`);
            at += l.in * l.out + l.out;
          });
        });
    }
  });

  t.run();
}

// Finite differences run on the WASM kernels themselves (SIMD build when available): each backward
// pass is checked against central differences of its own forward pass.
const fd = suite('finite-difference gradient checks');
const e = loadEngine();

/** Relative error ||a - b|| / max(||a||, ||b||). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i]! - b[i]!) ** 2; den = Math.max(den, a[i]! ** 2, b[i]! ** 2); }
  return Math.sqrt(num) / Math.max(Math.sqrt(den * a.length), 1e-12);
}

function numericGradient(f: (x: Float32Array) => number, x: Float32Array, h = 1e-2): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + h; const up = f(x);
    x[i] = v - h; const down = f(x);
    x[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

fd('activation backward passes', () => {
  const n = 12, rows = 3, cols = 4;
  const c = randomArray(n, 99);
  for (const [fwd, bwd, rowwise] of [
    ['sigmoidForward', 'sigmoidBackward', false], ['softmaxForward', 'softmaxBackward', true], ['reluForward', 'reluBackward', false],
    ['tanhForward', 'tanhBackward', false],
  ] as const) {
    // relu's kink: keep inputs away from 0 so the central difference is valid.
    const x = randomArray(n, 5, -2, 2).map((v) => (Math.abs(v) < 0.1 ? v + 0.3 : v));
    const forward = (xx: Float32Array) => run(e, [xx, new Float32Array(n)], (px, py) =>
      rowwise ? (e.abi as any)[fwd](rows, cols, px, py) : (e.abi as any)[fwd](n, px, py)).out[1]!;
    const objective = (xx: Float32Array) => forward(xx).reduce((s, v, i) => s + v * c[i]!, 0);
    const y = forward(x);
    const analytic = run(e, [y, c, new Float32Array(n)], (py, pc, pd) =>
      rowwise ? (e.abi as any)[bwd](rows, cols, py, pc, pd) : (e.abi as any)[bwd](n, py, pc, pd)).out[2]!;
    const err = relError(analytic, numericGradient(objective, x, 1e-3));
    assert.ok(err < 1e-2, `${bwd}: relative error ${err}`);
  }
});

fd('loss gradients', () => {
  const rows = 4, cols = 6;
  const logits = randomArray(rows * cols, 3, -3, 3);
  const labels = Int32Array.from([0, 5, 2, 3]);
  const ce = (l: Float32Array) => run(e, [l, labels], (pl, py) => e.abi.softmaxCrossEntropy(rows, cols, pl, py, 0)).ret as number;
  const dCe = run(e, [logits, labels, new Float32Array(rows * cols)], (pl, py, pd) => e.abi.softmaxCrossEntropy(rows, cols, pl, py, pd)).out[2]!;
  assert.ok(relError(dCe, numericGradient(ce, logits, 1e-2)) < 1e-2, 'softmax cross-entropy');
  const targets = Float32Array.from([0, 1, 0.3, 1]);
  const z = randomArray(4, 8, -3, 3);
  const bce = (l: Float32Array) => run(e, [l, targets], (pl, pt) => e.abi.sigmoidBinaryCrossEntropy(4, pl, pt, 0)).ret as number;
  const dBce = run(e, [z, targets, new Float32Array(4)], (pl, pt, pd) => e.abi.sigmoidBinaryCrossEntropy(4, pl, pt, pd)).out[2]!;
  assert.ok(relError(dBce, numericGradient(bce, z, 1e-2)) < 1e-2, 'binary cross-entropy');
});

fd.run();
