// The training-option kernels (soft-target cross-entropy, entropy penalty, weight decay, dropout
// masks and masked forward/backward, DP-SGD's clipped gradient sum and noise) against their
// plain-JS twins on every build, plus finite-difference checks of the new losses' gradients.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as ref from '../../src/reference/nn.js';
import { mlpBackward as refBackward, mlpForward as refForward, type ReferenceLayer } from '../../src/reference/mlp.js';
import { mlpClippedGradients as refClipped } from '../../src/reference/privacy.js';
import { addGaussianNoise as refNoise, nextUint32 } from '../../src/reference/random.js';
import { dropoutMasks as refMasks, weightDecay as refDecay } from '../../src/reference/regularizers.js';
import { Random } from '../../src/random.js';
import { loadEngine, relaxedSimdSupported, simdSupported, type Engine, type ResolvedBuild } from '../../src/wasm/engine.js';
import { allClose, randomArray } from '../helpers.js';

const builds: ResolvedBuild[] = [...(relaxedSimdSupported() ? ['relaxed' as const] : []), ...(simdSupported() ? ['simd' as const] : []), 'scalar'];

function softTargets(rows: number, cols: number, seed: number): Float32Array {
  const t = randomArray(rows * cols, seed, 0, 1);
  for (let r = 0; r < rows; r++) {
    // Some exact zeros, as label smoothing's and HAMP's targets never have but one-hot ones do.
    if (r % 3 === 0) t[r * cols] = 0;
    let s = 0;
    for (let j = 0; j < cols; j++) s += t[r * cols + j]!;
    for (let j = 0; j < cols; j++) t[r * cols + j] = t[r * cols + j]! / s;
  }
  return t;
}

/** A small network's descriptor and parameters in WASM; returns pointers and a releaser. */
function place(e: Engine, layers: ReferenceLayer[], batch: number) {
  const total = layers.reduce((n, l) => n + l.in * l.out + l.out, 0);
  const params = e.alloc(total), grads = e.alloc(total), desc = e.alloc(8 * layers.length);
  const sumOut = layers.reduce((n, l) => n + l.out, 0);
  const masks = e.alloc(batch * sumOut);
  let at = 0, maskAt = 0;
  layers.forEach((l, i) => {
    e.writeF32(params + at * 4, l.weight);
    e.writeF32(params + (at + l.in * l.out) * 4, l.bias);
    if (l.mask) e.writeF32(masks + maskAt * 4, l.mask);
    e.i32.set([l.in, l.out, l.activation, params + at * 4, params + (at + l.in * l.out) * 4,
      grads + at * 4, grads + (at + l.in * l.out) * 4, l.mask ? masks + maskAt * 4 : 0], (desc >>> 2) + 8 * i);
    at += l.in * l.out + l.out;
    maskAt += batch * l.out;
  });
  const layerGrads = () => {
    let o = 0;
    return layers.map((l) => {
      const w = e.readF32(grads + o * 4, l.in * l.out), b = e.readF32(grads + (o + l.in * l.out) * 4, l.out);
      o += l.in * l.out + l.out;
      return { w, b };
    });
  };
  return { params, grads, desc, total, sumOut, layerGrads, release: () => [params, grads, desc, masks].forEach((p) => e.release(p)) };
}

function network(sizes: number[], acts: number[], seed: number): ReferenceLayer[] {
  return sizes.slice(1).map((out, i) => ({
    in: sizes[i]!, out, activation: acts[i]!, weight: randomArray(sizes[i]! * out, seed + i), bias: randomArray(out, seed + 10 + i),
  }));
}

for (const build of builds) {
  const t = suite(`training kernels (${build})`);
  const e = loadEngine({ build });
  const put = (a: Float32Array | Int32Array | Uint32Array): number => {
    const p = e.alloc(Math.max(a.length, 1));
    if (a instanceof Float32Array) e.writeF32(p, a); else e.i32.set(a, p >>> 2);
    return p;
  };

  t('soft-target cross-entropy and the entropy penalty match the reference (value and gradient)', () => {
    for (const [rows, cols] of [[1, 2], [3, 30], [64, 30], [5, 7]] as const) {
      const logits = randomArray(rows * cols, rows * cols, -30, 30), targets = softTargets(rows, cols, rows + cols);
      const d = new Float32Array(rows * cols);
      const loss = ref.softmaxCrossEntropySoft(rows, cols, logits, targets, d);
      const pl = put(logits), pt = put(targets), pd = put(new Float32Array(rows * cols));
      const wLoss = e.abi.softmaxCrossEntropySoft(rows, cols, pl, pt, pd);
      assert.ok(Math.abs(wLoss - loss) <= 1e-4 * Math.max(1, loss), `soft CE ${wLoss} vs ${loss}`);
      allClose(e.readF32(pd, rows * cols), d, 1e-4, 1e-7, 'soft CE gradient');
      // The penalty adds onto what is there (the loss gradient just written).
      const pen = ref.entropyPenalty(rows, cols, logits, 0.7, d);
      const wPen = e.abi.entropyPenalty(rows, cols, pl, 0.7, pd);
      assert.ok(Math.abs(wPen - pen) <= 1e-4 * Math.max(1, Math.abs(pen)), `entropy ${wPen} vs ${pen}`);
      assert.ok(wPen <= 0, 'the penalty is -alpha H <= 0');
      allClose(e.readF32(pd, rows * cols), d, 1e-4, 1e-6, 'CE + entropy gradient');
      [pl, pt, pd].forEach((p) => e.release(p));
    }
  });

  t('one-hot soft targets give exactly the integer-label cross-entropy', () => {
    const rows = 9, cols = 6;
    const logits = randomArray(rows * cols, 3, -5, 5), labels = Int32Array.from({ length: rows }, (_, r) => (r * 5) % cols);
    const onehot = new Float32Array(rows * cols);
    labels.forEach((y, r) => { onehot[r * cols + y] = 1; });
    const pl = put(logits), py = put(labels), pt = put(onehot), d1 = put(new Float32Array(rows * cols)), d2 = put(new Float32Array(rows * cols));
    const a = e.abi.softmaxCrossEntropy(rows, cols, pl, py, d1), b = e.abi.softmaxCrossEntropySoft(rows, cols, pl, pt, d2);
    assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
    allClose(e.readF32(d2, rows * cols), e.readF32(d1, rows * cols), 1e-6, 1e-7, 'gradients');
    [pl, py, pt, d1, d2].forEach((p) => e.release(p));
  });

  t('weight decay adds lambda W to weight gradients only and returns lambda/2 sum W^2', () => {
    const layers = network([7, 5, 3], [1, 0], 40);
    const w = place(e, layers, 1);
    const seedGrads = randomArray(w.total, 9);
    e.writeF32(w.grads, seedGrads);
    let o = 0;
    const refGrads = layers.map((l) => { const g = seedGrads.slice(o, o + l.in * l.out); o += l.in * l.out + l.out; return g; });
    const expected = refDecay(layers, refGrads, 0.3);
    const got = e.abi.weightDecay(w.desc, layers.length, 0.3);
    assert.ok(Math.abs(got - expected) < 1e-5 * expected, `${got} vs ${expected}`);
    o = 0;
    w.layerGrads().forEach((g, l) => {
      allClose(g.w, refGrads[l]!, 1e-6, 1e-7, `layer ${l} weight gradient`);
      const l0 = layers[l]!;
      allClose(g.b, seedGrads.slice(o + l0.in * l0.out, o + l0.in * l0.out + l0.out), 0, 0, `layer ${l} bias gradient untouched`);
      o += l0.in * l0.out + l0.out;
    });
    w.release();
  });

  t('the WASM generator is the library generator: dropout masks bit for bit, noise to float rounding', () => {
    const rng = new Random(77);
    const state = Uint32Array.from([rng.uint32(), rng.uint32(), rng.uint32(), rng.uint32()]);
    const ps = put(Int32Array.from(state));
    // The raw stream against src/random.ts itself.
    const lib = new Random(5), mirror = new Uint32Array(4);
    const libClone = new Random(5);
    Object.assign(mirror, [(libClone as any).a, (libClone as any).b, (libClone as any).c, (libClone as any).d]);
    for (let i = 0; i < 100; i++) assert.is(nextUint32(mirror), lib.uint32());
    const n = 1001, mask = new Float32Array(n), s1 = state.slice();
    refMasks(n, 0.3, s1, mask);
    const pm = put(new Float32Array(n));
    e.abi.dropoutMasks(n, 0.3, ps, pm);
    allClose(e.readF32(pm, n), mask, 0, 0, 'masks');
    assert.equal(new Uint32Array(e.i32.slice(ps >>> 2, (ps >>> 2) + 4).buffer), s1, 'state advanced alike');
    const x = randomArray(n, 1), px = put(x);
    refNoise(n, x, 2.5, 0.1, s1);
    e.abi.addGaussianNoise(n, px, 2.5, 0.1, ps);
    allClose(e.readF32(px, n), x, 1e-6, 1e-7, 'noise');
    [ps, pm, px].forEach((p) => e.release(p));
  });

  t('the noise is standard normal: Kolmogorov-Smirnov over 200,000 draws, moments, both tails', () => {
    const n = 200000;
    const ps = put(Int32Array.from([11, 22, 33, 44])), px = put(new Float32Array(n));
    e.abi.addGaussianNoise(n, px, 1, 1, ps);
    const z = e.readF32(px, n).sort();
    // Normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7).
    const cdf = (v: number) => {
      const x = Math.abs(v) / Math.SQRT2, k = 1 / (1 + 0.3275911 * x);
      const erf = 1 - k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429)))) * Math.exp(-x * x);
      return v >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    };
    let d = 0;
    z.forEach((v, i) => { const c = cdf(v); d = Math.max(d, Math.abs(c - i / n), Math.abs(c - (i + 1) / n)); });
    assert.ok(d < 1.63 / Math.sqrt(n), `KS distance ${d}`);
    const mean = z.reduce((a, v) => a + v, 0) / n, variance = z.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    assert.ok(Math.abs(mean) < 0.01 && Math.abs(variance - 1) < 0.015, `mean ${mean}, variance ${variance}`);
    // Beyond the ziggurat's base (3.4426) lives 2 x 2.88e-4 of the mass: the tail sampler runs.
    const tail = z.filter((v) => Math.abs(v) > 3.4426).length / n;
    assert.ok(tail > 0.0004 && tail < 0.0008, `tail mass ${tail}`);
    [ps, px].forEach((p) => e.release(p));
  });

  t('masked forward/backward match the reference; a zero mask entry stops the gradient', () => {
    for (const acts of [[1, 1, 3], [2, 0, 3]]) {
      const batch = 6;
      const layers = network([9, 8, 5, 4], acts, 60);
      layers.slice(0, -1).forEach((l, i) => {
        l.mask = Float32Array.from(randomArray(batch * l.out, 70 + i, 0, 1), (u) => (u < 0.4 ? 0 : 1 / 0.6));
      });
      const x = randomArray(batch * 9, 3), dLogits = randomArray(batch * 4, 4);
      const rActs = refForward(layers, batch, x), rGrads = refBackward(layers, batch, x, rActs, dLogits);
      const w = place(e, layers, batch);
      e.withScratch([batch * 9, batch * w.sumOut, batch * 4, batch * 9, 2 * batch * 9], (px, pa, pd, pdx, scratch) => {
        e.writeF32(px, x);
        e.writeF32(pd, dLogits);
        e.abi.mlpForward(w.desc, layers.length, batch, px, pa);
        allClose(e.readF32(pa, batch * w.sumOut), Float32Array.from(rActs.flatMap((a) => [...a])), 1e-5, 1e-6, 'acts');
        e.abi.mlpBackward(w.desc, layers.length, batch, px, pa, pd, pdx, 1, scratch);
        w.layerGrads().forEach((g, l) => {
          allClose(g.w, rGrads.weight[l]!, 1e-4, 1e-6, `gw ${l}`);
          allClose(g.b, rGrads.bias[l]!, 1e-4, 1e-6, `gb ${l}`);
        });
        allClose(e.readF32(pdx, batch * 9), rGrads.input, 1e-4, 1e-6, 'dx');
      });
      // Dropped units get no bias gradient from any row where they were dropped.
      const first = layers[0]!;
      const onlyDropped = Array.from({ length: first.out }, (_, j) => j).filter((j) => [...Array(batch).keys()].every((r) => first.mask![r * first.out + j] === 0));
      for (const j of onlyDropped) assert.is(w.layerGrads()[0]!.b[j], 0);
      w.release();
    }
  });

  t('DP-SGD clipped sum: per-example norms and clipped sums match per-example reference gradients; each is <= C', () => {
    for (const [clip, masked] of [[0.5, false], [3, true], [Infinity, false]] as const) {
      const batch = 7;
      const layers = network([6, 10, 8, 3], [1, 1, 3], 90);
      if (masked) layers.slice(0, -1).forEach((l, i) => {
        l.mask = Float32Array.from(randomArray(batch * l.out, 95 + i, 0, 1), (u) => (u < 0.5 ? 0 : 2));
      });
      const x = randomArray(batch * 6, 11), dLogits = randomArray(batch * 3, 12, -0.3, 0.3);
      const expected = refClipped(layers, batch, x, dLogits, batch, clip);
      const w = place(e, layers, batch);
      e.withScratch([batch * 6, batch * w.sumOut, batch * 3, batch * w.sumOut, batch], (px, pa, pd, deltas, norms) => {
        e.writeF32(px, x);
        e.writeF32(pd, dLogits);
        e.abi.mlpForward(w.desc, layers.length, batch, px, pa);
        e.abi.mlpClippedGradients(w.desc, layers.length, batch, px, pa, pd, batch, clip, deltas, norms, 0);
        const got = e.readF32(norms, batch);
        allClose(got, expected.norms, 1e-4, 1e-6, 'per-example norms');
        if (clip < Infinity) assert.ok([...got].some((v) => v > clip), 'some rows are clipped');
        w.layerGrads().forEach((g, l) => {
          allClose(g.w, expected.weight[l]!, 1e-4, 1e-6, `clipped sum gw ${l}`);
          allClose(g.b, expected.bias[l]!, 1e-4, 1e-6, `clipped sum gb ${l}`);
        });
        for (const c of expected.clipped) assert.ok(Math.hypot(...c) <= clip * (1 + 1e-5), 'reference clipped norm');
        // Each example alone through the WASM kernel: its clipped gradient's norm is min(norm, C).
        for (let r = 0; r < batch; r++) {
          const one = layers.map((l) => ({ ...l, mask: l.mask?.slice(r * l.out, (r + 1) * l.out) }));
          const w1 = place(e, one, 1);
          e.writeF32(px, x.subarray(r * 6, (r + 1) * 6));
          e.writeF32(pd, dLogits.subarray(r * 3, (r + 1) * 3).map((v) => v * batch));
          e.abi.mlpForward(w1.desc, one.length, 1, px, pa);
          e.abi.mlpClippedGradients(w1.desc, one.length, 1, px, pa, pd, 1, clip, deltas, norms, 0);
          const norm = Math.hypot(...w1.layerGrads().flatMap((g) => [...g.w, ...g.b]));
          assert.ok(norm <= clip * (1 + 1e-5), `row ${r}: clipped norm ${norm} > C = ${clip}`);
          assert.ok(Math.abs(norm - Math.min(expected.norms[r]!, clip)) <= 1e-4 * norm + 1e-6, `row ${r}: ${norm} vs ${Math.min(expected.norms[r]!, clip)}`);
          w1.release();
        }
        // accumulate = 1 adds a second chunk onto the first.
        e.abi.mlpClippedGradients(w.desc, layers.length, batch, px, pa, pd, batch, clip, deltas, norms, 1);
      });
      w.release();
    }
  });

  t.run();
}

const fd = suite('training losses: finite differences');

function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + h; const up = f(x);
    x[i] = keep - h; const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

// Float64 versions of the losses' definitions (not the kernels' algebra): -sum t log p, and -alpha H(p).
function softmax64(z: Float64Array, o: number, k: number): number[] {
  const m = Math.max(...z.subarray(o, o + k));
  const ex = Array.from(z.subarray(o, o + k), (v) => Math.exp(v - m));
  const s = ex.reduce((a, b) => a + b, 0);
  return ex.map((v) => v / s);
}

fd('soft-target cross-entropy and the entropy penalty: analytic gradients match central differences', () => {
  const rows = 4, cols = 5;
  const z32 = randomArray(rows * cols, 17, -3, 3), t = softTargets(rows, cols, 18);
  const z = Float64Array.from(z32);
  const ce = (v: Float64Array) => {
    let s = 0;
    for (let r = 0; r < rows; r++) softmax64(v, r * cols, cols).forEach((p, j) => { s -= t[r * cols + j]! * Math.log(p); });
    return s / rows;
  };
  const penalty = (v: Float64Array) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += 0.8 * softmax64(v, r * cols, cols).reduce((a, p) => a + p * Math.log(p), 0);
    return s / rows;
  };
  const dCe = new Float32Array(rows * cols);
  const loss = ref.softmaxCrossEntropySoft(rows, cols, z32, t, dCe);
  assert.ok(Math.abs(loss - ce(z)) < 1e-5, 'soft CE value');
  allClose(dCe, numericGradient(ce, z), 1e-3, 1e-6, 'soft CE gradient');
  const dPen = new Float32Array(rows * cols);
  const pen = ref.entropyPenalty(rows, cols, z32, 0.8, dPen);
  assert.ok(Math.abs(pen - penalty(z)) < 1e-5, 'entropy penalty value');
  allClose(dPen, numericGradient(penalty, z), 1e-3, 1e-6, 'entropy penalty gradient');
});

fd.run();
