// The public defense against its oracle (the per-query reference) and against the invariants of
// design §4-§5, which must hold for every row whatever the input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import ndarray from 'ndarray';
import '../../src/ndarray.js'; // registers ndarray as the factory for ndarray results
import { MemGuardInputError } from '../../src/errors.js';
import { MemGuard } from '../../src/memguard/memguard.js';
import { membershipProbability } from '../../src/memguard/defenseClassifier.js';
import { MIXING_MODES } from '../../src/memguard/phase2.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';
import { phase1, phase1Projected, type DefenseLogit } from '../../src/reference/memguard.js';
import { mlpBackward, mlpForward, type ReferenceLayer } from '../../src/reference/mlp.js';
import { locationFixture } from '../fixtures.js';
import { throwsTyped } from '../helpers.js';
import { assertReleaseInvariants, propertySet, randomVectors } from './invariants.js';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i * 17 + 3);

/** The defense classifier through the engine, one query at a time (the reference's view of g). */
function engineLogit(g: Mlp): DefenseLogit {
  return {
    k: g.inputSize,
    logitAndGrad(x, grad) {
      if (grad) grad.set(g.inputGradient(x, { logit: 0 }));
      return g.logits(x)[0]!;
    },
  };
}

/** The defense classifier in plain JS (src/reference/mlp.ts): an oracle independent of the engine. */
function plainLogit(g: Mlp): DefenseLogit {
  const layers: ReferenceLayer[] = g.parameters().map((l) => ({
    in: l.in, out: l.out, activation: { linear: 0, relu: 1, sigmoid: 2, softmax: 3 }[l.activation], weight: l.weight, bias: l.bias,
  }));
  return {
    k: g.inputSize,
    logitAndGrad(x, grad) {
      const acts = mlpForward(layers, 1, x);
      const h = acts[acts.length - 1]![0]!;
      if (grad) grad.set(mlpBackward(layers, 1, x, acts, Float32Array.of(1)).input);
      return h;
    },
  };
}

const agree = suite('protect vs the per-query reference (real Location vectors)');

for (const method of ['logits', 'projected'] as const) {
  agree(`${method}: the batch gives the reference's steps, c3 and noise for every row`, () => {
    const f = locationFixture();
    const rows = 120;
    const s = new Float32Array(rows * 30);
    s.set(f.members.subarray(0, 60 * 30));
    s.set(f.nonMembers.subarray(0, 60 * 30), 60 * 30);
    const guard = new MemGuard({ defenseClassifier: f.defense, epsilon: 1, method, coin: { mode: 'expectation' }, batchSize: 37, search: { literal: true } });
    const got = guard.search(s);
    const g = engineLogit(f.defense);
    let converged = 0;
    for (let r = 0; r < rows; r++) {
      const row = s.subarray(r * 30, (r + 1) * 30);
      const want = method === 'logits' ? phase1(row, g) : phase1Projected(row, g);
      assert.is(got.status[r], want.status, `row ${r} status`);
      assert.is(got.steps[r], want.steps, `row ${r} steps`);
      assert.is(got.c3[r], want.c3, `row ${r} c3`);
      for (let j = 0; j < 30; j++) {
        assert.ok(Math.abs(got.noise[r * 30 + j]! - want.noise[j]!) <= 1e-6, `row ${r} noise[${j}]: ${got.noise[r * 30 + j]} vs ${want.noise[j]}`);
      }
      converged += Number(want.status === 'converged');
    }
    assert.ok(converged > rows / 2, `only ${converged} rows converged: the comparison would be vacuous`);
  });
}

agree('a plain-JS defense classifier (no engine at all) leads the reference to the same outcomes', () => {
  // Summation order differs between the tiled WASM GEMM and plain JS, so trajectories may part by a
  // few ulps; the outcome (status, c3) must agree on nearly every row and the noise stay close.
  const f = locationFixture();
  const rows = 60;
  const s = f.members.subarray(0, rows * 30);
  const got = new MemGuard({ defenseClassifier: f.defense, epsilon: 1, coin: { mode: 'expectation' } }).search(s);
  const g = plainLogit(f.defense);
  let same = 0, maxDiff = 0;
  for (let r = 0; r < rows; r++) {
    const want = phase1(s.subarray(r * 30, (r + 1) * 30), g);
    if (want.status === got.status[r] && want.c3 === got.c3[r]) same++;
    for (let j = 0; j < 30; j++) maxDiff = Math.max(maxDiff, Math.abs(want.noise[j]! - got.noise[r * 30 + j]!));
  }
  assert.ok(same >= rows - 2, `${same}/${rows} rows agree`);
  assert.ok(maxDiff < 0.05, `max noise difference ${maxDiff}`);
});

agree('rows give the same answer whatever batch they are in', () => {
  const f = locationFixture();
  const s = f.nonMembers.subarray(0, 50 * 30);
  const big = new MemGuard({ defenseClassifier: f.defense, epsilon: 1, coin: { mode: 'expectation' }, batchSize: 50 }).search(s);
  const small = new MemGuard({ defenseClassifier: f.defense, epsilon: 1, coin: { mode: 'expectation' }, batchSize: 1 }).search(s);
  assert.equal(Array.from(big.noise), Array.from(small.noise));
  assert.equal(Array.from(big.steps), Array.from(small.steps));
});

agree.run();

// ---- invariants over many random inputs ----------------------------------------------------------

const props = suite('design §5 invariants over random confidence vectors');

props('label kept, valid simplex vector, E||n||_1 <= epsilon: 10,000 rows, k in {2, 3, 10, 30, 100}', () => {
  let total = 0, noisyRows = 0;
  for (const { k, kind, rows: s, method, g: makeG } of propertySet()) {
    const g = makeG();
    for (const [e, epsilon] of [0.05, 0.5, Infinity].entries()) {
      // Every mixing rule meets every budget across the kinds.
      const mixing = MIXING_MODES[(e + kind.length) % MIXING_MODES.length]!;
      const guard = new MemGuard({ defenseClassifier: g, epsilon, coin: { mode: 'seed', seed: k }, mixing, method, search: { maxSteps: 40 }, batchSize: 128 });
      noisyRows += assertReleaseInvariants(s, guard.protect(s), k, epsilon, `k=${k} ${kind} epsilon=${epsilon}`);
      total += s.length / k;
    }
    g.dispose();
  }
  assert.ok(total >= 10000, `${total} rows`);
  assert.ok(noisyRows > total / 10, `noise was released on only ${noisyRows} rows: the check would be vacuous`);
});

props("'crossing' releases g = 0.5 wherever r crosses it, with less noise than the paper's rule", () => {
  const rng = new Random(77);
  let crossed = 0;
  for (const k of [3, 10, 30]) {
    const g = Mlp.create([k, 32, 16, 1], { head: 'sigmoid', seed: 100 + k });
    for (const kind of ['peaked', 'uniform', 'tied']) {
      const s = randomVectors(kind, 300, k, rng);
      const make = (mixing: 'paper' | 'crossing') =>
        new MemGuard({ defenseClassifier: g, epsilon: Infinity, mixing, coin: { mode: 'expectation' }, search: { maxSteps: 60 } });
      const search = make('paper').search(s);
      const paper = make('paper').releaseSearch(search), crossing = make('crossing').releaseSearch(search);
      const gReleased = membershipProbability(g, crossing.noisy);
      for (let r = 0; r < 300; r++) {
        assert.ok(crossing.noiseL1[r]! <= paper.noiseL1[r]! + 1e-6, `k=${k} ${kind} row ${r}: ${crossing.noiseL1[r]} > ${paper.noiseL1[r]}`);
        if ((search.g[r]! - 0.5) * (search.gNoisy[r]! - 0.5) >= 0 || crossing.repair[r] !== 0) continue;
        crossed++;
        assert.is(crossing.mixProbability[r], 1, 'an unlimited budget releases the crossing point');
        assert.ok(Math.abs(gReleased[r]! - 0.5) < 1e-3, `k=${k} ${kind} row ${r}: g(released) = ${gReleased[r]}, g(s) = ${search.g[r]}`);
        assert.ok(Math.abs(crossing.gNoisy[r]! - gReleased[r]!) < 1e-3, 'gNoisy reports g of the released vector');
      }
    }
  }
  assert.ok(crossed > 100, `only ${crossed} rows crossed: the check would be vacuous`);
});

props.run();

// ---- coins, budget edges, bad input ---------------------------------------------------------------

const api = suite('MemGuard API');

api('epsilon = 0 returns the input bit for bit; Infinity releases noise wherever it helps', () => {
  const f = locationFixture();
  const s = f.members.subarray(0, 40 * 30);
  const zero = new MemGuard({ defenseClassifier: f.defense, epsilon: 0, coin: { mode: 'key', key: KEY } }).protect(s);
  assert.equal(new Uint8Array(zero.released.buffer), new Uint8Array(s.slice().buffer));
  const all = new MemGuard({ defenseClassifier: f.defense, epsilon: Infinity, coin: { mode: 'key', key: KEY } }).protect(s);
  for (let r = 0; r < 40; r++) {
    const helps = Math.abs(all.g[r]! - 0.5) > Math.abs(all.gNoisy[r]! - 0.5);
    assert.is(all.noiseReleased[r], helps ? 1 : 0, `row ${r}`);
  }
  assert.ok(all.noiseReleased.some((v) => v === 1));
});

api('a repeated query gets the same answer under one key; another key draws independent coins', () => {
  const f = locationFixture();
  const s = f.nonMembers.subarray(0, 300 * 30);
  const guard = (key: Uint8Array) => new MemGuard({ defenseClassifier: f.defense, epsilon: 0.05, coin: { mode: 'key', key } });
  const a = guard(KEY).protect(s), again = guard(KEY).protect(s);
  assert.equal(Array.from(a.released), Array.from(again.released));
  // The same rows in another order and batch: each row still gets its own answer.
  const reversed = new Float32Array(s.length);
  for (let r = 0; r < 300; r++) reversed.set(s.subarray(r * 30, (r + 1) * 30), (299 - r) * 30);
  const b = guard(KEY).protect(reversed);
  for (let r = 0; r < 300; r++) assert.is(b.noiseReleased[299 - r], a.noiseReleased[r], `row ${r}`);
  const other = guard(Uint8Array.from(KEY, (v) => v ^ 0x5a)).protect(s);
  let agreeCount = 0, expected = 0;
  for (let r = 0; r < 300; r++) {
    const p = a.mixProbability[r]!;
    agreeCount += Number(a.noiseReleased[r] === other.noiseReleased[r]);
    expected += p * p + (1 - p) * (1 - p);
  }
  assert.ok(Math.abs(agreeCount - expected) < 4 * Math.sqrt(300 * 0.25), `agreement ${agreeCount} vs ${expected.toFixed(1)} expected`);
  const ids = Array.from({ length: 300 }, (_, i) => `query-${i}`);
  const byId = guard(KEY).protect(s, { queryIds: ids });
  assert.equal(Array.from(guard(KEY).protect(s, { queryIds: ids }).noiseReleased), Array.from(byId.noiseReleased));
});

api('logits input: scores are their softmax, Phase I starts from them; ndarray in gives ndarray out', () => {
  const f = locationFixture();
  const guard = new MemGuard({ defenseClassifier: f.defense, epsilon: 1, coin: { mode: 'seed', seed: 1 } });
  const x = new Float32Array(20 * 446);
  for (let i = 0; i < x.length; i += 7) x[i] = 1; // arbitrary sparse binary rows
  const z = f.target.logits(x);
  const res = guard.protect(z, { input: 'logits' });
  for (let r = 0; r < 20; r++) {
    const row = Array.from(z.subarray(r * 30, (r + 1) * 30));
    const m = Math.max(...row), sum = row.reduce((a, v) => a + Math.exp(v - m), 0);
    for (let j = 0; j < 30; j++) {
      const want = Math.exp(row[j]! - m) / sum;
      assert.ok(Math.abs(res.scores[r * 30 + j]! - want) <= 1e-6 + 1e-5 * want, `row ${r} class ${j}`);
    }
  }
  // The released vectors satisfy design §5 and are built on those scores.
  for (let r = 0; r < 20; r++) {
    const row = res.released.subarray(r * 30, (r + 1) * 30);
    assert.ok(Math.abs(row.reduce((a, v) => a + v, 0) - 1) <= 1e-6);
    if (!res.noiseReleased[r]) assert.equal(Array.from(row), Array.from(res.scores.subarray(r * 30, (r + 1) * 30)));
  }
  const s = f.members.subarray(0, 10 * 30);
  const nd = guard.protect(ndarray(s.slice(), [10, 30]));
  assert.equal(nd.released.shape, [10, 30]);
  const flat = new MemGuard({ defenseClassifier: f.defense, epsilon: 1, coin: { mode: 'seed', seed: 1 } }).protect(s);
  assert.equal(Array.from(nd.released.data as Float32Array), Array.from(flat.released));
});

api('bad input raises a typed error naming the row and problem, and the engine stays usable', () => {
  const f = locationFixture();
  const guard = new MemGuard({ defenseClassifier: f.defense, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
  const good = f.members.subarray(0, 3 * 30).slice();
  const single = Mlp.create([1, 4, 1], { head: 'sigmoid' });
  const used = f.defense.engine.heap.bytesInUse;
  const bad = (edit: (m: Float32Array) => void) => { const m = good.slice(); edit(m); return m; };
  throwsTyped(() => guard.protect(bad((m) => { m[35] = NaN; })), MemGuardInputError, /row 1, column 5 is NaN/);
  throwsTyped(() => guard.protect(bad((m) => { m[62] = -0.1; })), MemGuardInputError, /row 2, column 2 is -0\.1/);
  throwsTyped(() => guard.protect(bad((m) => { m.fill(0.05, 0, 30); })), MemGuardInputError, /row 0 sums to 1\.5/);
  throwsTyped(() => guard.protect(good.subarray(0, 31)), MemGuardInputError, /not a multiple of 30 columns/);
  throwsTyped(() => guard.protect([Array(29).fill(1 / 29)]), MemGuardInputError, /row 0 has 29 values, expected 30/);
  throwsTyped(() => guard.protect(good, { input: 'logits', epsilon: -1 }), MemGuardInputError, /epsilon must be a number >= 0/);
  throwsTyped(() => new MemGuard({ defenseClassifier: single, epsilon: 1, coin: { mode: 'seed', seed: 1 } }), MemGuardInputError, /k = 1/);
  throwsTyped(() => new MemGuard({ defenseClassifier: f.target, epsilon: 1, coin: { mode: 'seed', seed: 1 } }),
    MemGuardInputError, /one sigmoid \(or linear logit\) output/);
  throwsTyped(() => new MemGuard({ defenseClassifier: f.defense, epsilon: 1 }), MemGuardInputError, /needs a secret key/);
  throwsTyped(() => new MemGuard({ defenseClassifier: f.defense, epsilon: 1, coin: { mode: 'key', key: new Uint8Array(8) } }),
    MemGuardInputError, /at least 16 bytes/);
  assert.is(f.defense.engine.heap.bytesInUse, used);
  const after = guard.protect(good);
  assert.is(after.released.length, 90);
});

api.run();
