// What every training-time defense (design §10) shares: the shape of a recipe, the data and settings
// it is given, what it returns, and the one way a recipe trains an MLP of the target's architecture
// (`fitTarget`), so each defense file holds only its own loss or procedure.
import type { FitJob, FitOptions, Mlp, Optimizer } from '../nn/mlp.js';
import { Mlp as MlpClass } from '../nn/mlp.js';
import type { Predictor } from './predictor.js';

/**
 * The target model's architecture and undefended training (design §6 on Location: hidden
 * [1024, 512, 256, 128], 200 epochs, SGD lr 0.01, batch 64, x0.1 at epoch 150). Every recipe starts
 * from these; a defense changes only what its recipe says.
 *
 * @example
 * const training: TargetTraining = { hidden: [64], epochs: 20, learningRate: 0.05, batchSize: 32, milestones: [], gamma: 1 };
 */
export interface TargetTraining {
  /** Hidden layer sizes (ReLU); the input and output sizes come from the data. */
  hidden: number[];
  epochs: number;
  learningRate: number;
  batchSize: number;
  /** Step decay: the rate is multiplied by `gamma` from each milestone epoch on. */
  milestones: number[];
  gamma: number;
  /** Default plain SGD. */
  optimizer?: Optimizer;
}

/**
 * Labelled rows: `x` row-major `rows x d` features, `y` integer classes.
 *
 * @example
 * const members: LabeledRows = { x: new Float32Array([0, 1, 1, 0]), y: new Int32Array([1, 0]) };
 */
export interface LabeledRows {
  x: Float32Array;
  y: Int32Array;
}

/**
 * What a recipe reports while it trains: a stage name and how far along it is.
 *
 * @example
 * const onProgress = (p: TrainProgress) => console.log(`${p.stage}: ${p.done}/${p.total}`);
 */
export interface TrainProgress {
  stage: string;
  done: number;
  total: number;
}

/**
 * The differential-privacy guarantee of a DP-SGD training (RDP accountant, design §10).
 *
 * @example
 * const dp: DpGuarantee = { epsilon: 8, delta: 1e-5, noiseMultiplier: 0.9, sampleRate: 0.064, steps: 3125, clip: 1 };
 */
export interface DpGuarantee {
  epsilon: number;
  delta: number;
  noiseMultiplier: number;
  sampleRate: number;
  steps: number;
  clip: number;
}

/**
 * Everything a recipe is given (validated by `trainTarget`).
 *
 * @example
 * const ctx: RecipeContext = {
 *   members: { x: new Float32Array([0, 1, 1, 0]), y: new Int32Array([1, 0]) }, d: 2, classes: 2,
 *   training: { hidden: [4], epochs: 2, learningRate: 0.1, batchSize: 2, milestones: [], gamma: 1 },
 *   knobs: { lambda: 1e-3 }, seed: 1, progress: () => {}, fitMany: async () => {},
 * };
 * const { model } = await DEFENSES.l2.train(ctx);
 */
export interface RecipeContext {
  members: LabeledRows;
  /** The only extra data a defense may use (design §10: Location [1000, 2000)); undefined if none given. */
  reference?: LabeledRows;
  d: number;
  classes: number;
  training: TargetTraining;
  /** The recipe's knobs: its defaults overridden by the caller's values (a knob without a default may be absent). */
  knobs: Record<string, number | undefined>;
  seed: number;
  /** Where the recipe reports each epoch or round of each stage. */
  progress: (p: TrainProgress) => void;
  /** Trains independent models (SELENA's sub-models); default one after another in this thread. */
  fitMany: (jobs: FitJob[]) => Promise<unknown>;
}

/**
 * What a recipe returns (`trainTarget` adds the knobs and settings to `params`).
 *
 * @example
 * const result: RecipeResult = { model: Mlp.create([2, 2]), params: { noiseMultiplier: 1.1 } };
 */
export interface RecipeResult {
  model: Predictor;
  /**
   * Hyperparameters the recipe derived or fixed beyond its knobs (e.g. DP-SGD's noise multiplier);
   * null removes a knob that was not used (DP-SGD's target epsilon when sigma is given).
   */
  params?: Record<string, number | string | null>;
  dp?: DpGuarantee;
  /** What the recipe did, for tests and audits (e.g. which rows trained which part). */
  details?: RecipeDetails;
}

/**
 * What a recipe did beyond its model, for audits: the member rows each part or sub-model trained on,
 * the soft labels it distilled, the epochs' mean losses.
 *
 * @example
 * const details: RecipeDetails = { loss: [2.3, 1.1] };
 */
export interface RecipeDetails {
  /** Mean training loss of every epoch (or alternation round) of the deployed model. */
  loss?: number[];
  /** Stacking's three parts, SELENA's sub-models: the member row indices each trained on. */
  trainedOn?: Int32Array[];
  /** Soft labels the deployed model was trained on (rows x classes): SELENA, DMP, HAMP, label smoothing. */
  softLabels?: Float32Array;
  /** SELENA: each sub-model's class probabilities for every member (members x classes each). */
  teacherOutputs?: Float32Array[];
}

/**
 * A knob of a defense: its name, design §10's grid, and the default used when none is given.
 *
 * @example
 * const lambda: Knob = { name: 'lambda', flag: 'lambda', default: 5e-3, grid: [1e-4, 1e-3, 5e-3, 1e-2, 5e-2], description: 'L2 weight' };
 */
export interface Knob {
  name: string;
  /** The `memguard train` flag that sets it (without `--`). */
  flag: string;
  /** Undefined for a knob that is off unless given (DP-SGD's noise multiplier, instead of its target epsilon). */
  default: number | undefined;
  /** The values design §10 sweeps (empty when it names one value). */
  grid: number[];
  description: string;
  /** Smallest allowed value, and whether it is excluded (default: > 0). */
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
  integer?: boolean;
}

/**
 * One training-time defense (design §10): its name, knobs and recipe (`DEFENSES` holds them all).
 *
 * @example
 * const recipe: DefenseRecipe = DEFENSES['dp-sgd'];
 * console.log(recipe.knobs.map((k) => k.flag)); // ['target-epsilon', 'noise-multiplier', 'clip', 'delta']
 */
export interface DefenseRecipe {
  name: string;
  description: string;
  knobs: Knob[];
  /** True when the recipe needs the reference rows (AdvReg's non-members, DMP's distillation data). */
  usesReference: boolean;
  /** Trains a target under this defense (`trainTarget` validates the context first). */
  train(ctx: RecipeContext): Promise<RecipeResult>;
}

/** A fresh MLP of the target's architecture for the context's data. */
export function targetModel(ctx: RecipeContext, seed: number, hidden = ctx.training.hidden): Mlp {
  return MlpClass.create([ctx.d, ...hidden, ctx.classes], { seed });
}

/** The undefended recipe's fit settings (design §6), reporting each epoch as `stage`. */
export function baseFitOptions(ctx: RecipeContext, seed: number, stage: string): FitOptions {
  const t = ctx.training;
  return {
    epochs: t.epochs, batchSize: t.batchSize, learningRate: t.learningRate,
    schedule: t.milestones.length > 0 ? { milestones: t.milestones, gamma: t.gamma } : undefined,
    optimizer: t.optimizer, seed,
    onEpoch: (e) => ctx.progress({ stage, done: e.epoch, total: e.epochs }),
  };
}

/** Per-row target distributions for labels `y`: `hot` on the label, `rest` on every other class. */
export function softTargets(y: Int32Array, classes: number, hot: number, rest: number): Float32Array {
  const out = new Float32Array(y.length * classes).fill(rest);
  for (let r = 0; r < y.length; r++) out[r * classes + y[r]!] = hot;
  return out;
}

/** The rows `index` of a row-major matrix of width `cols`. */
export function pickRows(x: Float32Array, cols: number, index: ArrayLike<number>): Float32Array {
  const out = new Float32Array(index.length * cols);
  for (let i = 0; i < index.length; i++) out.set(x.subarray(index[i]! * cols, (index[i]! + 1) * cols), i * cols);
  return out;
}

/** The labels `index` of `y`. */
export function pickLabels(y: Int32Array, index: ArrayLike<number>): Int32Array {
  return Int32Array.from(index, (i) => y[i]!);
}

/** What `fitTarget` trains towards: integer labels, or one target distribution per row (rows x classes). */
export type Targets = Int32Array | { soft: Float32Array };

/**
 * Trains a fresh target-architecture MLP on `x` (default the members) with the undefended settings
 * plus `extra` (the defense's options); the recipes' one way to train.
 */
export function fitTarget(
  ctx: RecipeContext, targets: Targets, extra: Partial<FitOptions> = {},
  { x = ctx.members.x, seed = ctx.seed, stage = 'train target', hidden = ctx.training.hidden }:
    { x?: Float32Array; seed?: number; stage?: string; hidden?: number[] } = {},
): { model: Mlp; loss: number[]; steps: number } {
  const model = targetModel(ctx, seed, hidden);
  try {
    const { loss, steps } = model.fit(x, targets, { ...baseFitOptions(ctx, seed, stage), ...extra });
    return { model, loss, steps };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
