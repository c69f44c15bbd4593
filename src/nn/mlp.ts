import { check, MemGuardInputError } from '../errors.js';
import { Random } from '../random.js';
import type { Ptr } from '../wasm/abi.js';
import { defaultEngine, type Engine } from '../wasm/engine.js';
import { outputLike, toLabels, toRows, toTargets, type MatrixInput, type MatrixOutput, type VectorInput } from './matrix.js';

/**
 * A layer's activation; the last layer's is the network's head.
 *
 * @example
 * const m = Mlp.create([4, 8, 3], { hidden: 'relu', head: 'softmax' });
 * console.log(m.head); // 'softmax'
 */
export type Activation = 'linear' | 'relu' | 'sigmoid' | 'softmax' | 'tanh';
/**
 * Every activation a layer (and a model file) may use.
 *
 * @example
 * console.log(ACTIVATIONS.includes('relu')); // true
 */
export const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'sigmoid', 'softmax', 'tanh'];
const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2, softmax: 3, tanh: 4 };

/**
 * A dense layer's shape and activation: `y = activation(x W + b)`.
 *
 * @example
 * const layers: readonly Layer[] = Mlp.create([4, 8, 1], { head: 'sigmoid' }).layers;
 * console.log(layers[1]); // { in: 8, out: 1, activation: 'sigmoid' }
 */
export interface Layer {
  in: number;
  out: number;
  activation: Activation;
}

/**
 * A layer with its parameters: weight is [in][out] row-major, as in the model file.
 *
 * @example
 * const [first] = Mlp.create([2, 3], { seed: 1 }).parameters();
 * console.log(first.weight.length, first.bias.length); // 6 3
 */
export interface LayerParameters extends Layer {
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * How `fit` updates the weights: plain SGD (default), SGD with momentum, or Adam.
 *
 * @example
 * const m = Mlp.create([2, 2]);
 * const optimizer: Optimizer = { type: 'sgd', momentum: 0.9 }; // or 'sgd', 'adam', { type: 'adam', beta1: 0.9 }
 * m.fit([0, 1, 1, 0], [1, 0], { epochs: 2, optimizer });
 */
export type Optimizer =
  | 'sgd' | 'adam'
  | { type: 'sgd'; momentum?: number }
  | { type: 'adam'; beta1?: number; beta2?: number; epsilon?: number };

/**
 * What `fit` reports after each epoch (`onEpoch`): the 1-based epoch, the mean loss, the rate used.
 *
 * @example
 * const m = Mlp.create([2, 2]);
 * m.fit([0, 1, 1, 0], [1, 0], { epochs: 3, onEpoch: (info: EpochInfo) => console.log(info.epoch, info.loss) });
 */
export interface EpochInfo {
  epoch: number; // 1-based
  epochs: number;
  loss: number; // mean training loss over the epoch
  learningRate: number;
}

/**
 * Training settings for `Mlp.fit` (SPEC §6 uses SGD, batch 64, step decay).
 *
 * @example
 * const m = Mlp.create([2, 4, 2], { seed: 1 });
 * const options: FitOptions = { epochs: 20, batchSize: 2, learningRate: 0.1, schedule: { milestones: [10], gamma: 0.1 }, seed: 3 };
 * const { loss } = m.fit([0, 1, 1, 0, 1, 1, 0, 0], [1, 0, 1, 0], options);
 */
export interface FitOptions {
  epochs: number;
  /** Default 64; the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Default 0.01. */
  learningRate?: number;
  /** Step decay: the rate is multiplied by `gamma` at each epoch in `milestones` (SPEC §6: [150], 0.1). */
  schedule?: { milestones: number[]; gamma: number };
  /** Default plain SGD. */
  optimizer?: Optimizer;
  /** Fresh shuffle every epoch (default true). */
  shuffle?: boolean;
  /** Seeds the shuffles (default 0). */
  seed?: number;
  /** Called after every epoch with its mean loss and learning rate. */
  onEpoch?: (info: EpochInfo) => void;
}

/**
 * One model to train on its data: what `fit` takes, as a value (e.g. to train several at once).
 *
 * @example
 * const job: FitJob = { model: Mlp.create([2, 2]), x: [0, 1, 1, 0], y: [1, 0], options: { epochs: 1 } };
 * job.model.fit(job.x, job.y, job.options); // or fitParallel([job, ...]) from 'memguard/node'
 */
export interface FitJob {
  model: Mlp;
  x: MatrixInput;
  /** Integer labels (softmax head) or targets in [0, 1] (sigmoid head), one per row. */
  y: VectorInput;
  options: FitOptions;
}

/**
 * What `inputGradient` differentiates: one logit, or any linear function of the logits given per
 * row by its coefficients (rows x out).
 *
 * @example
 * const m = Mlp.create([3, 2], { seed: 1 });
 * m.inputGradient([0.1, 0.2, 0.3], { logit: 1 });                    // d logit_1 / d x
 * m.inputGradient([0.1, 0.2, 0.3], { logitWeights: [1, -1] });       // d (logit_0 - logit_1) / d x
 */
export type GradientOf = { logit: number } | { logitWeights: MatrixInput };

const CHUNK = 1024; // rows per WASM call in inference, bounding scratch memory

// Releases WASM memory of models the caller forgot to dispose().
const finalizer = new FinalizationRegistry<() => void>((release) => release());

/**
 * A multi-layer perceptron whose parameters live in WebAssembly memory. Forward, backward and
 * updates run in WASM; this class validates inputs, lays out memory and orchestrates.
 *
 * @example
 * const m = Mlp.create([2, 8, 2], { seed: 1 });          // 2 -> 8 (relu) -> 2 (softmax)
 * m.fit([0, 0, 0, 1, 1, 0, 1, 1], [0, 1, 1, 0], { epochs: 200, batchSize: 4, learningRate: 0.5 });
 * const probabilities = m.predict([1, 0]);               // Float32Array of 2, summing to 1
 * const json = serializeModel(m);                        // save; loadModel(json) loads it back
 * m.dispose();                                           // frees its WebAssembly memory now
 */
export class Mlp {
  readonly engine: Engine;
  readonly layers: readonly Layer[];
  readonly parameterCount: number;
  private params: Ptr;
  private desc: Ptr;
  private disposed = false;
  private readonly token = {};

  private constructor(layers: Layer[], engine: Engine) {
    check(layers.length > 0, () => 'Mlp: needs at least one layer');
    layers.forEach((layer, i) => {
      check(Number.isInteger(layer.in) && layer.in > 0 && Number.isInteger(layer.out) && layer.out > 0,
        () => `Mlp: layer ${i} has sizes ${layer.in} -> ${layer.out}; both must be positive integers`);
      check(ACTIVATIONS.includes(layer.activation), () => `Mlp: layer ${i} has unknown activation "${layer.activation}"`);
      check(i === 0 || layers[i - 1]!.out === layer.in,
        () => `Mlp: layer ${i} takes ${layer.in} inputs but layer ${i - 1} gives ${layers[i - 1]!.out}`);
    });
    this.engine = engine;
    this.layers = layers.map((l) => ({ ...l }));
    this.parameterCount = layers.reduce((n, l) => n + l.in * l.out + l.out, 0);
    this.params = engine.alloc(this.parameterCount);
    this.desc = engine.alloc(8 * layers.length);
    this.writeDescriptor(0);
    const { params, desc } = this;
    finalizer.register(this, () => { engine.release(params); engine.release(desc); }, this.token);
  }

  /** A fresh network `sizes[0] -> ... -> sizes[n]`, Glorot-uniform weights, zero biases. */
  static create(
    sizes: number[],
    options: { hidden?: Activation; head?: Activation; seed?: number; engine?: Engine } = {},
  ): Mlp {
    check(sizes.length >= 2, () => `Mlp.create: needs at least input and output sizes, got [${sizes}]`);
    const layers = sizes.slice(1).map((out, i) => ({
      in: sizes[i]!, out, activation: i === sizes.length - 2 ? options.head ?? 'softmax' : options.hidden ?? 'relu',
    }));
    const mlp = new Mlp(layers, options.engine ?? defaultEngine());
    const rng = new Random(options.seed ?? 0);
    mlp.setParameters(layers.map((l) => {
      const limit = Math.sqrt(6 / (l.in + l.out));
      const weight = new Float32Array(l.in * l.out);
      for (let i = 0; i < weight.length; i++) weight[i] = rng.uniform(-limit, limit);
      return { ...l, weight, bias: new Float32Array(l.out) };
    }));
    return mlp;
  }

  /** A network with the given layers and parameters (copied). */
  static fromParameters(layers: LayerParameters[], engine: Engine = defaultEngine()): Mlp {
    const mlp = new Mlp(layers.map(({ in: i, out, activation }) => ({ in: i, out, activation })), engine);
    mlp.setParameters(layers);
    return mlp;
  }

  /** Width of an input row (the first layer's `in`). */
  get inputSize(): number { return this.layers[0]!.in; }
  /** Width of an output row (the last layer's `out`). */
  get outputSize(): number { return this.layers[this.layers.length - 1]!.out; }
  /** The last layer's activation: what `predict` applies on top of `logits`. */
  get head(): Activation { return this.layers[this.layers.length - 1]!.activation; }

  /** Copies of every layer's parameters. */
  parameters(): LayerParameters[] {
    this.alive();
    let at = this.params;
    return this.layers.map((l) => {
      const weight = this.engine.readF32(at, l.in * l.out);
      at += l.in * l.out * 4;
      const bias = this.engine.readF32(at, l.out);
      at += l.out * 4;
      return { ...l, weight, bias };
    });
  }

  /** Overwrites every layer's parameters; shapes must match and values be finite. */
  setParameters(layers: ReadonlyArray<{ weight: ArrayLike<number>; bias: ArrayLike<number> }>): void {
    this.alive();
    check(layers.length === this.layers.length, () => `setParameters: got ${layers.length} layers, expected ${this.layers.length}`);
    let at = this.params;
    layers.forEach((given, i) => {
      const l = this.layers[i]!;
      for (const [name, values, size] of [['weight', given.weight, l.in * l.out], ['bias', given.bias, l.out]] as const) {
        check(values.length === size, () => `setParameters: layer ${i} ${name} has ${values.length} values, expected ${size}`);
        // A plain loop, no check() closure per value: a worker runs this cold for every Phase I chunk.
        for (let j = 0; j < size; j++) {
          if (!Number.isFinite(values[j])) throw new MemGuardInputError(`setParameters: layer ${i} ${name}[${j}] is ${values[j]} (must be finite)`);
        }
        this.engine.writeF32(at, values);
        at += size * 4;
      }
    });
  }

  /** Outputs with the head applied (class probabilities for softmax, P(1) for sigmoid). */
  predict<X extends MatrixInput>(x: X): MatrixOutput<X> {
    return this.infer(x, true);
  }

  /** The last layer's pre-activation outputs. */
  logits<X extends MatrixInput>(x: X): MatrixOutput<X> {
    return this.infer(x, false);
  }

  /**
   * Gradient, for each input row, of one logit (`{logit: j}`) or of a per-row weighted sum of the
   * logits (`{logitWeights}`, rows x out) with respect to that row: rows x in.
   */
  inputGradient<X extends MatrixInput>(x: X, of: GradientOf = { logit: 0 }): MatrixOutput<X> {
    this.alive();
    const output = outputLike(x, 'inputGradient x');
    const { data, rows } = toRows(x, this.inputSize, 'inputGradient x');
    const out = this.outputSize;
    let weights: Float32Array;
    if ('logit' in of) {
      check(Number.isInteger(of.logit) && of.logit >= 0 && of.logit < out,
        () => `inputGradient: logit ${of.logit} is outside 0..${out - 1}`);
      weights = new Float32Array(rows * out);
      for (let r = 0; r < rows; r++) weights[r * out + of.logit] = 1;
    } else {
      weights = toRows(of.logitWeights, out, 'inputGradient logitWeights').data;
      check(weights.length === rows * out, () => `inputGradient: logitWeights has ${weights.length / out} rows, x has ${rows}`);
    }
    const result = new Float32Array(rows * this.inputSize);
    this.chunked(rows, (start, n, w) => {
      const e = this.engine;
      e.writeF32(w.x, data.subarray(start * this.inputSize, (start + n) * this.inputSize));
      e.abi.mlpForward(this.desc, this.layers.length, n, w.x, w.acts);
      e.writeF32(w.dLogits, weights.subarray(start * out, (start + n) * out));
      e.abi.mlpBackward(this.desc, this.layers.length, n, w.x, w.acts, w.dLogits, w.dx, 0, w.scratch);
      result.set(e.readF32(w.dx, n * this.inputSize), start * this.inputSize);
    });
    return output(result, rows, this.inputSize);
  }

  /**
   * Trains with mini-batch SGD or Adam on softmax cross-entropy (softmax head, integer labels) or
   * binary cross-entropy (sigmoid head, targets in [0, 1]). Returns the mean loss of every epoch.
   */
  fit(x: MatrixInput, y: VectorInput, options: FitOptions): { loss: number[] } {
    this.alive();
    const { data, rows } = toRows(x, this.inputSize, 'fit x');
    const head = this.head;
    check(head === 'softmax' || head === 'sigmoid', () => `fit: a "${head}" head has no loss; use softmax or sigmoid`);
    check(head === 'softmax' || this.outputSize === 1, () => `fit: a sigmoid head must have 1 output to train, has ${this.outputSize}`);
    const labels = head === 'softmax' ? toLabels(y, rows, this.outputSize, 'fit y') : undefined;
    const targets = head === 'sigmoid' ? toTargets(y, rows, 'fit y') : undefined;
    const epochs = options.epochs;
    check(Number.isInteger(epochs) && epochs >= 0, () => `fit: epochs must be a non-negative integer, got ${epochs}`);
    const batchSize = options.batchSize ?? 64;
    check(Number.isInteger(batchSize) && batchSize > 0, () => `fit: batchSize must be a positive integer, got ${batchSize}`);
    const baseRate = options.learningRate ?? 0.01;
    check(baseRate > 0 && Number.isFinite(baseRate), () => `fit: learningRate must be positive, got ${baseRate}`);
    check(rows > 0, () => 'fit: no training rows');
    const optimizer = normalizeOptimizer(options.optimizer ?? 'sgd');
    const rng = new Random(options.seed ?? 0);
    const e = this.engine, n = this.parameterCount, L = this.layers.length, out = this.outputSize;
    const sumOut = this.layers.reduce((s, l) => s + l.out, 0);
    const width = Math.max(...this.layers.map((l) => Math.max(l.in, l.out)));
    const stateCount = optimizer.type === 'adam' ? 2 * n : optimizer.momentum ? n : 0;
    const loss: number[] = [];

    e.withScratch(
      [n, stateCount, rows * this.inputSize, rows, rows, batchSize * this.inputSize, batchSize * sumOut,
        2 * batchSize * width, batchSize * out, batchSize],
      (grads, state, xAll, yAll, order, xb, acts, scratch, dLogits, yb) => {
        e.f32.fill(0, state >>> 2, (state >>> 2) + stateCount);
        e.writeF32(xAll, data);
        if (labels) e.i32.set(labels, yAll >>> 2);
        else e.writeF32(yAll, targets!);
        this.writeDescriptor(grads);
        const indices = new Int32Array(rows);
        for (let i = 0; i < rows; i++) indices[i] = i;
        let step = 0;
        try {
          for (let epoch = 1; epoch <= epochs; epoch++) {
            const rate = baseRate * scheduleFactor(options.schedule, epoch);
            if (options.shuffle !== false) rng.shuffle(indices);
            e.i32.set(indices, order >>> 2);
            let total = 0;
            for (let start = 0; start < rows; start += batchSize) {
              const b = Math.min(batchSize, rows - start);
              const idx = order + start * 4;
              e.abi.gatherRows(this.inputSize, xAll, idx, b, xb);
              e.abi.mlpForward(this.desc, L, b, xb, acts);
              const logits = acts + (sumOut - out) * b * 4;
              let batchLoss: number;
              if (labels) {
                e.abi.gatherInts(yAll, idx, b, yb);
                batchLoss = e.abi.softmaxCrossEntropy(b, out, logits, yb, dLogits);
              } else {
                e.abi.gatherRows(1, yAll, idx, b, yb);
                batchLoss = e.abi.sigmoidBinaryCrossEntropy(b, logits, yb, dLogits);
              }
              total += batchLoss * b;
              e.abi.mlpBackward(this.desc, L, b, xb, acts, dLogits, 0, 1, scratch);
              step++;
              if (optimizer.type === 'adam') {
                e.abi.adamStep(n, this.params, grads, state, state + n * 4, rate, optimizer.beta1, optimizer.beta2, optimizer.epsilon, step);
              } else e.abi.sgdStep(n, this.params, grads, state, rate, optimizer.momentum);
            }
            const mean = total / rows;
            if (!Number.isFinite(mean)) throw new MemGuardInputError(`fit: loss became ${mean} at epoch ${epoch}; lower the learning rate`);
            loss.push(mean);
            options.onEpoch?.({ epoch, epochs, loss: mean, learningRate: rate });
          }
        } finally {
          this.writeDescriptor(0);
        }
      },
    );
    return { loss };
  }

  /** Releases the WASM memory; the model is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer.unregister(this.token);
    this.engine.release(this.params);
    this.engine.release(this.desc);
  }

  /** Pointers for code that drives the WASM module directly (the defense's batched search). */
  get memoryLayout(): { descriptor: Ptr; layerCount: number; parameters: Ptr } {
    this.alive();
    return { descriptor: this.desc, layerCount: this.layers.length, parameters: this.params };
  }

  private infer<X extends MatrixInput>(x: X, withHead: boolean): MatrixOutput<X> {
    this.alive();
    const output = outputLike(x, withHead ? 'predict x' : 'logits x');
    const { data, rows } = toRows(x, this.inputSize, withHead ? 'predict x' : 'logits x');
    const out = this.outputSize;
    const result = new Float32Array(rows * out);
    const sumOut = this.layers.reduce((s, l) => s + l.out, 0);
    this.chunked(rows, (start, n, w) => {
      const e = this.engine;
      e.writeF32(w.x, data.subarray(start * this.inputSize, (start + n) * this.inputSize));
      e.abi.mlpForward(this.desc, this.layers.length, n, w.x, w.acts);
      const logits = w.acts + (sumOut - out) * n * 4;
      if (withHead) e.abi.applyHead(ACTIVATION_CODE[this.head], n, out, logits, logits);
      result.set(e.readF32(logits, n * out), start * out);
    });
    return output(result, rows, out);
  }

  /** Runs `fn` over row chunks with a workspace sized for one chunk. */
  private chunked(rows: number, fn: (start: number, n: number, w: Workspace) => void): void {
    const b = Math.min(CHUNK, Math.max(rows, 1));
    const sumOut = this.layers.reduce((s, l) => s + l.out, 0);
    const width = Math.max(...this.layers.map((l) => Math.max(l.in, l.out)));
    this.engine.withScratch(
      [b * this.inputSize, b * sumOut, b * this.outputSize, b * this.inputSize, 2 * b * width],
      (x, acts, dLogits, dx, scratch) => {
        for (let start = 0; start < rows; start += b) fn(start, Math.min(b, rows - start), { x, acts, dLogits, dx, scratch });
      },
    );
  }

  /** Writes the descriptor table; `grads` is the gradient block (same layout as params) or 0. */
  private writeDescriptor(grads: Ptr): void {
    const i32 = this.engine.i32;
    let at = 0;
    this.layers.forEach((l, i) => {
      const w = this.params + at * 4, b = w + l.in * l.out * 4;
      const gw = grads ? grads + at * 4 : 0, gb = grads ? gw + l.in * l.out * 4 : 0;
      i32.set([l.in, l.out, ACTIVATION_CODE[l.activation], w, b, gw, gb, 0], (this.desc >>> 2) + 8 * i);
      at += l.in * l.out + l.out;
    });
  }

  private alive(): void {
    if (this.disposed) throw new MemGuardInputError('Mlp: used after dispose()');
  }
}

interface Workspace { x: Ptr; acts: Ptr; dLogits: Ptr; dx: Ptr; scratch: Ptr }

function scheduleFactor(schedule: FitOptions['schedule'], epoch: number): number {
  if (!schedule) return 1;
  // Milestone m means "from epoch m on" in 0-based epochs, as PyTorch's MultiStepLR counts.
  const passed = schedule.milestones.filter((m) => epoch > m).length;
  return schedule.gamma ** passed;
}

function normalizeOptimizer(o: Optimizer):
  | { type: 'sgd'; momentum: number }
  | { type: 'adam'; beta1: number; beta2: number; epsilon: number } {
  const spec = typeof o === 'string' ? { type: o } : o;
  if (spec.type === 'sgd') {
    const momentum = (spec as { momentum?: number }).momentum ?? 0;
    check(momentum >= 0 && momentum < 1, () => `fit: momentum must be in [0, 1), got ${momentum}`);
    return { type: 'sgd', momentum };
  }
  if (spec.type === 'adam') {
    const a = spec as { beta1?: number; beta2?: number; epsilon?: number };
    return { type: 'adam', beta1: a.beta1 ?? 0.9, beta2: a.beta2 ?? 0.999, epsilon: a.epsilon ?? 1e-8 };
  }
  throw new MemGuardInputError(`fit: unknown optimizer ${JSON.stringify(o)}`);
}
