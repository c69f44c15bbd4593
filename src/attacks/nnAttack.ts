// The NN membership attack of design §6: an MLP on sorted confidence vectors, trained on a shadow
// model's outputs (members vs non-members), as in the MemGuard paper.
import { membershipProbability, trainMembershipClassifier, type MembershipClassifierOptions } from '../memguard/defenseClassifier.js';
import type { MatrixInput } from '../nn/matrix.js';
import type { Mlp } from '../nn/mlp.js';
import type { AttackResult } from './metricAttacks.js';

/**
 * design §6: k -> 512 -> 256 -> 128 -> 1, SGD lr 0.01, x0.1 at epoch 300, 400 epochs, batch 64.
 *
 * @example
 * console.log(NN_ATTACK_DEFAULTS.hidden, NN_ATTACK_DEFAULTS.epochs); // [512, 256, 128] 400
 */
export const NN_ATTACK_DEFAULTS: Readonly<MembershipClassifierOptions> = Object.freeze({
  hidden: [512, 256, 128], epochs: 400, batchSize: 64, learningRate: 0.01,
  schedule: { milestones: [300], gamma: 0.1 }, optimizer: 'sgd',
});

/**
 * Trains the attack on shadow members and non-members (rows x k confidence vectors).
 *
 * @example
 * const members = [[0.95, 0.05], [0.9, 0.1], [0.97, 0.03]], nonMembers = [[0.6, 0.4], [0.55, 0.45], [0.3, 0.7]];
 * const attack = trainNnAttack(members, nonMembers, 2, { hidden: [8], epochs: 30 }); // shadow outputs
 */
export function trainNnAttack(members: MatrixInput, nonMembers: MatrixInput, k: number, options: MembershipClassifierOptions = {}): Mlp {
  return trainMembershipClassifier(members, nonMembers, k, { ...NN_ATTACK_DEFAULTS, ...options });
}

/**
 * Runs a trained attack on confidence vectors: score = P(member), decision = score >= 0.5.
 *
 * @example
 * const members = [[0.95, 0.05], [0.9, 0.1], [0.97, 0.03]], nonMembers = [[0.6, 0.4], [0.55, 0.45], [0.3, 0.7]];
 * const attack = trainNnAttack(members, nonMembers, 2, { hidden: [8], epochs: 30 });
 * const { scores, decisions } = nnAttack(attack, new Float32Array([0.99, 0.01, 0.5, 0.5]));
 */
export function nnAttack(attack: Mlp, vectors: Float32Array, id = 'nn'): AttackResult {
  const p = membershipProbability(attack, vectors);
  const scores = Float64Array.from(p);
  const decisions = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) decisions[i] = p[i]! >= 0.5 ? 1 : 0;
  return { attack: id, scores, decisions };
}
