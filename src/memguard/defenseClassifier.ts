// Training a membership classifier on sorted confidence vectors: the defender's defense classifier
// g (docs/design.md §2) and, with other hyperparameters, the attacker's NN attack (design §6).
import { check } from '../errors.js';
import { toRows, type MatrixInput } from '../nn/matrix.js';
import { Mlp, type EpochInfo, type FitOptions, type Optimizer } from '../nn/mlp.js';
import type { Engine } from '../wasm/engine.js';

/**
 * Architecture and training settings of a membership classifier (defaults: design §2, the paper's).
 *
 * @example
 * const options: MembershipClassifierOptions = { hidden: [16], epochs: 5, learningRate: 0.01, seed: 1 };
 * const g = trainDefenseClassifier([[0.9, 0.1], [0.8, 0.2]], [[0.6, 0.4], [0.5, 0.5]], 2, options);
 */
export interface MembershipClassifierOptions {
  /** Hidden layer widths (ReLU). */
  hidden?: number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  schedule?: FitOptions['schedule'];
  optimizer?: Optimizer;
  /** Seeds the Glorot initialisation and the shuffles. */
  seed?: number;
  /** Called after every training epoch. */
  onEpoch?: (info: EpochInfo) => void;
  /** The engine to build the classifier on (default: the default engine). */
  engine?: Engine;
}

/**
 * design §2: k -> 256 -> 128 -> 64 -> 1, plain SGD, learning rate 0.001, batch 64, 400 epochs.
 *
 * @example
 * console.log(DEFENSE_CLASSIFIER_DEFAULTS.hidden, DEFENSE_CLASSIFIER_DEFAULTS.epochs); // [256, 128, 64] 400
 */
export const DEFENSE_CLASSIFIER_DEFAULTS = Object.freeze({
  hidden: [256, 128, 64], epochs: 400, batchSize: 64, learningRate: 0.001, optimizer: 'sgd' as Optimizer,
});

/**
 * Each row of a rows x k matrix sorted ascending: the label-agnostic input of g and of the attack.
 *
 * @example
 * console.log(sortRows(new Float32Array([0.7, 0.1, 0.2]), 3)); // Float32Array [0.1, 0.2, 0.7]
 */
export function sortRows(m: Float32Array, k: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < m.length / k; r++) out.set(m.subarray(r * k, (r + 1) * k).slice().sort(), r * k);
  return out;
}

/**
 * The training set of a membership classifier: sorted member rows (label 1) then sorted
 * non-member rows (label 0), both rows x k.
 */
export function membershipTrainingSet(members: MatrixInput, nonMembers: MatrixInput, k: number): { x: Float32Array; y: Float32Array } {
  check(Number.isInteger(k) && k >= 2, () => `membership classifier: k must be an integer >= 2, got ${k}`);
  const m = toRows(members, k, 'members'), n = toRows(nonMembers, k, 'non-members');
  check(m.rows > 0 && n.rows > 0, () => `membership classifier: needs members and non-members, got ${m.rows} and ${n.rows}`);
  const x = new Float32Array((m.rows + n.rows) * k);
  x.set(sortRows(m.data, k));
  x.set(sortRows(n.data, k), m.rows * k);
  return { x, y: new Float32Array(m.rows + n.rows).fill(1, 0, m.rows) };
}

/** An untrained membership classifier k -> hidden -> 1 (sigmoid) and the fit options to train it. */
export function membershipClassifierJob(k: number, options: MembershipClassifierOptions): { model: Mlp; fit: Omit<FitOptions, 'onEpoch'> } {
  const model = Mlp.create([k, ...(options.hidden ?? DEFENSE_CLASSIFIER_DEFAULTS.hidden), 1],
    { head: 'sigmoid', seed: options.seed ?? 0, engine: options.engine });
  return {
    model,
    fit: {
      epochs: options.epochs ?? DEFENSE_CLASSIFIER_DEFAULTS.epochs,
      batchSize: options.batchSize ?? DEFENSE_CLASSIFIER_DEFAULTS.batchSize,
      learningRate: options.learningRate ?? DEFENSE_CLASSIFIER_DEFAULTS.learningRate,
      schedule: options.schedule,
      optimizer: options.optimizer ?? DEFENSE_CLASSIFIER_DEFAULTS.optimizer,
      seed: options.seed ?? 0,
    },
  };
}

/**
 * Trains a binary classifier P(member) on sorted confidence vectors: members (label 1) and
 * non-members (label 0), both rows x k. Returns an Mlp with a single sigmoid output.
 *
 * @example
 * const members = [[0.95, 0.05], [0.9, 0.1]], nonMembers = [[0.6, 0.4], [0.55, 0.45]];
 * const attack = trainMembershipClassifier(members, nonMembers, 2, { hidden: [8], epochs: 20, learningRate: 0.1 });
 * console.log(membershipProbability(attack, new Float32Array([0.05, 0.95]))); // P(member)
 */
export function trainMembershipClassifier(
  members: MatrixInput, nonMembers: MatrixInput, k: number, options: MembershipClassifierOptions,
): Mlp {
  const { x, y } = membershipTrainingSet(members, nonMembers, k);
  const { model, fit } = membershipClassifierJob(k, options);
  model.fit(x, y, { ...fit, onEpoch: options.onEpoch });
  return model;
}

/**
 * The defender's defense classifier g (docs/design.md §2): members = the target's training-set outputs,
 * non-members = outputs on held-out data it never saw. Paper hyperparameters by default.
 *
 * @example
 * // Members: the target model's outputs on its training set; non-members: on held-out data.
 * const members = [[0.95, 0.03, 0.02], [0.02, 0.96, 0.02]], nonMembers = [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]];
 * const g = trainDefenseClassifier(members, nonMembers, 3, { epochs: 10 }); // paper architecture and rate
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 */
export function trainDefenseClassifier(
  memberScores: MatrixInput, nonMemberScores: MatrixInput, k: number, options: MembershipClassifierOptions = {},
): Mlp {
  return trainMembershipClassifier(memberScores, nonMemberScores, k, { ...DEFENSE_CLASSIFIER_DEFAULTS, ...options });
}

/**
 * P(member) for each row of a rows x k matrix (sorted internally).
 *
 * @example
 * const g = Mlp.create([3, 4, 1], { head: 'sigmoid', seed: 2 });
 * console.log(membershipProbability(g, new Float32Array([0.7, 0.2, 0.1, 0.3, 0.3, 0.4]))); // 2 rows -> 2 values
 */
export function membershipProbability(classifier: Mlp, scores: Float32Array): Float32Array {
  return classifier.predict(sortRows(scores, classifier.inputSize));
}
