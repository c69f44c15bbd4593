// One MLP training step at batch 64 (forward, loss and its gradient, backward, plain SGD update) for
// the two models design §6 trains most: the target model 446-1024-512-256-128-30 (softmax
// cross-entropy, on Location rows) and the defense classifier 30-256-128-64-1 (sigmoid binary
// cross-entropy, on sorted confidence vectors). WASM SIMD and scalar run the library's own
// `Mlp.fit` (one epoch of 64 rows = one step, no shuffle); the plain-JS baseline runs the reference
// kernels (src/reference/mlp.ts forward, src/reference/nn.ts losses and SGD, src/reference/blas.ts
// GEMM). Before timing, one step of each WASM build is checked against the JS step from the same
// weights, so a wrong kernel cannot post a figure.
import { Bench } from 'tinybench';
import { loadLocation } from '../src/data/datasets.js';
import { ACTIVATION_CODE, Mlp, type LayerParameters } from '../src/nn/mlp.js';
import { gemm } from '../src/reference/blas.js';
import { mlpForward, type ReferenceLayer } from '../src/reference/mlp.js';
import { activateBackward, columnSum, sgdStep, sigmoidBinaryCrossEntropy, softmaxCrossEntropy } from '../src/reference/nn.js';
import { loadEngine, type Engine } from '../src/wasm/engine.js';
import { printTable, ratio, type SuiteOptions } from './util.js';

export const description = 'one training step (forward + backward + SGD), batch 64: WASM SIMD and scalar vs plain JS';

const BATCH = 64;
const LEARNING_RATE = 0.01;

interface Model {
  name: string;
  sizes: number[];
  head: 'softmax' | 'sigmoid';
  x: Float32Array;
  /** Labels (softmax) or targets (sigmoid). */
  y: Int32Array | Float32Array;
}

function models(): Model[] {
  const data = loadLocation();
  const x = data.features.slice(0, BATCH * data.d);
  const labels = data.labels.slice(0, BATCH);
  // Sorted softmax vectors of random logits: the defense classifier's kind of input.
  const k = 30, scores = new Float32Array(BATCH * k);
  let seed = 12345;
  const rand = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let r = 0; r < BATCH; r++) {
    const row = Array.from({ length: k }, () => Math.exp(6 * rand()));
    const sum = row.reduce((a, b) => a + b, 0);
    scores.set(row.map((v) => v / sum).sort((a, b) => a - b), r * k);
  }
  const members = Float32Array.from({ length: BATCH }, (_, i) => i % 2);
  return [
    { name: 'target 446-1024-512-256-128-30', sizes: [446, 1024, 512, 256, 128, 30], head: 'softmax', x, y: labels },
    { name: 'defense 30-256-128-64-1', sizes: [30, 256, 128, 64, 1], head: 'sigmoid', x: scores, y: members },
  ];
}

/** A plain-JS training step on reference kernels: the baseline. Returns the batch loss. */
function jsStepper(model: Model, initial: LayerParameters[]): { step: () => number; layers: ReferenceLayer[] } {
  const layers: ReferenceLayer[] = initial.map((l) => ({
    in: l.in, out: l.out, activation: ACTIVATION_CODE[l.activation], weight: l.weight.slice(), bias: l.bias.slice(),
  }));
  const gw = layers.map((l) => new Float32Array(l.in * l.out)), gb = layers.map((l) => new Float32Array(l.out));
  const out = layers[layers.length - 1]!.out;
  const dLogits = new Float32Array(BATCH * out);
  const step = (): number => {
    const acts = mlpForward(layers, BATCH, model.x);
    const logits = acts[acts.length - 1]!;
    const loss = model.head === 'softmax'
      ? softmaxCrossEntropy(BATCH, out, logits, model.y as Int32Array, dLogits)
      : sigmoidBinaryCrossEntropy(BATCH, logits, model.y as Float32Array, dLogits);
    // src/reference/mlp.ts mlpBackward, minus the input gradient of the first layer (which training
    // does not need and the WASM step skips), so both sides do the same flops.
    let d = dLogits;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      const input = l === 0 ? model.x : acts[l - 1]!;
      gemm(1, 0, layer.in, layer.out, BATCH, 1, input, 0, layer.in, d, 0, layer.out, 0, gw[l]!, 0, layer.out);
      columnSum(BATCH, layer.out, d, gb[l]!);
      if (l > 0) {
        const dIn = new Float32Array(BATCH * layer.in);
        gemm(0, 1, BATCH, layer.in, layer.out, 1, d, 0, layer.out, layer.weight, 0, layer.out, 0, dIn, 0, layer.in);
        activateBackward(layers[l - 1]!.activation, BATCH, layer.in, input, dIn);
        d = dIn;
      }
    }
    layers.forEach((layer, l) => {
      sgdStep(layer.weight.length, layer.weight, gw[l]!, null, LEARNING_RATE, 0);
      sgdStep(layer.bias.length, layer.bias, gb[l]!, null, LEARNING_RATE, 0);
    });
    return loss;
  };
  return { step, layers };
}

/** `steps` WASM training steps per call: `Mlp.fit` over the 64 rows for `steps` epochs. */
function wasmStepper(model: Model, initial: LayerParameters[], engine: Engine, steps: number): { run: () => void; mlp: Mlp } {
  const mlp = Mlp.fromParameters(initial, engine);
  const options = { epochs: steps, batchSize: BATCH, learningRate: LEARNING_RATE, shuffle: false };
  return { run: () => void mlp.fit(model.x, model.y, options), mlp };
}

/** One step of each WASM build must move every weight as the JS step does. */
function check(model: Model, initial: LayerParameters[], engines: Record<string, Engine>): void {
  const js = jsStepper(model, initial);
  js.step();
  for (const [build, engine] of Object.entries(engines)) {
    const w = wasmStepper(model, initial, engine, 1);
    w.run();
    w.mlp.parameters().forEach((l, i) => {
      for (const key of ['weight', 'bias'] as const) {
        const before = initial[i]![key], after = l[key], want = js.layers[i]![key];
        let scale = 0, worst = 0;
        for (let j = 0; j < before.length; j++) {
          scale = Math.max(scale, Math.abs(want[j]! - before[j]!));
          worst = Math.max(worst, Math.abs(after[j]! - want[j]!));
        }
        if (!(worst <= 1e-3 * scale + 1e-7)) {
          throw new Error(`train step ${model.name} ${build}: layer ${i} ${key} update off by ${worst} (update scale ${scale})`);
        }
      }
    });
    w.mlp.dispose();
  }
}

export async function run({ quick }: SuiteOptions): Promise<void> {
  const engines = { simd: loadEngine({ build: 'simd' }), scalar: loadEngine({ build: 'scalar' }) };
  const rows: string[][] = [];
  for (const model of models()) {
    const initial = Mlp.create(model.sizes, { head: model.head, seed: 1, engine: engines.simd }).parameters();
    check(model, initial, engines);
    const flop = 3 * 2 * BATCH * model.sizes.slice(1).reduce((s, out, i) => s + model.sizes[i]! * out, 0)
      - 2 * BATCH * model.sizes[0]! * model.sizes[1]!; // forward + dW + dX (no dX for the first layer)
    // WASM: several steps per timed call so one sample is ~50-100 ms; JS: one step per call.
    const stepsPerCall = model.sizes[0]! > 100 ? 4 : 50;
    const simd = wasmStepper(model, initial, engines.simd, stepsPerCall);
    const scalar = wasmStepper(model, initial, engines.scalar, stepsPerCall);
    const js = jsStepper(model, initial);
    const heavy = model.sizes[0]! > 100;
    const bench = new Bench({
      throws: true,
      time: quick ? 5 : heavy ? 2500 : 1500,
      iterations: quick ? 1 : 3,
      warmupTime: quick ? 0 : 200,
      warmupIterations: 1,
    });
    bench.add('simd', simd.run).add('scalar', scalar.run).add('js', () => void js.step());
    await bench.run();
    const [s, sc, j] = bench.tasks.map((task) => {
      const r = task.result;
      if (r.state !== 'completed') throw new Error(`train bench ${model.name} ${task.name} ended ${r.state}`);
      return r.throughput.mean * (task.name === 'js' ? 1 : stepsPerCall);
    }) as [number, number, number];
    simd.mlp.dispose();
    scalar.mlp.dispose();
    const gflops = (stepsPerSecond: number): string => ((stepsPerSecond * flop) / 1e9).toFixed(2);
    rows.push([model.name, 'WASM SIMD', s.toFixed(1), (1000 / s).toFixed(2), gflops(s), ratio(s, j)]);
    rows.push([model.name, 'WASM scalar', sc.toFixed(1), (1000 / sc).toFixed(2), gflops(sc), ratio(sc, j)]);
    rows.push([model.name, 'plain JS (reference)', j.toFixed(2), (1000 / j).toFixed(1), gflops(j), '1.0x']);
  }
  console.log(`Training step, batch ${BATCH}, SGD lr ${LEARNING_RATE} (steps/s = tinybench throughput.mean x steps per call)\n`);
  printTable(['model', 'implementation', 'steps/s', 'ms/step', 'GFLOP/s', 'vs JS'], rows, 2);
}
