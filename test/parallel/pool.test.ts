// Worker threads: protectParallel and fitParallel must give exactly what the single-threaded calls
// give, errors must cross the thread boundary with their type and message, and a pool must never
// keep the process alive.
import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import ndarray from 'ndarray';
import '../../src/ndarray.js'; // registers ndarray as the factory for ndarray results
import { MemGuardInputError } from '../../src/errors.js';
import { MemGuard, type ProtectResult } from '../../src/memguard/memguard.js';
import { phase1Options } from '../../src/memguard/phase1.js';
import { Mlp, type EpochInfo, type FitOptions } from '../../src/nn/mlp.js';
import { WorkerPool } from '../../src/parallel/pool.js';
import { fitParallel, PARALLEL_MIN_ROWS, protectAsync, protectParallel } from '../../src/parallel/protect.js';
import { loadEngine } from '../../src/wasm/engine.js';
import { locationFixture, sortRows } from '../fixtures.js';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i * 29 + 5);

/** Bit-level equality of two typed arrays (NaN and -0 included). */
function sameBits(a: ArrayBufferView, b: ArrayBufferView, what: string): void {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  assert.is(x.length, y.length, `${what}: ${x.length} vs ${y.length} bytes`);
  const at = x.findIndex((v, i) => v !== y[i]);
  assert.is(at, -1, `${what}: first differing byte ${at}`);
}

function sameResult(got: ProtectResult<unknown>, want: ProtectResult<unknown>): void {
  const r = (v: unknown) => (ArrayBuffer.isView(v) ? v : (v as { data: Float32Array }).data);
  sameBits(r(got.released), r(want.released), 'released');
  for (const key of ['noisy', 'scores', 'noiseL1', 'mixProbability', 'weight', 'noiseReleased', 'steps', 'g', 'gNoisy', 'repair'] as const) {
    sameBits(got[key], want[key], key);
  }
  assert.equal(got.status, want.status, 'status');
}

/** 600 real Location confidence vectors: 300 members then 300 non-members. */
function locationRows(): Float32Array {
  const f = locationFixture();
  const s = new Float32Array(600 * 30);
  s.set(f.members);
  s.set(f.nonMembers, 300 * 30);
  return s;
}

const pool = new WorkerPool({ size: 2 });

// ---- protectParallel ---------------------------------------------------------------------------

const protect = suite('protectParallel is protect, on more threads');

protect('keyed coin, paper method: every field bit-identical on 600 Location vectors', async () => {
  const f = locationFixture();
  const s = locationRows();
  const guard = new MemGuard({ defenseClassifier: f.defense, epsilon: 0.5, coin: { mode: 'key', key: KEY }, batchSize: 37 });
  const want = guard.protect(s);
  const got = await protectParallel(guard, s, { pool });
  sameResult(got, want);
  assert.ok(want.status.filter((v) => v === 'converged').length > 300, 'most rows converge: the comparison is not vacuous');
  assert.ok(want.noiseReleased.some((v) => v === 1) && want.noiseReleased.some((v) => v === 0));
});

protect('seeded coin, projected method, logits input, per-call epsilon and query ids', async () => {
  const f = locationFixture();
  const s = locationRows().subarray(0, 200 * 30);
  // Log-probabilities shifted per row: valid logits whose bytes differ from any probability row.
  const logits = Float32Array.from(s, (v, i) => Math.log(Math.max(v, 1e-30)) + (Math.floor(i / 30) % 7));
  const make = () => new MemGuard({ defenseClassifier: f.defense, epsilon: 1, method: 'projected', coin: { mode: 'seed', seed: 11 } });
  sameResult(await protectParallel(make(), logits, { pool, input: 'logits', epsilon: 0.3 }), make().protect(logits, { input: 'logits', epsilon: 0.3 }));
  const keyed = new MemGuard({ defenseClassifier: f.defense, epsilon: 0.2, coin: { mode: 'key', key: KEY } });
  sameResult(await protectParallel(keyed, logits, { pool, input: 'logits' }), keyed.protect(logits, { input: 'logits' }));
  const ids = Array.from({ length: 200 }, (_, i) => `q${i}`);
  sameResult(await protectParallel(keyed, s, { pool, queryIds: ids }), keyed.protect(s, { queryIds: ids }));
});

protect('ndarray in, ndarray out; a temporary pool of 1 worker; an empty batch needs no pool', async () => {
  const f = locationFixture();
  const s = locationRows().subarray(0, 40 * 30).slice();
  const guard = new MemGuard({ defenseClassifier: f.defense, epsilon: 0.5, coin: { mode: 'key', key: KEY } });
  const got = await protectParallel(guard, ndarray(s, [40, 30]), { workers: 1 });
  assert.equal(got.released.shape, [40, 30]);
  sameResult(got, guard.protect(ndarray(s.slice(), [40, 30])));
  const empty = await protectParallel(guard, new Float32Array(0), { workers: 1 });
  assert.is(empty.released.length, 0);
});

protect('the workers run the guard\'s WebAssembly build: scalar matches scalar; a mismatched pool is refused', async () => {
  const f = locationFixture();
  const scalar = Mlp.fromParameters(f.defense.parameters(), loadEngine({ build: 'scalar' }));
  const guard = new MemGuard({ defenseClassifier: scalar, epsilon: 0.5, coin: { mode: 'key', key: KEY } });
  const s = locationRows().subarray(0, 80 * 30);
  sameResult(await protectParallel(guard, s, { workers: 2 }), guard.protect(s));
  try {
    await protectParallel(guard, s, { pool });
    assert.unreachable('should reject');
  } catch (err) {
    assert.instance(err, MemGuardInputError);
    assert.match((err as Error).message, /pool's workers run the simd build but the model runs on the scalar build/);
  }
  scalar.dispose();
});

protect('invalid rows are rejected in the calling thread, with the row named', async () => {
  const f = locationFixture();
  const guard = new MemGuard({ defenseClassifier: f.defense, epsilon: 0.5, coin: { mode: 'key', key: KEY } });
  const s = locationRows().subarray(0, 3 * 30).slice();
  s[40] = -0.25;
  try {
    await protectParallel(guard, s, { pool });
    assert.unreachable('should reject');
  } catch (err) {
    assert.instance(err, MemGuardInputError);
    assert.match((err as Error).message, /row 1, column 10 is -0\.25/);
  }
});

protect('protectAsync (every core by default) equals the synchronous protect bit for bit, large batch and small', async () => {
  const f = locationFixture();
  const s = locationRows();
  assert.ok(600 >= PARALLEL_MIN_ROWS, 'the large batch goes to the workers');
  for (const search of [{}, { literal: true }, { fixedWork: 64 }]) {
    const guard = new MemGuard({ defenseClassifier: f.defense, epsilon: 0.5, coin: { mode: 'key', key: KEY }, search });
    sameResult(await protectAsync(guard, s), guard.protect(s));
    const small = s.subarray(0, 10 * 30);
    sameResult(await protectAsync(guard, small), guard.protect(small));
  }
});

protect.run();

// ---- fit in a worker -----------------------------------------------------------------------------

const fit = suite('fit in a worker is fit in this thread');
fit.after(() => pool.close()); // the shared pool's last user

fit('same seed, same parameters and losses, bit for bit; onEpoch relayed in order', async () => {
  const f = locationFixture();
  const x = sortRows(locationRows(), 30);
  const y = new Float32Array(600).fill(1, 0, 300);
  const options: FitOptions = { epochs: 6, batchSize: 32, learningRate: 0.05, seed: 7, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { milestones: [3], gamma: 0.1 } };
  const here = Mlp.create([30, 32, 16, 1], { head: 'sigmoid', seed: 5 });
  const initial = here.parameters();
  const seen: EpochInfo[] = [];
  const trained = await pool.fit({ layers: initial, x, y, options }, (e) => seen.push(e));
  const local: EpochInfo[] = [];
  const { loss } = here.fit(x, y, { ...options, onEpoch: (e) => local.push(e) });
  assert.equal(trained.loss, loss);
  assert.equal(seen, local);
  here.parameters().forEach((l, i) => {
    sameBits(trained.layers[i]!.weight, l.weight, `layer ${i} weight`);
    sameBits(trained.layers[i]!.bias, l.bias, `layer ${i} bias`);
  });
  assert.is(f.defense.inputSize, 30);
});

fit('fitParallel trains independent models at once, each as Mlp.fit would', async () => {
  const f = locationFixture();
  const x = locationRows();
  const labels = new Int32Array(600);
  labels.set(f.memberLabels);
  labels.set(f.nonMemberLabels, 300);
  const membership = new Float32Array(600).fill(1, 0, 300);
  const specs = [
    { sizes: [30, 24, 30], head: 'softmax' as const, y: labels, options: { epochs: 4, optimizer: 'adam' as const, learningRate: 0.01, seed: 1 } },
    { sizes: [30, 16, 1], head: 'sigmoid' as const, y: membership, options: { epochs: 5, seed: 2 } },
    { sizes: [30, 8, 1], head: 'sigmoid' as const, y: membership, options: { epochs: 3, batchSize: 100, seed: 3 } },
  ];
  const models = specs.map((s, i) => Mlp.create(s.sizes, { head: s.head, seed: 20 + i }));
  const twins = models.map((m) => Mlp.fromParameters(m.parameters()));
  const epochs = [0, 0, 0];
  const out = await fitParallel(specs.map((s, i) => ({
    model: models[i]!, x, y: s.y, options: { ...s.options, onEpoch: () => { epochs[i]!++; } },
  })), { pool });
  assert.ok(out.every((m, i) => m === models[i]), 'resolves to the given models, in order');
  assert.equal(epochs, [4, 5, 3]);
  specs.forEach((s, i) => {
    twins[i]!.fit(x, s.y, s.options);
    twins[i]!.parameters().forEach((l, j) => sameBits(models[i]!.parameters()[j]!.weight, l.weight, `model ${i} layer ${j}`));
  });
});

fit('fitParallel carries the design §10 options (soft targets, dropout, weight decay, DP-SGD, validation) bit for bit; a lossGradient is refused', async () => {
  const f = locationFixture();
  const x = locationRows().slice(0, 200 * 30);
  const soft = new Float32Array(200 * 30);
  for (let r = 0; r < 200; r++) { soft.fill(0.1 / 29, r * 30, (r + 1) * 30); soft[r * 30 + f.memberLabels[r % 300]!] = 0.9; }
  const labels = Int32Array.from({ length: 200 }, (_, r) => f.memberLabels[r % 300]!);
  const jobs = [
    { y: { soft }, options: { epochs: 2, dropout: 0.3, weightDecay: 1e-3, entropyWeight: 0.1, seed: 4 } },
    { y: labels, options: { epochs: 2, learningRate: 0.1, seed: 5, dp: { noiseMultiplier: 1, clip: 1, sampleRate: 0.25 }, validation: { x, y: labels } } },
  ];
  const models = jobs.map((_, i) => Mlp.create([30, 16, 30], { seed: 40 + i }));
  const twins = models.map((m) => Mlp.fromParameters(m.parameters()));
  await fitParallel(jobs.map((j, i) => ({ model: models[i]!, x, y: j.y, options: j.options })), { pool });
  jobs.forEach((j, i) => {
    twins[i]!.fit(x, j.y, j.options);
    twins[i]!.parameters().forEach((l, k) => sameBits(models[i]!.parameters()[k]!.weight, l.weight, `job ${i} layer ${k}`));
  });
  let refused: unknown;
  try {
    await fitParallel([{ model: models[0]!, x, y: labels, options: { epochs: 1, lossGradient: () => 0 } }], { pool });
  } catch (err) { refused = err; }
  assert.instance(refused, MemGuardInputError);
  assert.match((refused as Error).message, /lossGradient hook cannot run in a worker/);
});

fit.run();

// ---- errors and lifecycle --------------------------------------------------------------------------

const life = suite('WorkerPool errors and lifecycle');

life('a worker error keeps its type and message; the pool stays usable', async () => {
  const small = Mlp.create([4, 3, 1], { head: 'sigmoid' });
  const task = { layers: small.parameters(), x: new Float32Array(8), y: new Float32Array(2), options: { epochs: -1 } };
  const local = new WorkerPool({ size: 1 });
  try {
    for (const [run, type, message] of [
      [() => local.fit(task), MemGuardInputError, /^fit: epochs must be a non-negative integer, got -1$/],
      [() => local.fit({ ...task, options: { epochs: 1 }, y: new Float32Array([0.5, 2]) }), MemGuardInputError, /fit y: row 1 is 2/],
      [() => local.phase1({
        defenseClassifier: [{ ...small.parameters()[0]!, in: 5 }], scores: new Float32Array(4), rows: 1,
        options: phase1Options({}), batchSize: 1,
      }), MemGuardInputError, /layer 0 weight has 12 values, expected 15/],
      [() => local.run('nonsense' as 'fit', task), TypeError, /unknown task "nonsense"/],
    ] as const) {
      try {
        await run();
        assert.unreachable('should reject');
      } catch (err) {
        assert.instance(err, type, `${(err as Error).name}: ${(err as Error).message}`);
        assert.is((err as Error).name, type.name);
        assert.match((err as Error).message, message);
        assert.match((err as Error).stack ?? '', /<worker thread>/);
      }
    }
    const ok = await local.fit({ ...task, options: { epochs: 1 } });
    assert.is(ok.loss.length, 1);
    // A throwing progress callback fails its task (after the worker finished it), not the pool.
    try {
      await local.fit({ ...task, options: { epochs: 2 } }, () => { throw new RangeError('callback failed'); });
      assert.unreachable('should reject');
    } catch (err) {
      assert.match((err as Error).message, /callback failed/);
    }
    assert.is((await local.fit({ ...task, options: { epochs: 2 } })).loss.length, 2);
  } finally {
    await local.close();
  }
});

life('close() rejects queued and running tasks, later runs reject, closing twice is fine', async () => {
  const local = new WorkerPool({ size: 1 });
  const m = Mlp.create([30, 64, 1], { head: 'sigmoid' });
  const x = locationRows();
  const task = { layers: m.parameters(), x, y: new Float32Array(600), options: { epochs: 5000 } }; // seconds of work: never done within 50 ms
  const running = local.fit(task).then(() => 'finished', (e: Error) => e.message);
  const queued = local.fit(task).then(() => 'finished', (e: Error) => e.message);
  await new Promise((r) => setTimeout(r, 50));
  await local.close();
  assert.match(await running, /closed before the task finished/);
  assert.match(await queued, /closed before the task finished/);
  assert.ok(local.closed);
  await local.close();
  try {
    await local.fit(task);
    assert.unreachable('should reject');
  } catch (err) {
    assert.match((err as Error).message, /pool is closed/);
  }
});

life('a process exits on its own: with close(), and even with an idle pool left open', () => {
  const poolUrl = new URL('../../src/parallel/pool.js', import.meta.url).href;
  for (const close of [true, false]) {
    const script = `
      const { WorkerPool } = await import(${JSON.stringify(poolUrl)});
      const pool = new WorkerPool({ size: 2 });
      const layers = [{ in: 2, out: 1, activation: 'sigmoid', weight: new Float32Array([1, -1]), bias: new Float32Array(1) }];
      const r = await Promise.all([0, 1, 2].map(() => pool.fit({ layers, x: new Float32Array([1, 0, 0, 1]), y: new Float32Array([1, 0]), options: { epochs: 2 } })));
      console.log('trained', r.length);
      ${close ? 'await pool.close();' : ''}`;
    const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.is(child.error, undefined, `close=${close}: ${child.error?.message} (the process did not exit)`);
    assert.is(child.status, 0, `close=${close}: exit ${child.status}\n${child.stderr}`);
    assert.match(child.stdout, /trained 3/);
  }
});

life('invalid pool options are rejected', () => {
  for (const size of [0, 1.5, -2]) {
    try {
      new WorkerPool({ size });
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, MemGuardInputError);
      assert.match((err as Error).message, /size must be an integer >= 1/);
    }
  }
});

life.run();
