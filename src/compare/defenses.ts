// The defenses `memguard compare` runs, as two small interfaces: a training-time defense trains a
// target model (same architecture, same members, optional reference rows); a post-hoc defense turns
// the undefended model's released vectors into other vectors (MemGuard's slot). MemGuard itself is
// run by the comparison directly (it needs its defense classifier trained per base model).
// The registries hold what the engine offers today; the recipe and post-hoc libraries plug in here.
import type { TrainingConfig } from '../experiment/run.js';
import type { FitOptions } from '../nn/mlp.js';
import { Mlp } from '../nn/mlp.js';
import type { FitMany } from './store.js';

/** A defense's knob values at one setting, by knob name (e.g. `{ epochs: 10 }`). */
export type DefenseParams = Record<string, number | string>;

/** Labelled feature rows. */
export interface Rows {
  features: Float32Array;
  labels: Int32Array;
  n: number;
}

/** What a training-time defense trains on: the architecture, the recipe, the members and the reference rows. */
export interface TrainContext {
  /** Layer sizes, input to output. */
  sizes: number[];
  /** The undefended recipe (SGD with step decay). */
  training: TrainingConfig;
  seed: number;
  members: Rows;
  /** The only other data a defense may use (SPEC §10: [1000, 2000) for the target; the attacker's analogue for a shadow). */
  reference: Rows;
  /** Trains independent models (worker pool, resumable store). */
  fitMany: FitMany;
}

/**
 * A training-time defense (SPEC §10) with its knob grid.
 *
 * @example
 * const es = TRAINING_DEFENSES.find((d) => d.name === 'early-stopping')!;
 * console.log(es.grid.map((p) => p.epochs)); // [5, 10, 20, 40, 80]
 */
export interface TrainingDefense {
  /** The `memguard train` name. */
  name: string;
  /** The knob settings swept (full run) and the few of the quick run. */
  grid: DefenseParams[];
  quickGrid: DefenseParams[];
  train(ctx: TrainContext, params: DefenseParams): Promise<Mlp>;
}

/** What a post-hoc defense sees: the undefended model's outputs (and logits) on the queries. */
export interface PostHocContext {
  scores: Float32Array;
  logits: Float32Array;
  k: number;
  seed: number;
}

/**
 * A post-hoc defense (SPEC §10): released vectors from the undefended model's outputs.
 *
 * @example
 * const rival: PostHocDefense = { name: 'identity', grid: [{}], quickGrid: [{}], release: (ctx) => ctx.scores.slice() };
 */
export interface PostHocDefense {
  name: string;
  grid: DefenseParams[];
  quickGrid: DefenseParams[];
  release(ctx: PostHocContext, params: DefenseParams): Float32Array;
}

/** The undefended recipe's fit options. */
export function recipeFit(t: TrainingConfig, seed: number, epochs = t.epochs): FitOptions {
  const milestones = t.milestones.filter((m) => m < epochs);
  return {
    epochs, learningRate: t.learningRate, batchSize: t.batchSize, seed, optimizer: 'sgd',
    schedule: milestones.length ? { milestones, gamma: t.gamma } : undefined,
  };
}

async function trainRecipe(ctx: TrainContext, epochs: number): Promise<Mlp> {
  const model = Mlp.create(ctx.sizes, { seed: ctx.seed });
  await ctx.fitMany([{ model, x: ctx.members.features, y: ctx.members.labels, options: recipeFit(ctx.training, ctx.seed, epochs) }]);
  return model;
}

/** The quick grid of early stopping: the same fractions of training as the full grid's 5..80 of 200 epochs. */
function fractionOfTraining(ctx: TrainContext, epochs: number): number {
  return ctx.training.epochs >= 200 ? epochs : Math.max(1, Math.round((epochs * ctx.training.epochs) / 200));
}

/**
 * The training-time defenses available to the comparison, in report order.
 *
 * @example
 * console.log(TRAINING_DEFENSES.map((d) => d.name)); // ['none', 'early-stopping', ...]
 */
export const TRAINING_DEFENSES: TrainingDefense[] = [
  {
    name: 'none', grid: [{}], quickGrid: [{}],
    train: (ctx) => trainRecipe(ctx, ctx.training.epochs),
  },
  {
    // SPEC §10: the undefended recipe, stopped after `epochs` (of 200).
    name: 'early-stopping',
    grid: [5, 10, 20, 40, 80].map((epochs) => ({ epochs })),
    quickGrid: [10, 40].map((epochs) => ({ epochs })),
    train: (ctx, p) => trainRecipe(ctx, fractionOfTraining(ctx, Number(p.epochs))),
  },
];

/**
 * The post-hoc rivals available to the comparison (MemGuard aside).
 *
 * @example
 * console.log(POSTHOC_DEFENSES.map((d) => d.name));
 */
export const POSTHOC_DEFENSES: PostHocDefense[] = [];

/** Every defense name `--defenses` accepts. */
export function defenseNames(): string[] {
  return [...TRAINING_DEFENSES.map((d) => d.name), ...POSTHOC_DEFENSES.map((d) => d.name), 'memguard'];
}
