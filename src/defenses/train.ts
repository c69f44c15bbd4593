// The one entry point of the training-time defenses: trains a target model under any design §10
// recipe, on the members and (where the recipe may use it) the reference rows, deterministic for a
// seed. Validates everything first, so a bad call fails before any training.
import { check, MemGuardInputError } from '../errors.js';
import { toLabels, toRows, type MatrixInput, type VectorInput } from '../nn/matrix.js';
import type { FitJob } from '../nn/mlp.js';
import type { Predictor } from './predictor.js';
import { DEFENSE_NAMES, DEFENSES, type DefenseName } from './registry.js';
import type { DpGuarantee, LabeledRows, RecipeDetails, TargetTraining, TrainProgress } from './recipe.js';

/**
 * What `trainTarget` trains and on what.
 *
 * @example
 * const options: TrainTargetOptions = {
 *   defense: 'l2', params: { lambda: 1e-3 }, d: 2,
 *   members: { x: [0, 0, 0, 1, 1, 0, 1, 1], y: [0, 1, 1, 0] },
 *   training: { hidden: [8], epochs: 5, learningRate: 0.1, batchSize: 2, milestones: [], gamma: 1 },
 * };
 */
export interface TrainTargetOptions {
  defense: DefenseName;
  /** Knob values by name (see `DEFENSES[defense].knobs`); the others keep their defaults. */
  params?: Record<string, number>;
  /** Width of a feature row. */
  d: number;
  /** Number of classes (default: the largest label given + 1). */
  classes?: number;
  /** The target's training set (rows x d features, integer labels). */
  members: { x: MatrixInput; y: VectorInput };
  /**
   * The only other rows a defense may use (design §10: Location [1000, 2000)): AdvReg's non-members,
   * DMP's distillation data. Required by the recipes that use it, ignored by the others.
   */
  reference?: { x: MatrixInput; y: VectorInput };
  /** Architecture and undefended training (design §6's on Location). */
  training: TargetTraining;
  /** Seeds every initialization, shuffle, mask and split (default 0). */
  seed?: number;
  /** Called after each epoch (or round) of each stage of the recipe. */
  onProgress?: (progress: TrainProgress) => void;
  /**
   * Trains independent models at once (SELENA's sub-models), each exactly as
   * `job.model.fit(job.x, job.y, job.options)`; e.g. `fitParallel` from 'memguard/node'.
   * Default: one after another in this thread.
   */
  fitMany?: (jobs: FitJob[]) => Promise<unknown>;
}

/**
 * A target trained under a defense: the model, every hyperparameter used, and for DP-SGD its
 * privacy accounting.
 *
 * @example
 * const trained: TrainedTarget = await trainTarget({
 *   defense: 'none', d: 2, members: { x: [0, 1, 1, 0], y: [1, 0] },
 *   training: { hidden: [4], epochs: 2, learningRate: 0.1, batchSize: 2, milestones: [], gamma: 1 },
 * });
 * console.log(trained.params.epochs, trained.model.predict([0, 1]).length); // 2 2
 */
export interface TrainedTarget {
  defense: DefenseName;
  model: Predictor;
  /**
   * Every hyperparameter used: the knobs, the training settings (the schedule as
   * `learningRateMilestones` and `learningRateDecay`), the seed, and what the recipe derived.
   */
  params: Record<string, number | string | number[]>;
  dp?: DpGuarantee;
  details: RecipeDetails;
}

function labeled(what: string, rows: { x: MatrixInput; y: VectorInput }, d: number): LabeledRows & { n: number } {
  const { data, rows: n } = toRows(rows.x, d, `trainTarget: ${what}.x`);
  check(n > 0, () => `trainTarget: ${what} has no rows`);
  // Classes are checked against the count once it is known; here only "non-negative integers".
  const y = toLabels(rows.y, n, 2 ** 30, `trainTarget: ${what}.y`);
  return { x: data, y, n };
}

function checkTraining(t: TargetTraining): void {
  check(Array.isArray(t.hidden) && t.hidden.every((h) => Number.isInteger(h) && h > 0),
    () => `trainTarget: training.hidden must be positive integers, got [${t.hidden}]`);
  check(Number.isInteger(t.epochs) && t.epochs >= 1, () => `trainTarget: training.epochs must be an integer >= 1, got ${t.epochs}`);
  check(Number.isInteger(t.batchSize) && t.batchSize >= 1, () => `trainTarget: training.batchSize must be an integer >= 1, got ${t.batchSize}`);
  check(t.learningRate > 0 && Number.isFinite(t.learningRate), () => `trainTarget: training.learningRate must be positive, got ${t.learningRate}`);
  check(Array.isArray(t.milestones) && Number.isFinite(t.gamma) && t.gamma > 0,
    () => `trainTarget: training.milestones must be a list and gamma positive, got [${t.milestones}] and ${t.gamma}`);
}

/** The recipe's knobs: defaults, overridden by `given`, each checked against its range. */
export function resolveKnobs(defense: DefenseName, given: Record<string, number> = {}): Record<string, number | undefined> {
  const recipe = DEFENSES[defense];
  const names = recipe.knobs.map((k) => k.name);
  for (const name of Object.keys(given)) {
    check(names.includes(name), () => `trainTarget: ${defense} has no parameter "${name}"; its parameters: ${names.length ? names.join(', ') : 'none'}`);
  }
  const out: Record<string, number | undefined> = {};
  for (const k of recipe.knobs) {
    const v = given[k.name] ?? k.default;
    if (v !== undefined) {
      const min = k.min ?? 0, exclusive = k.min === undefined ? true : k.exclusiveMin === true;
      check(typeof v === 'number' && Number.isFinite(v) && (exclusive ? v > min : v >= min) && (k.max === undefined || v <= k.max) && (!k.integer || Number.isInteger(v)),
        () => `trainTarget: ${defense} ${k.name} must be ${k.integer ? 'an integer ' : 'a number '}${exclusive ? '>' : '>='} ${min}${k.max === undefined ? '' : ` and <= ${k.max}`}, got ${v}`);
    }
    out[k.name] = v;
  }
  return out;
}

/**
 * Trains a target model under a training-time defense of design §10 (`none` for the undefended
 * recipe). Deterministic for a seed; reports progress; the only data besides the members a recipe
 * sees is `reference`.
 *
 * @example
 * const rows = [0, 0, 0, 1, 1, 0, 1, 1], labels = [0, 1, 1, 0];
 * const training = { hidden: [8], epochs: 5, learningRate: 0.1, batchSize: 2, milestones: [], gamma: 1 };
 * const { model, params } = await trainTarget({ defense: 'hamp', d: 2, members: { x: rows, y: labels }, training, seed: 1 });
 * console.log(params.gamma, model.predict([1, 0]).length); // 0.5 2
 * model.dispose();
 */
export async function trainTarget(options: TrainTargetOptions): Promise<TrainedTarget> {
  const { defense } = options;
  check((DEFENSE_NAMES as readonly string[]).includes(defense), () => `trainTarget: unknown defense ${JSON.stringify(defense)}; one of ${DEFENSE_NAMES.join(', ')}`);
  const recipe = DEFENSES[defense];
  check(Number.isInteger(options.d) && options.d > 0, () => `trainTarget: d must be a positive integer, got ${options.d}`);
  checkTraining(options.training);
  const seed = options.seed ?? 0;
  check(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31, () => `trainTarget: seed must be an integer in [0, 2^31), got ${seed}`);
  const knobs = resolveKnobs(defense, options.params);
  const members = labeled('members', options.members, options.d);
  const reference = options.reference && recipe.usesReference ? labeled('reference', options.reference, options.d) : undefined;
  if (recipe.usesReference && !reference) {
    throw new MemGuardInputError(`trainTarget: ${defense} needs reference rows (design §10: the defender's non-members, Location [1000, 2000))`);
  }
  let maxLabel = 0;
  for (const y of [members.y, reference?.y ?? new Int32Array()]) for (const v of y) maxLabel = Math.max(maxLabel, v);
  const classes = options.classes ?? maxLabel + 1;
  check(Number.isInteger(classes) && classes >= 2, () => `trainTarget: needs at least 2 classes, got ${classes}`);
  check(maxLabel < classes, () => `trainTarget: label ${maxLabel} is outside 0..${classes - 1}`);

  const result = await recipe.train({
    members, reference, d: options.d, classes, training: { ...options.training }, knobs, seed,
    progress: options.onProgress ?? (() => {}),
    fitMany: options.fitMany ?? (async (jobs) => { for (const j of jobs) j.model.fit(j.x, j.y, j.options); }),
  });
  const t = options.training;
  const params: Record<string, number | string | number[]> = {
    hidden: [...t.hidden], epochs: t.epochs, learningRate: t.learningRate, batchSize: t.batchSize,
    learningRateMilestones: [...t.milestones], learningRateDecay: t.gamma, optimizer: typeof t.optimizer === 'object' ? JSON.stringify(t.optimizer) : t.optimizer ?? 'sgd',
    seed,
  };
  for (const [name, v] of Object.entries(knobs)) if (v !== undefined) params[name] = v;
  for (const [name, v] of Object.entries(result.params ?? {})) {
    if (v === null) delete params[name];
    else params[name] = v;
  }
  return { defense, model: result.model, params, ...(result.dp ? { dp: result.dp } : {}), details: result.details ?? {} };
}
