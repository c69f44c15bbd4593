// The relaxed build (fused multiply-add) against the SIMD build, end to end where the time goes:
// the GEMMs of one training step, training steps of the two model shapes the demo trains most (the target model, and the NN /
// defense-aware attack model), and MemGuard.protect on Location confidence vectors. Runs only where
// the runtime validates relaxed SIMD (Node 22+: `npm run bench:relaxed -- builds`).
//
// Each figure is the best of several rounds of CPU time, the builds alternating within a round, so
// neighbours on a shared machine slow both alike; the ratio is the figure to quote.
import { loadLocation } from '../src/data/datasets.js';
import { locationSplits, take } from '../src/data/splits.js';
import { trainDefenseClassifier } from '../src/memguard/defenseClassifier.js';
import { MemGuard } from '../src/memguard/memguard.js';
import { Mlp } from '../src/nn/mlp.js';
import { loadEngine, relaxedSimdSupported, type Engine, type ResolvedBuild } from '../src/wasm/engine.js';
import { printTable, ratio2, type SuiteOptions } from './util.js';

export const description = 'relaxed build (relaxed_madd) vs SIMD build: GEMM, training steps/s and protect queries/s';

const BATCH = 64;

/**
 * Best throughput per task in operations per CPU-second of this process (process.cpuUsage, user +
 * system) over `rounds` rounds, the tasks alternating within a round. CPU time rather than wall
 * time: on a machine shared with other jobs the wall clock also counts the time this process
 * waited for a core, which is noise, not the build's speed (every task here is single-threaded).
 */
async function bestOf(tasks: Record<string, () => void>, rounds: number, minMs: number): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (const fn of Object.values(tasks)) fn(); // warm-up (compilation, first-touch memory)
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(tasks)) {
      const start = process.cpuUsage();
      let ops = 0, ms = 0;
      do {
        fn();
        ops++;
        const used = process.cpuUsage(start);
        ms = (used.user + used.system) / 1000;
      } while (ms < minMs);
      best[name] = Math.max(best[name] ?? 0, (ops * 1000) / ms);
    }
  }
  return best;
}

export async function run({ quick }: SuiteOptions): Promise<void> {
  if (!relaxedSimdSupported()) {
    console.log('(this runtime does not validate relaxed SIMD: nothing to compare; run with Node 22+, npm run bench:relaxed)');
    return;
  }
  const builds: ResolvedBuild[] = ['relaxed', 'simd'];
  const engines = Object.fromEntries(builds.map((b) => [b, loadEngine({ build: b })])) as Record<ResolvedBuild, Engine>;
  const rounds = quick ? 1 : 5;
  const rows: string[][] = [];

  // ---- GEMM: the products of one training step (forward NN, weight gradient TN, input gradient NT;
  // no input gradient for the first layer) of each design §6 model shape, dense operands ----------
  for (const [name, sizes] of [['target 446-1024-512-256-128-30', [446, 1024, 512, 256, 128, 30]], ['attack 30-512-256-128-1', [30, 512, 256, 128, 1]]] as const) {
    const shapes: Array<[number, number, number, number, number]> = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const i = sizes[l]!, o = sizes[l + 1]!;
      shapes.push([0, 0, BATCH, o, i], [1, 0, i, o, BATCH]);
      if (l > 0) shapes.push([0, 1, BATCH, i, o]);
    }
    const flop = shapes.reduce((sum, [, , m, n, k]) => sum + 2 * m * n * k, 0);
    const floats = 1024 * 1024;
    const operand = Float32Array.from({ length: floats }, (_, i) => Math.sin(i) + 0.1); // dense: no exact zeros
    const tasks: Record<string, () => void> = {};
    for (const b of builds) {
      const e = engines[b];
      const [a, bm, c] = [e.alloc(floats), e.alloc(floats), e.alloc(floats)];
      e.writeF32(a, operand);
      e.writeF32(bm, operand);
      tasks[b] = () => {
        for (const [ta, tb, m, n, k] of shapes) e.abi.gemm(ta, tb, m, n, k, 1, a, ta ? m : k, bm, tb ? k : n, 0, c, n);
      };
    }
    const best = await bestOf(tasks, rounds, quick ? 5 : 1000);
    rows.push([`GEMM GFLOP/s, one training step of ${name}, batch ${BATCH}`, (best.relaxed! * flop / 1e9).toFixed(1), (best.simd! * flop / 1e9).toFixed(1), ratio2(best.relaxed!, best.simd!)]);
  }

  // ---- training: one epoch of STEPS batches = STEPS steps per timed call --------------------------
  const data = loadLocation();
  const steps = quick ? 2 : 8;
  const scores = Float32Array.from({ length: steps * BATCH * 30 }, (_, i) => ((i * 7919) % 1000) / 1000);
  const models = [
    { name: 'target 446-1024-512-256-128-30', sizes: [446, 1024, 512, 256, 128, 30], head: 'softmax' as const,
      x: data.features.slice(0, steps * BATCH * data.d), y: data.labels.slice(0, steps * BATCH) },
    { name: 'attack 30-512-256-128-1', sizes: [30, 512, 256, 128, 1], head: 'sigmoid' as const,
      x: scores, y: Float32Array.from({ length: steps * BATCH }, (_, i) => i % 2) },
  ];
  for (const m of models) {
    const initial = Mlp.create(m.sizes, { head: m.head, seed: 1, engine: engines.simd }).parameters();
    const tasks: Record<string, () => void> = {};
    for (const b of builds) {
      const mlp = Mlp.fromParameters(initial, engines[b]);
      tasks[b] = () => void mlp.fit(m.x, m.y, { epochs: 1, batchSize: BATCH, learningRate: 1e-3, shuffle: false });
    }
    const best = await bestOf(tasks, rounds, quick ? 5 : 1000);
    rows.push([`training steps/s, ${m.name}, batch ${BATCH}`, (best.relaxed! * steps).toFixed(1), (best.simd! * steps).toFixed(1), ratio2(best.relaxed!, best.simd!)]);
  }

  // ---- protect: a defense classifier trained on a small target model's Location outputs -----------
  const splits = locationSplits(data.shuffle);
  const members = take(data.features, data.labels, splits.targetTrain), held = take(data.features, data.labels, splits.targetTest);
  const target = Mlp.create([446, 128, 30], { seed: 1, engine: engines.simd });
  target.fit(members.features, members.labels, { epochs: quick ? 1 : 40, learningRate: 0.05, seed: 1, optimizer: { type: 'sgd', momentum: 0.9 } });
  const sIn = target.predict(members.features), sOut = target.predict(held.features);
  const defense = trainDefenseClassifier(sIn, sOut, 30, { epochs: quick ? 1 : 60, learningRate: 0.05, seed: 2, optimizer: { type: 'sgd', momentum: 0.9 }, engine: engines.simd });
  const queries = quick ? 50 : 500;
  const s = new Float32Array(queries * 30);
  s.set(sIn.subarray(0, (queries / 2) * 30));
  s.set(sOut.subarray(0, (queries / 2) * 30), (queries / 2) * 30);
  const tasks: Record<string, () => void> = {};
  for (const b of builds) {
    const guard = new MemGuard({ defenseClassifier: Mlp.fromParameters(defense.parameters(), engines[b]), epsilon: 1, coin: { mode: 'expectation' } });
    tasks[b] = () => void guard.protect(s);
  }
  const best = await bestOf(tasks, rounds, quick ? 5 : 2000);
  rows.push([`protect queries/s, ${queries} Location vectors, epsilon 1`, (best.relaxed! * queries).toFixed(0), (best.simd! * queries).toFixed(0), ratio2(best.relaxed!, best.simd!)]);

  printTable(['measure', 'relaxed', 'SIMD', 'relaxed/SIMD'], rows, 1);
  console.log(`\n(per CPU-second of this process, best of ${rounds} rounds, builds alternating)`);
}
