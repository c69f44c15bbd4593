// The defenses `memguard compare` runs, as two small interfaces: a training-time defense trains a
// target model (same architecture, same members, optional reference rows) through the recipes of
// src/defenses/ (`trainTarget`); a post-hoc defense turns the undefended model's released vectors
// into other vectors (MemGuard's slot). MemGuard itself is run by the comparison directly (it needs
// its defense classifier trained per base model).
import type { Predictor } from '../defenses/predictor.js';
import { DEFENSE_NAMES, DEFENSES, type DefenseName } from '../defenses/registry.js';
import type { TargetTraining } from '../defenses/recipe.js';
import type { TrainTargetTask } from '../parallel/tasks.js';
import type { FitOptions, Mlp } from '../nn/mlp.js';
import { HampOutput } from '../posthoc/hampOutput.js';
import { LabelOnly } from '../posthoc/labelOnly.js';
import { Rounding } from '../posthoc/rounding.js';
import { TemperatureScaling } from '../posthoc/temperature.js';
import { TopK } from '../posthoc/topK.js';
import { UniformMixing } from '../posthoc/uniform.js';

/** A defense's knob values at one setting, by knob name (e.g. `{ epochs: 10 }`). */
export type DefenseParams = Record<string, number | string>;

/** Labelled feature rows. */
export interface Rows {
  features: Float32Array;
  labels: Int32Array;
  n: number;
}

/**
 * A trained target as the comparison uses it: the predictor, and DP-SGD's accounting when it has one.
 *
 * @example
 * const t: TrainedModel = { model: Mlp.create([2, 2]), params: {} };
 */
export interface TrainedModel {
  model: Predictor;
  params: Record<string, number | string | number[]>;
  dp?: Record<string, number>;
}

/** Runs one `trainTarget` (in this thread, on a worker, or from the resumable store). */
export type RecipeRunner = (task: TrainTargetTask) => Promise<TrainedModel>;

/** What a training-time defense trains on: the architecture, the recipe, the members and the reference rows. */
export interface TrainContext {
  d: number;
  classes: number;
  /** The undefended recipe (SGD with step decay). */
  training: TargetTraining;
  seed: number;
  members: Rows;
  /** The only other data a defense may use (design §10: [1000, 2000) for the target; the attacker's analogue for a shadow). */
  reference: Rows;
  run: RecipeRunner;
}

/**
 * A training-time defense (design §10) with its knob grid.
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
  train(ctx: TrainContext, params: DefenseParams): Promise<TrainedModel>;
}

/** What a post-hoc defense sees: the undefended model's logits on the queries, the model, its training features. */
export interface PostHocContext {
  logits: Float32Array;
  k: number;
  seed: number;
  model: Mlp;
  /** The model's training features (HAMP draws its random inputs from their marginals). */
  marginals: Float32Array;
}

/**
 * A post-hoc defense (design §10): released vectors from the undefended model's outputs.
 *
 * @example
 * const rival: PostHocDefense = { name: 'identity', grid: () => [{}], quickGrid: () => [{}], release: (ctx) => ctx.logits.slice() };
 */
export interface PostHocDefense {
  name: string;
  /** Its settings; budget-driven rivals sweep MemGuard's budgets. */
  grid(epsilons: number[]): DefenseParams[];
  quickGrid(epsilons: number[]): DefenseParams[];
  release(ctx: PostHocContext, params: DefenseParams): Float32Array;
}

/** The undefended recipe's fit options. */
export function recipeFit(t: TargetTraining, seed: number, epochs = t.epochs): FitOptions {
  const milestones = t.milestones.filter((m) => m < epochs);
  return {
    epochs, learningRate: t.learningRate, batchSize: t.batchSize, seed, optimizer: 'sgd',
    schedule: milestones.length ? { milestones, gamma: t.gamma } : undefined,
  };
}

/** The swept knob's grid (design §10: each defense sweeps one knob; the others keep their defaults). */
function gridOf(name: DefenseName): DefenseParams[] {
  const swept = DEFENSES[name].knobs.find((k) => k.grid.length > 1);
  return swept ? swept.grid.map((v) => ({ [swept.name]: v })) : [{}];
}

/** The quick run's grid: the swept knob's first and middle values (the last ones, e.g. 80 epochs of early stopping, outlast the quick training). */
function quickGridOf(name: DefenseName): DefenseParams[] {
  const g = gridOf(name);
  return g.length > 2 ? [g[0]!, g[Math.floor((g.length - 1) / 2)]!] : g;
}

/**
 * The training-time defenses of design §10 (the recipes of src/defenses/), in report order.
 *
 * @example
 * console.log(TRAINING_DEFENSES.map((d) => d.name)); // ['none', 'l2', 'dropout', ...]
 */
export const TRAINING_DEFENSES: TrainingDefense[] = DEFENSE_NAMES.map((name) => ({
  name,
  grid: gridOf(name),
  quickGrid: quickGridOf(name),
  train: (ctx, params) => ctx.run({
    defense: name, params: params as Record<string, number>, d: ctx.d, classes: ctx.classes, seed: ctx.seed, training: ctx.training,
    members: { x: ctx.members.features, y: ctx.members.labels },
    reference: DEFENSES[name].usesReference ? { x: ctx.reference.features, y: ctx.reference.labels } : undefined,
  }),
}));

/**
 * The post-hoc rivals available to the comparison (MemGuard aside).
 *
 * @example
 * console.log(POSTHOC_DEFENSES.map((d) => d.name));
 */
export const POSTHOC_DEFENSES: PostHocDefense[] = [
  {
    name: 'uniform', grid: (e) => e.map((epsilon) => ({ epsilon })), quickGrid: (e) => e.map((epsilon) => ({ epsilon })),
    release: (c, p) => new UniformMixing({ k: c.k, epsilon: Number(p.epsilon) }).protect(c.logits, { input: 'logits' }).released,
  },
  {
    name: 'temperature', grid: (e) => e.map((epsilon) => ({ epsilon })), quickGrid: (e) => e.map((epsilon) => ({ epsilon })),
    release: (c, p) => new TemperatureScaling({ k: c.k, epsilon: Number(p.epsilon) }).protect(c.logits, { input: 'logits' }).released,
  },
  {
    name: 'hamp-output', grid: () => [{}], quickGrid: () => [{}],
    release: (c) => new HampOutput({ model: c.model, seed: c.seed, marginals: c.marginals }).protect(c.logits, { input: 'logits' }).released,
  },
  {
    name: 'rounding', grid: () => [1, 2, 3].map((decimals) => ({ decimals })), quickGrid: () => [1, 3].map((decimals) => ({ decimals })),
    release: (c, p) => new Rounding({ k: c.k, decimals: Number(p.decimals) }).protect(c.logits, { input: 'logits' }).released,
  },
  {
    name: 'top-k', grid: () => [1, 3].map((top) => ({ top })), quickGrid: () => [1, 3].map((top) => ({ top })),
    release: (c, p) => new TopK({ k: c.k, top: Number(p.top) }).protect(c.logits, { input: 'logits' }).released,
  },
  {
    name: 'label-only', grid: () => [{}], quickGrid: () => [{}],
    release: (c) => new LabelOnly({ k: c.k }).protect(c.logits, { input: 'logits' }).released,
  },
];

/** Every defense name `--defenses` accepts. */
export function defenseNames(): string[] {
  return [...TRAINING_DEFENSES.map((d) => d.name), ...POSTHOC_DEFENSES.map((d) => d.name), 'memguard'];
}
