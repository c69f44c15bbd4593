// A DP-SGD training step against a plain SGD step on the Location target 446-1024-512-256-128-30
// (design §10; issue 15 aims at <= 2x), both through the library's own `Mlp.fit` in the same run:
// one epoch over 1,024 Location rows is 16 steps either way (plain: batches of 64; DP-SGD: Poisson
// batches at q = 1/16, expected 64, clip 1, noise multiplier 1.1). The noise kernel alone (one
// Gaussian per parameter) is timed too, since it is the part that does not shrink with the batch.
import { Bench } from 'tinybench';
import { loadLocation } from '../src/data/datasets.js';
import { Mlp } from '../src/nn/mlp.js';
import { loadEngine } from '../src/wasm/engine.js';
import { printTable, type SuiteOptions } from './util.js';

export const description = 'DP-SGD step vs plain SGD step, Location target, batch 64 (expected), same run';

const ROWS = 1024, BATCH = 64, STEPS = ROWS / BATCH;

export async function run({ quick }: SuiteOptions): Promise<void> {
  const engine = loadEngine({ build: 'simd' });
  const data = loadLocation();
  const x = data.features.slice(0, ROWS * data.d), y = data.labels.slice(0, ROWS);
  const sizes = [data.d, 1024, 512, 256, 128, 30];
  const initial = Mlp.create(sizes, { seed: 1, engine }).parameters();
  const plain = Mlp.fromParameters(initial, engine), dp = Mlp.fromParameters(initial, engine);
  const dpOptions = { noiseMultiplier: 1.1, clip: 1, sampleRate: 1 / STEPS };
  const n = plain.parameterCount;
  const noiseBuffers = [engine.alloc(n), engine.alloc(4)] as const;
  engine.i32.set([1, 2, 3, 4], noiseBuffers[1] >>> 2);
  const bench = new Bench({ throws: true, time: quick ? 5 : 3000, iterations: quick ? 1 : 5, warmupTime: quick ? 0 : 300, warmupIterations: 1 });
  bench
    .add('plain SGD', () => void plain.fit(x, y, { epochs: 1, batchSize: BATCH, learningRate: 0.01, seed: 2 }))
    .add('DP-SGD', () => void dp.fit(x, y, { epochs: 1, learningRate: 0.01, seed: 2, dp: dpOptions }))
    .add('noise only', () => engine.abi.addGaussianNoise(n, noiseBuffers[0], 1.1, 1 / 64, noiseBuffers[1]));
  await bench.run();
  const ms = bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`dp-sgd bench ${task.name} ended ${r.state}`);
    return task.name === 'noise only' ? r.latency.mean : r.latency.mean / STEPS;
  }) as [number, number, number];
  noiseBuffers.forEach((p) => engine.release(p));
  plain.dispose();
  dp.dispose();
  console.log(`Location target, ${n} parameters; ${STEPS} steps per timed epoch (ms/step = tinybench latency.mean / ${STEPS})\n`);
  printTable(['step', 'ms/step', 'vs plain SGD'], [
    ['plain SGD, batch 64', ms[0].toFixed(2), '1.00x'],
    ['DP-SGD, Poisson q = 1/16, clip 1, sigma 1.1', ms[1].toFixed(2), `${(ms[1] / ms[0]).toFixed(2)}x`],
    ['  of which: Gaussian noise on every parameter', ms[2].toFixed(2), `${(ms[2] / ms[0]).toFixed(2)}x`],
  ]);
}
