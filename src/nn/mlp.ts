import { check, MemGuardInputError } from '../errors.js';
import { Random } from '../random.js';
import type { Ptr } from '../wasm/abi.js';
import { defaultEngine, type Engine } from '../wasm/engine.js';
import { outputLike, toLabels, toRows, toTargets, type MatrixInput, type MatrixOutput, type VectorInput } from './matrix.js';
import { checkDp, checkTrainingOptions, isSoft, seedWasmRandom, toSoftTargets } from './training.js';
import { Trainer, type TrainerOptions } from './trainer.js';

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
/** Each activation's code in the WASM layer descriptor (assembly/nn/activations.ts); also the reference twins'. */
export const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2, softmax: 3, tanh: 4 };

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
  /** With `FitOptions.validation`: this epoch's validation accuracy. */
  validationAccuracy?: number;
}

/**
 * Training settings for `Mlp.fit` (design §6 uses SGD, batch 64, step decay). The regularizers and
 * DP-SGD of design §10 are options of the same loop; with none of them set, training is unchanged
 * bit for bit.
 *
 * @example
 * const m = Mlp.create([2, 4, 2], { seed: 1 });
 * const options: FitOptions = { epochs: 20, batchSize: 2, learningRate: 0.1, schedule: { milestones: [10], gamma: 0.1 }, seed: 3 };
 * const { loss } = m.fit([0, 1, 1, 0, 1, 1, 0, 0], [1, 0, 1, 0], options);
 * m.fit([0, 1, 1, 0, 1, 1, 0, 0], [1, 0, 1, 0], { epochs: 5, weightDecay: 1e-3, dropout: 0.5, entropyWeight: 0.1 });
 */
export interface FitOptions {
  epochs: number;
  /** Default 64; the last batch of an epoch may be smaller. Ignored under `dp` (Poisson batches). */
  batchSize?: number;
  /** Default 0.01. */
  learningRate?: number;
  /** Step decay: the rate is multiplied by `gamma` at each epoch in `milestones` (the paper's: [150], 0.1). */
  schedule?: { milestones: number[]; gamma: number };
  /** Default plain SGD. */
  optimizer?: Optimizer;
  /** Fresh shuffle every epoch (default true). */
  shuffle?: boolean;
  /** Seeds the shuffles, dropout masks, DP-SGD's sampling and noise (default 0). */
  seed?: number;
  /** Called after every epoch with its mean loss and learning rate. */
  onEpoch?: (info: EpochInfo) => void;
  /** L2 on weights only (not biases): the loss gains lambda / 2 * sum W^2. Default 0. */
  weightDecay?: number;
  /** Inverted dropout rate in [0, 1) after every hidden layer while training; off in predict/logits. Default 0. */
  dropout?: number;
  /** Adds -entropyWeight * H(softmax(z)) per row to the loss (confidence penalty; HAMP's regularizer). Softmax head. */
  entropyWeight?: number;
  /**
   * Evaluated after every epoch; at the end the parameters of the epoch with the best validation
   * accuracy (ties: the earlier) are restored. `patience`: stop after that many epochs without improvement.
   */
  validation?: { x: MatrixInput; y: VectorInput; patience?: number };
  /** DP-SGD (design §10): Poisson sampling at `sampleRate`, per-example clipping to `clip`, Gaussian noise. */
  dp?: DpOptions;
  /** A custom loss on the logits in place of cross-entropy (RelaxLoss, AdvReg): see `LossBatch`. */
  lossGradient?: (batch: LossBatch) => number;
}

/**
 * DP-SGD's knobs (Abadi et al.): each step samples every training row with probability
 * `sampleRate` (round(1 / sampleRate) steps per epoch), clips each example's whole-model gradient
 * to L2 norm `clip`, adds N(0, (noiseMultiplier * clip)^2) to each parameter of the sum and divides
 * by sampleRate * rows. `dpEpsilon` gives the privacy this spends.
 *
 * @example
 * const dp: DpOptions = { noiseMultiplier: 1.1, clip: 1, sampleRate: 0.25 };
 * const m = Mlp.create([2, 4, 2], { seed: 1 });
 * const { steps } = m.fit([0, 1, 1, 0, 1, 1, 0, 0], [1, 0, 1, 0], { epochs: 2, learningRate: 0.1, dp });
 * console.log(steps, dpEpsilon({ ...dp, steps, delta: 1e-5 }).epsilon);
 */
export interface DpOptions { noiseMultiplier: number; clip: number; sampleRate: number }

/**
 * What a custom loss (`FitOptions.lossGradient`) sees once per batch: the batch's logits (a copy)
 * and a zero-filled `dLogits` it must fill with d(batch-mean loss)/d logits; it returns the
 * batch's mean loss.
 *
 * @example
 * // Squared error to a one-hot target, written by hand:
 * const labels = [1, 0];
 * const lossGradient = (b: LossBatch) => {
 *   let loss = 0;
 *   for (let r = 0; r < b.rows; r++) for (let j = 0; j < b.classes; j++) {
 *     const diff = b.logits[r * b.classes + j]! - (labels[b.indices[r]!] === j ? 1 : 0);
 *     loss += diff * diff / b.rows;
 *     b.dLogits[r * b.classes + j] = 2 * diff / b.rows;
 *   }
 *   return loss;
 * };
 * Mlp.create([2, 2], { seed: 1 }).fit([0, 1, 1, 0], labels, { epochs: 3, lossGradient });
 */
export interface LossBatch {
  /** 1-based epoch. */
  epoch: number;
  rows: number;
  classes: number;
  /** Which training rows are in this batch, in batch order. */
  indices: Int32Array;
  /** rows x classes pre-activation outputs (read-only copy). */
  logits: Float32Array;
  /** rows x classes, zero-filled: write d(batch-mean loss) / d logits here. */
  dLogits: Float32Array;
}

/**
 * Targets for `fit`: integer labels (softmax head) or targets in [0, 1] (sigmoid head), one per
 * row; or, for a softmax head, `{ soft }`: one target distribution per row (label smoothing,
 * distillation), trained with cross-entropy against it.
 *
 * @example
 * const m = Mlp.create([2, 2], { seed: 1 });
 * const y: FitTargets = { soft: [[0.9, 0.1], [0.2, 0.8]] };
 * m.fit([0, 1, 1, 0], y, { epochs: 2 });
 */
export type FitTargets = VectorInput | { soft: MatrixInput };

/**
 * What `fit` returns: every epoch's mean training loss, the number of optimizer steps, and with a
 * validation set each epoch's validation accuracy and the (1-based) epoch whose parameters were kept.
 *
 * @example
 * const m = Mlp.create([2, 4, 2], { seed: 1 });
 * const x = [0, 1, 1, 0, 1, 1, 0, 0], y = [1, 0, 1, 0];
 * const result: FitResult = m.fit(x, y, { epochs: 5, learningRate: 0.5, validation: { x, y } });
 * console.log(result.bestEpoch, result.validationAccuracy);
 */
export interface FitResult {
  loss: number[];
  steps: number;
  bestEpoch?: number;
  validationAccuracy?: number[];
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
  /** Integer labels (softmax head) or targets in [0, 1] (sigmoid head), one per row; or soft targets. */
  y: FitTargets;
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
   * Trains with mini-batch SGD or Adam on softmax cross-entropy (softmax head, integer labels or
   * soft targets) or binary cross-entropy (sigmoid head, targets in [0, 1]), with the optional
   * regularizers, validation and DP-SGD of `FitOptions`. Returns the mean loss of every epoch.
   */
  fit(x: MatrixInput, y: FitTargets, options: FitOptions): FitResult {
    this.alive();
    const { data, rows } = toRows(x, this.inputSize, 'fit x');
    const head = this.head;
    check(head === 'softmax' || head === 'sigmoid', () => `fit: a "${head}" head has no loss; use softmax or sigmoid`);
    check(head === 'softmax' || this.outputSize === 1, () => `fit: a sigmoid head must have 1 output to train, has ${this.outputSize}`);
    const out = this.outputSize;
    const soft = isSoft(y) ? toSoftTargets(y.soft, rows, out, head) : undefined;
    const labels = !soft && head === 'softmax' ? toLabels(y as VectorInput, rows, out, 'fit y') : undefined;
    const targets = !soft && head === 'sigmoid' ? toTargets(y as VectorInput, rows, 'fit y') : undefined;
    const epochs = options.epochs;
    check(Number.isInteger(epochs) && epochs >= 0, () => `fit: epochs must be a non-negative integer, got ${epochs}`);
    const batchSize = options.batchSize ?? 64;
    check(Number.isInteger(batchSize) && batchSize > 0, () => `fit: batchSize must be a positive integer, got ${batchSize}`);
    const baseRate = options.learningRate ?? 0.01;
    check(baseRate > 0 && Number.isFinite(baseRate), () => `fit: learningRate must be positive, got ${baseRate}`);
    check(rows > 0, () => 'fit: no training rows');
    const optimizer = normalizeOptimizer(options.optimizer ?? 'sgd');
    const extra = checkTrainingOptions(this, options, 'fit');
    const validation = options.validation ? this.validationSet(options.validation) : undefined;
    const dp = options.dp ? checkDp(options.dp) : undefined;
    const hook = options.lossGradient;
    check(hook === undefined || typeof hook === 'function', () => `fit: lossGradient must be a function, got ${typeof hook}`);
    const rng = new Random(options.seed ?? 0);
    const e = this.engine, n = this.parameterCount, L = this.layers.length;
    const sumOut = this.layers.reduce((s, l) => s + l.out, 0);
    const hiddenOut = sumOut - out;
    const width = Math.max(...this.layers.map((l) => Math.max(l.in, l.out)));
    const stateCount = optimizer.type === 'adam' ? 2 * n : optimizer.momentum ? n : 0;
    // Under DP-SGD a step's Poisson batch is processed in chunks of at most `cap` rows (about twice
    // the expected batch, so nearly always one chunk).
    const cap = dp ? Math.min(rows, Math.ceil(2 * dp.sampleRate * rows) + 8) : batchSize;
    const steps = dp ? Math.max(1, Math.round(1 / dp.sampleRate)) : Math.ceil(rows / batchSize);
    const loss: number[] = [];
    const validationAccuracy: number[] = [];
    let best = { epoch: 0, accuracy: -1, parameters: undefined as Float32Array | undefined };
    let stepCount = 0;

    e.withScratch(
      [n, stateCount, rows * this.inputSize, soft ? rows * out : rows, rows, cap * this.inputSize, cap * sumOut,
        2 * cap * width, cap * out, soft ? cap * out : cap,
        extra.dropout ? cap * hiddenOut : 0, dp ? cap * sumOut : 0, dp ? cap : 0, 4],
      (grads, state, xAll, yAll, order, xb, acts, scratch, dLogits, yb, masks, deltas, norms, rngState) => {
        e.f32.fill(0, state >>> 2, (state >>> 2) + stateCount);
        e.writeF32(xAll, data);
        if (labels) e.i32.set(labels, yAll >>> 2);
        else e.writeF32(yAll, soft ?? targets!);
        if (extra.dropout || dp) seedWasmRandom(e, rngState, options.seed ?? 0);
        this.writeDescriptor(grads);
        const indices = new Int32Array(rows);
        for (let i = 0; i < rows; i++) indices[i] = i;

        /** Forward, loss and dLogits for rows order[start, start + b); returns the batch's mean loss. */
        const batchLoss = (epoch: number, start: number, b: number): number => {
          const idx = order + start * 4;
          e.abi.gatherRows(this.inputSize, xAll, idx, b, xb);
          if (extra.dropout) {
            e.abi.dropoutMasks(b * hiddenOut, extra.dropout, rngState, masks);
            this.setMasks(masks, b);
          }
          e.abi.mlpForward(this.desc, L, b, xb, acts);
          const logits = acts + (sumOut - out) * b * 4;
          let value: number;
          if (hook) {
            const batch: LossBatch = {
              epoch, rows: b, classes: out, indices: e.i32.slice(idx >>> 2, (idx >>> 2) + b),
              logits: e.readF32(logits, b * out), dLogits: new Float32Array(b * out),
            };
            value = hook(batch);
            check(typeof value === 'number' && Number.isFinite(value), () => `fit: lossGradient returned ${value}; it must return the batch's finite mean loss`);
            for (let i = 0; i < batch.dLogits.length; i++) {
              if (!Number.isFinite(batch.dLogits[i])) throw new MemGuardInputError(`fit: lossGradient wrote dLogits[${i}] = ${batch.dLogits[i]} (must be finite)`);
            }
            e.writeF32(dLogits, batch.dLogits);
          } else if (labels) {
            e.abi.gatherInts(yAll, idx, b, yb);
            value = e.abi.softmaxCrossEntropy(b, out, logits, yb, dLogits);
          } else if (soft) {
            e.abi.gatherRows(out, yAll, idx, b, yb);
            value = e.abi.softmaxCrossEntropySoft(b, out, logits, yb, dLogits);
          } else {
            e.abi.gatherRows(1, yAll, idx, b, yb);
            value = e.abi.sigmoidBinaryCrossEntropy(b, logits, yb, dLogits);
          }
          if (extra.entropyWeight) value += e.abi.entropyPenalty(b, out, logits, extra.entropyWeight, dLogits);
          return value;
        };

        const update = (rate: number): number => {
          const penalty = extra.weightDecay ? e.abi.weightDecay(this.desc, L, extra.weightDecay) : 0;
          stepCount++;
          if (optimizer.type === 'adam') {
            e.abi.adamStep(n, this.params, grads, state, state + n * 4, rate, optimizer.beta1, optimizer.beta2, optimizer.epsilon, stepCount);
          } else e.abi.sgdStep(n, this.params, grads, state, rate, optimizer.momentum);
          return penalty;
        };

        try {
          for (let epoch = 1; epoch <= epochs; epoch++) {
            const rate = baseRate * scheduleFactor(options.schedule, epoch);
            let total = 0, seen = 0;
            if (dp) {
              for (let step = 0; step < steps; step++) {
                let b = 0;
                for (let i = 0; i < rows; i++) if (rng.next() < dp.sampleRate) indices[b++] = i;
                e.i32.set(indices.subarray(0, b), order >>> 2);
                if (b === 0) e.f32.fill(0, grads >>> 2, (grads >>> 2) + n);
                for (let start = 0; start < b; start += cap) {
                  const c = Math.min(cap, b - start);
                  total += batchLoss(epoch, start, c) * c;
                  e.abi.mlpClippedGradients(this.desc, L, c, xb, acts, dLogits, c, dp.clip, deltas, norms, start > 0 ? 1 : 0);
                }
                seen += b;
                e.abi.addGaussianNoise(n, grads, dp.noiseMultiplier === 0 ? 0 : dp.noiseMultiplier * dp.clip, 1 / (dp.sampleRate * rows), rngState);
                total += update(rate) * b;
              }
            } else {
              if (options.shuffle !== false) rng.shuffle(indices);
              e.i32.set(indices, order >>> 2);
              for (let start = 0; start < rows; start += batchSize) {
                const b = Math.min(batchSize, rows - start);
                total += batchLoss(epoch, start, b) * b;
                e.abi.mlpBackward(this.desc, L, b, xb, acts, dLogits, 0, 1, scratch);
                total += update(rate) * b;
              }
              seen = rows;
            }
            const mean = seen > 0 ? total / seen : 0;
            if (!Number.isFinite(mean)) throw new MemGuardInputError(`fit: loss became ${mean} at epoch ${epoch}; lower the learning rate`);
            loss.push(mean);
            let accuracy: number | undefined;
            if (validation) {
              if (extra.dropout) this.setMasks(0, 0);
              accuracy = this.accuracy(validation.x, validation.y);
              validationAccuracy.push(accuracy);
              if (accuracy > best.accuracy) best = { epoch, accuracy, parameters: e.readF32(this.params, n) };
            }
            options.onEpoch?.({ epoch, epochs, loss: mean, learningRate: rate, ...(accuracy === undefined ? {} : { validationAccuracy: accuracy }) });
            if (validation?.patience !== undefined && epoch - best.epoch >= validation.patience) break;
          }
          if (best.parameters) e.writeF32(this.params, best.parameters);
        } finally {
          this.writeDescriptor(0);
        }
      },
    );
    return { loss, steps: stepCount, ...(validation ? { bestEpoch: best.epoch, validationAccuracy } : {}) };
  }

  /**
   * A per-batch training handle: the caller supplies each batch and its loss gradient (recipes
   * that train several networks against each other, e.g. AdvReg's inference model). Holds its
   * gradient and optimizer state in WASM memory until `dispose()`.
   *
   * @example
   * const m = Mlp.create([2, 2], { seed: 1 });
   * const trainer = m.trainer({ learningRate: 0.1 });
   * const { loss } = trainer.step([0, 1, 1, 0], (logits, dLogits, rows) => {
   *   for (let i = 0; i < logits.length; i++) dLogits[i] = logits[i]! / rows; // pull logits to 0
   *   return logits.reduce((s, v) => s + v * v, 0) / (2 * rows);
   * });
   * trainer.dispose();
   */
  trainer(options: TrainerOptions = {}): Trainer {
    this.alive();
    return new Trainer(this, options);
  }

  /** Classification accuracy (argmax for softmax, p >= 0.5 for sigmoid) on labelled rows. */
  private accuracy(x: Float32Array, y: Int32Array | Float32Array): number {
    const scores = this.logits(x);
    const out = this.outputSize, rows = y.length;
    let right = 0;
    for (let r = 0; r < rows; r++) {
      if (out === 1) right += (scores[r]! >= 0) === (y[r]! >= 0.5) ? 1 : 0;
      else {
        let arg = 0;
        for (let j = 1; j < out; j++) if (scores[r * out + j]! > scores[r * out + arg]!) arg = j;
        right += arg === y[r] ? 1 : 0;
      }
    }
    return right / rows;
  }

  private validationSet(v: NonNullable<FitOptions['validation']>): { x: Float32Array; y: Int32Array | Float32Array; patience?: number } {
    check(typeof v === 'object' && v !== null, () => 'fit: validation must be { x, y, patience? }');
    const { data, rows } = toRows(v.x, this.inputSize, 'fit validation.x');
    check(rows > 0, () => 'fit: validation.x has no rows');
    const y = this.head === 'softmax' ? toLabels(v.y, rows, this.outputSize, 'fit validation.y') : toTargets(v.y, rows, 'fit validation.y');
    check(v.patience === undefined || (Number.isInteger(v.patience) && v.patience > 0),
      () => `fit: validation.patience must be a positive integer, got ${v.patience}`);
    return { x: data, y, ...(v.patience === undefined ? {} : { patience: v.patience }) };
  }

  /** @internal Points every hidden layer's descriptor mask at its block of `masks` (batch b), or clears them (0). */
  setMasks(masks: Ptr, b: number): void {
    const i32 = this.engine.i32;
    let at = 0;
    for (let l = 0; l < this.layers.length - 1; l++) {
      i32[(this.desc >>> 2) + 8 * l + 7] = masks ? masks + at * b * 4 : 0;
      at += this.layers[l]!.out;
    }
  }

  /** @internal Binds (or with 0 unbinds) the gradient block the backward pass writes into. */
  bindGradients(grads: Ptr): void {
    this.writeDescriptor(grads);
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

export function normalizeOptimizer(o: Optimizer):
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
