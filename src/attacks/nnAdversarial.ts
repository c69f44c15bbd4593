// NN-AT (design §11): the NN attack of nnAttack.ts hardened by adversarial training, the adaptive
// attacker the MemGuard paper itself names. Madry style: in every batch half of the shadow vectors
// are replaced by adversarial versions found against the current attack network, each pushed toward
// the opposite membership by label-preserving steps on the simplex within an L1 radius rho. An
// attack trained so is meant to see through noise of the size a defense adds.
import { check } from '../errors.js';
import { sortRows } from '../memguard/defenseClassifier.js';
import { toRows, type MatrixInput } from '../nn/matrix.js';
import { Mlp, type EpochInfo } from '../nn/mlp.js';
import { Random } from '../random.js';
import { firstArgmax } from '../posthoc/release.js';
import type { Flags } from './metrics.js';
import { NN_ATTACK_DEFAULTS } from './nnAttack.js';

// The lead a row's label keeps over the others in the search: the release repair's margin (2^-20).
const LABEL_MARGIN = 2 ** -20;

/**
 * The adversarial search: its L1 radius and number of projected gradient steps.
 *
 * @example
 * const search: AdversarialSearchOptions = { rho: 0.3, steps: 3 };
 */
export interface AdversarialSearchOptions {
  /** L1 radius around each vector (design §11: the defense's epsilon for post-hoc defenses, 0.3 otherwise). */
  rho: number;
  /** Projected gradient steps per search (default `NN_AT_DEFAULTS.steps`). */
  steps?: number;
}

/**
 * Training settings of NN-AT: the NN attack's (design §6; plain SGD only, as the paper's) plus the
 * search's.
 *
 * @example
 * const options: AdversarialNnAttackOptions = { rho: 0.3, steps: 3, hidden: [64], epochs: 20, seed: 1 };
 */
export interface AdversarialNnAttackOptions extends AdversarialSearchOptions {
  hidden?: number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  schedule?: { milestones: number[]; gamma: number };
  /** Seeds the initialisation, the shuffles and which half of each batch is replaced. */
  seed?: number;
  /** Called after every training epoch with its mean loss (adversarial rows included). */
  onEpoch?: (info: EpochInfo) => void;
}

/**
 * NN-AT's defaults: rho 0.3 (design §11 for defenses without an epsilon) and 3 steps, which keeps its
 * training at about 2-3 times the plain NN attack's (BENCHMARKS.md, "Attacks of issue 16").
 *
 * @example
 * console.log(NN_AT_DEFAULTS.rho, NN_AT_DEFAULTS.steps); // 0.3 3
 */
export const NN_AT_DEFAULTS = Object.freeze({ rho: 0.3, steps: 3 });

// Madry et al.'s step: 2.5 rho / steps, so that a search can cross the ball and come back.
const STEP_FACTOR = 2.5;

function checkSearch(o: AdversarialSearchOptions): Required<AdversarialSearchOptions> {
  const steps = o.steps ?? NN_AT_DEFAULTS.steps;
  check(Number.isFinite(o.rho) && o.rho >= 0, () => `NN-AT: rho must be a finite number >= 0, got ${o.rho}`);
  check(Number.isInteger(steps) && steps >= 1, () => `NN-AT: steps must be a positive integer, got ${steps}`);
  return { rho: o.rho, steps };
}

/**
 * Adversarial versions of confidence vectors (rows x k, any order of classes) against an attack
 * network on sorted vectors: each row moved toward the opposite membership (members to look like
 * non-members and back) by `steps` gradient steps, each projected onto {simplex, the row's argmax
 * on top} and then pulled back into the L1 ball of radius `rho` around the row. Every output row is
 * on the simplex, keeps its argmax and is within `rho` in L1 of its input. Deterministic.
 *
 * @example
 * const attack = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 });
 * const v = new Float32Array([0.7, 0.2, 0.1, 0.1, 0.5, 0.4]);
 * const adv = adversarialSearch(attack, v, [1, 0], { rho: 0.2 }); // row 0 a member, row 1 not
 */
export function adversarialSearch(attack: Mlp, vectors: Float32Array, isMember: Flags, options: AdversarialSearchOptions): Float32Array {
  const { rho, steps } = checkSearch(options);
  const k = attack.inputSize;
  const rows = toRows(vectors, k, 'adversarialSearch vectors').rows;
  check(isMember.length === rows, () => `adversarialSearch: isMember has ${isMember.length} entries, vectors ${rows} rows`);
  check(attack.outputSize === 1, () => `adversarialSearch: the attack must have 1 output, has ${attack.outputSize}`);
  const x = vectors.slice();
  if (rho === 0 || rows === 0) return x;
  // d(w logit)/dx with w = -1 for members (lower P(member)) and +1 for non-members.
  const direction = new Float32Array(rows);
  for (let r = 0; r < rows; r++) direction[r] = isMember[r] ? -1 : 1;
  const labels = new Int32Array(rows), margins = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const off = r * k;
    labels[r] = firstArgmax(vectors, off, k);
    // The margin the row already has (at most LABEL_MARGIN), so the row itself is feasible and
    // every point between it and a projected step is too.
    let second = -Infinity;
    for (let j = 0; j < k; j++) if (j !== labels[r]) second = Math.max(second, vectors[off + j]!);
    margins[r] = Math.max(0, Math.min(LABEL_MARGIN, vectors[off + labels[r]!]! - second));
  }
  const alpha = (STEP_FACTOR * rho) / steps;
  const order = new Int32Array(k);
  const sorted = new Float32Array(rows * k);
  for (let step = 0; step < steps; step++) {
    // The attack sees each row sorted: the gradient for sorted position i belongs to the entry sorted there.
    const perms = new Int32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const off = r * k;
      for (let j = 0; j < k; j++) order[j] = j;
      order.sort((a, b) => x[off + a]! - x[off + b]! || a - b);
      for (let i = 0; i < k; i++) { perms[off + i] = order[i]!; sorted[off + i] = x[off + order[i]!]!; }
    }
    const g = attack.inputGradient(sorted, { logitWeights: direction });
    // The projection is the engine's kernel (the release repair's, bit for bit its reference twin).
    const e = attack.engine;
    e.withScratch([k, k], (px, scratch) => { for (let r = 0; r < rows; r++) {
      const off = r * k;
      // The step keeps the sum (mean removed) and has L1 length alpha.
      let mean = 0;
      for (let i = 0; i < k; i++) mean += g[off + i]!;
      mean /= k;
      let norm = 0;
      for (let i = 0; i < k; i++) norm += Math.abs(g[off + i]! - mean);
      if (!(norm > 0)) continue;
      for (let i = 0; i < k; i++) x[off + perms[off + i]!]! += (alpha * (g[off + i]! - mean)) / norm;
      e.writeF32(px, x.subarray(off, off + k));
      e.abi.simplexProjectLabelMax(k, px, labels[r]!, margins[r]!, scratch);
      x.set(e.readF32(px, k), off);
      // Back into the ball: the row and the projected point both lie in the convex set, so does any
      // point between them.
      let dist = 0;
      for (let j = 0; j < k; j++) dist += Math.abs(x[off + j]! - vectors[off + j]!);
      if (dist > rho) {
        const t = rho / dist;
        for (let j = 0; j < k; j++) x[off + j] = vectors[off + j]! + t * (x[off + j]! - vectors[off + j]!);
      }
    } });
  }
  return x;
}

function scheduleFactor(schedule: AdversarialNnAttackOptions['schedule'], epoch: number): number {
  if (!schedule) return 1;
  return schedule.gamma ** schedule.milestones.filter((m) => epoch > m).length; // as Mlp.fit counts
}

/**
 * Trains NN-AT on shadow members and non-members (rows x k confidence vectors): the NN attack's
 * network and schedule (design §6 defaults), where in every batch a random half of the rows is
 * replaced by `adversarialSearch` against the network as it is at that step, labelled with the
 * true membership. Score and decide with `nnAttack`. Deterministic for a seed.
 *
 * @example
 * const members = [[0.95, 0.05], [0.9, 0.1], [0.97, 0.03]], nonMembers = [[0.6, 0.4], [0.55, 0.45], [0.3, 0.7]];
 * const attack = trainAdversarialNnAttack(members, nonMembers, 2, { rho: 0.1, hidden: [8], epochs: 30 });
 * const { scores } = nnAttack(attack, new Float32Array([0.99, 0.01, 0.5, 0.5]), 'nn-at');
 */
export function trainAdversarialNnAttack(
  members: MatrixInput, nonMembers: MatrixInput, k: number, options: AdversarialNnAttackOptions,
): Mlp {
  const training = adversarialTraining(members, nonMembers, k, options);
  for (let step = training.next(); ; step = training.next()) if (step.done) return step.value;
}

/**
 * `trainAdversarialNnAttack` one epoch at a time: the generator yields after every epoch (its
 * 1-based number) and returns the trained network, so a caller can interleave other work (e.g.
 * keep a worker pool fed) between epochs. The result is the same as `trainAdversarialNnAttack`'s.
 *
 * @example
 * const members = [[0.95, 0.05], [0.9, 0.1]], nonMembers = [[0.6, 0.4], [0.55, 0.45]];
 * const training = adversarialTraining(members, nonMembers, 2, { rho: 0.1, hidden: [8], epochs: 5 });
 * let step = training.next();
 * while (!step.done) step = training.next(); // e.g. await a tick between epochs
 * const attack = step.value;
 */
export function* adversarialTraining(
  members: MatrixInput, nonMembers: MatrixInput, k: number, options: AdversarialNnAttackOptions,
): Generator<number, Mlp, void> {
  const search = checkSearch(options);
  check(Number.isInteger(k) && k >= 2, () => `NN-AT: k must be an integer >= 2, got ${k}`);
  const m = toRows(members, k, 'members'), n = toRows(nonMembers, k, 'non-members');
  check(m.rows > 0 && n.rows > 0, () => `NN-AT: needs members and non-members, got ${m.rows} and ${n.rows}`);
  const epochs = options.epochs ?? NN_ATTACK_DEFAULTS.epochs!;
  const batchSize = options.batchSize ?? NN_ATTACK_DEFAULTS.batchSize!;
  const baseRate = options.learningRate ?? NN_ATTACK_DEFAULTS.learningRate!;
  const schedule = 'schedule' in options ? options.schedule : NN_ATTACK_DEFAULTS.schedule;
  check(Number.isInteger(epochs) && epochs >= 0, () => `NN-AT: epochs must be a non-negative integer, got ${epochs}`);
  check(Number.isInteger(batchSize) && batchSize >= 2, () => `NN-AT: batchSize must be an integer >= 2, got ${batchSize}`);
  const rows = m.rows + n.rows;
  const x = new Float32Array(rows * k);
  x.set(m.data);
  x.set(n.data, m.rows * k);
  const y = new Float32Array(rows).fill(1, 0, m.rows);
  const seed = options.seed ?? 0;
  const model = Mlp.create([k, ...(options.hidden ?? NN_ATTACK_DEFAULTS.hidden!), 1], { head: 'sigmoid', seed });
  const rng = new Random(seed);
  const indices = new Int32Array(rows);
  for (let i = 0; i < rows; i++) indices[i] = i;
  const xb = new Float32Array(batchSize * k), yb = new Float32Array(batchSize);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const learningRate = baseRate * scheduleFactor(schedule, epoch);
    rng.shuffle(indices);
    let total = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const b = Math.min(batchSize, rows - start);
      for (let i = 0; i < b; i++) {
        const row = indices[start + i]!;
        xb.set(x.subarray(row * k, (row + 1) * k), i * k);
        yb[i] = y[row]!;
      }
      // The batch is already in random order, so its first half is a random half.
      const half = b >> 1;
      if (half > 0 && search.rho > 0) xb.set(adversarialSearch(model, xb.subarray(0, half * k), yb.subarray(0, half), search));
      // One plain SGD step on this batch: the whole batch as one mini-batch, in order.
      const { loss } = model.fit(sortRows(xb.subarray(0, b * k), k), yb.subarray(0, b), {
        epochs: 1, batchSize: b, learningRate, shuffle: false, optimizer: 'sgd',
      });
      total += loss[0]! * b;
    }
    options.onEpoch?.({ epoch, epochs, loss: total / rows, learningRate });
    yield epoch;
  }
  return model;
}
