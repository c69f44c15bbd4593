// A per-batch training handle over an Mlp: the caller owns the loop and the loss (recipes that
// train several networks against each other, e.g. AdvReg's inference model and classifier).
import { check, MemGuardInputError } from '../errors.js';
import type { Ptr } from '../wasm/abi.js';
import { toRows, type MatrixInput } from './matrix.js';
import { normalizeOptimizer, type Mlp, type Optimizer } from './mlp.js';
import { checkTrainingOptions, seedWasmRandom, type TrainingOptions } from './training.js';

/**
 * Settings of `Mlp.trainer`: the optimizer and rate, L2 on weights, dropout on hidden layers
 * (masks seeded by `seed`).
 *
 * @example
 * const options: TrainerOptions = { learningRate: 0.01, optimizer: 'adam', weightDecay: 1e-4, seed: 1 };
 * Mlp.create([2, 2]).trainer(options).dispose();
 */
export interface TrainerOptions {
  learningRate?: number;
  optimizer?: Optimizer;
  weightDecay?: number;
  dropout?: number;
  seed?: number;
}

/**
 * What `Trainer.step` is given to compute the loss: the batch's logits (a copy), a zero-filled
 * dLogits to fill with d(batch loss)/d logits, and the row count; it returns the loss.
 *
 * @example
 * const meanSquare: StepLoss = (logits, dLogits, rows) => {
 *   for (let i = 0; i < logits.length; i++) dLogits[i] = logits[i]! / rows;
 *   return logits.reduce((s, v) => s + v * v, 0) / (2 * rows);
 * };
 */
export type StepLoss = (logits: Float32Array, dLogits: Float32Array, rows: number) => number;

/**
 * Trains an `Mlp` one caller-given batch at a time (`Mlp.trainer`): forward, the caller's loss
 * gradient, backward, weight decay, one optimizer step, all in WASM; optionally returns the loss's
 * gradient with respect to the batch's inputs (taken before the update).
 *
 * @example
 * const m = Mlp.create([3, 1], { head: 'sigmoid', seed: 2 });
 * const trainer = m.trainer({ learningRate: 0.1 });
 * const { inputGradient } = trainer.step([1, 2, 3], (logits, dLogits) => { dLogits[0] = 1; return logits[0]!; }, { inputGradient: true });
 * console.log(inputGradient); // d logit / d x: the weights before the step
 * trainer.dispose();
 */
export class Trainer {
  private readonly optimizer: ReturnType<typeof normalizeOptimizer>;
  private readonly learningRate: number;
  private readonly options: TrainingOptions;
  private grads: Ptr;
  private state: Ptr;
  private rng: Ptr;
  private steps = 0;
  private disposed = false;

  /** Use `Mlp.prototype.trainer`. */
  constructor(private readonly model: Mlp, options: TrainerOptions) {
    this.learningRate = options.learningRate ?? 0.01;
    check(typeof this.learningRate === 'number' && this.learningRate > 0 && Number.isFinite(this.learningRate),
      () => `trainer: learningRate must be positive, got ${this.learningRate}`);
    this.optimizer = normalizeOptimizer(options.optimizer ?? 'sgd');
    this.options = checkTrainingOptions(model, options, 'trainer');
    check(model.head === 'softmax' || model.head === 'sigmoid' || model.head === 'linear',
      () => `trainer: a "${model.head}" head cannot be trained`);
    const e = model.engine, n = model.parameterCount;
    const stateCount = this.optimizer.type === 'adam' ? 2 * n : this.optimizer.momentum ? n : 0;
    this.grads = e.alloc(n);
    this.state = e.alloc(stateCount);
    e.f32.fill(0, this.state >>> 2, (this.state >>> 2) + stateCount);
    this.rng = e.alloc(4);
    seedWasmRandom(e, this.rng, options.seed ?? 0);
  }

  /**
   * One training step on the rows of `x`: `lossGradient` receives the logits and fills dLogits;
   * returns its loss (plus the weight-decay term) and, if asked, d loss / d x (rows x in).
   */
  step(x: MatrixInput, lossGradient: StepLoss, options: { inputGradient?: boolean } = {}): { loss: number; inputGradient?: Float32Array } {
    if (this.disposed) throw new MemGuardInputError('Trainer: used after dispose()');
    const model = this.model, e = model.engine, layers = model.layers;
    const { data, rows } = toRows(x, model.inputSize, 'Trainer.step x');
    check(rows > 0, () => 'Trainer.step: no rows');
    check(typeof lossGradient === 'function', () => `Trainer.step: lossGradient must be a function, got ${typeof lossGradient}`);
    const out = model.outputSize, sumOut = layers.reduce((s, l) => s + l.out, 0), hidden = sumOut - out;
    const width = Math.max(...layers.map((l) => Math.max(l.in, l.out)));
    const { descriptor, layerCount, parameters } = model.memoryLayout;
    const wantDx = options.inputGradient === true;
    return e.withScratch(
      [rows * model.inputSize, rows * sumOut, 2 * rows * width, rows * out, wantDx ? rows * model.inputSize : 0, this.options.dropout ? rows * hidden : 0],
      (xb, acts, scratch, dLogits, dx, masks) => {
        e.writeF32(xb, data);
        model.bindGradients(this.grads);
        try {
          if (this.options.dropout) {
            e.abi.dropoutMasks(rows * hidden, this.options.dropout, this.rng, masks);
            model.setMasks(masks, rows);
          }
          e.abi.mlpForward(descriptor, layerCount, rows, xb, acts);
          const logits = acts + (sumOut - out) * rows * 4;
          const gradient = new Float32Array(rows * out);
          let loss = lossGradient(e.readF32(logits, rows * out), gradient, rows);
          check(typeof loss === 'number' && Number.isFinite(loss), () => `Trainer.step: lossGradient returned ${loss}; it must return a finite loss`);
          for (let i = 0; i < gradient.length; i++) {
            if (!Number.isFinite(gradient[i])) throw new MemGuardInputError(`Trainer.step: lossGradient wrote dLogits[${i}] = ${gradient[i]} (must be finite)`);
          }
          e.writeF32(dLogits, gradient);
          e.abi.mlpBackward(descriptor, layerCount, rows, xb, acts, dLogits, wantDx ? dx : 0, 1, scratch);
          if (this.options.weightDecay) loss += e.abi.weightDecay(descriptor, layerCount, this.options.weightDecay);
          const n = model.parameterCount, o = this.optimizer;
          this.steps++;
          if (o.type === 'adam') {
            e.abi.adamStep(n, parameters, this.grads, this.state, this.state + n * 4, this.learningRate, o.beta1, o.beta2, o.epsilon, this.steps);
          } else e.abi.sgdStep(n, parameters, this.grads, this.state, this.learningRate, o.momentum);
          return { loss, ...(wantDx ? { inputGradient: e.readF32(dx, rows * model.inputSize) } : {}) };
        } finally {
          model.bindGradients(0);
        }
      },
    );
  }

  /** Frees the gradient and optimizer state; the model itself stays usable. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const e = this.model.engine;
    e.release(this.grads);
    e.release(this.state);
    e.release(this.rng);
  }
}
