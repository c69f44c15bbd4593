// NN-R (design §11): the NN attack on confidence scores rounded to a few decimals, in training and in
// inference. Rounding throws away the low digits where small defensive noise lives, so an attack on
// rounded scores can see through noise that fools the plain NN attack (and it is what an attacker
// of an API that rounds its outputs gets anyway).
import { check } from '../errors.js';
import { toRows, type MatrixInput } from '../nn/matrix.js';
import type { Mlp } from '../nn/mlp.js';
import type { MembershipClassifierOptions } from '../memguard/defenseClassifier.js';
import type { AttackResult } from './metricAttacks.js';
import { nnAttack, trainNnAttack } from './nnAttack.js';

/**
 * The decimals NN-R rounds to (design §11): one attack per entry, ids `nn-r1` and `nn-r2`.
 *
 * @example
 * console.log(NN_R_DECIMALS.map((d) => `nn-r${d}`)); // ['nn-r1', 'nn-r2']
 */
export const NN_R_DECIMALS: readonly number[] = Object.freeze([1, 2]);

/**
 * A trained NN-R attack: the network and the decimals its inputs are rounded to.
 *
 * @example
 * const members = [[0.95, 0.05], [0.9, 0.1]], nonMembers = [[0.6, 0.4], [0.55, 0.45]];
 * const attack: RoundedNnAttack = trainRoundedNnAttack(members, nonMembers, 2, 1, { hidden: [8], epochs: 10 });
 * console.log(attack.decimals); // 1
 */
export interface RoundedNnAttack {
  model: Mlp;
  decimals: number;
}

function checkDecimals(decimals: number): void {
  check(Number.isInteger(decimals) && decimals >= 0 && decimals <= 7,
    () => `NN-R: decimals must be an integer in [0, 7] (float32 holds about 7), got ${decimals}`);
}

/**
 * Each entry rounded to `decimals` decimals (half away from zero, on the float64 value), as a new array.
 *
 * @example
 * console.log(roundScores(new Float32Array([0.04, 0.15, 0.81]), 1)); // Float32Array [0, 0.2, 0.8]
 */
export function roundScores(vectors: ArrayLike<number>, decimals: number): Float32Array {
  checkDecimals(decimals);
  const scale = 10 ** decimals;
  const out = new Float32Array(vectors.length);
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i]!;
    out[i] = (Math.sign(v) * Math.round(Math.abs(v) * scale)) / scale;
  }
  return out;
}

/**
 * Trains NN-R: the NN attack (design §6 defaults unless `options` says otherwise) on the shadow
 * members' and non-members' vectors (rows x k) rounded to `decimals`.
 *
 * @example
 * const members = [[0.95, 0.05], [0.9, 0.1], [0.97, 0.03]], nonMembers = [[0.6, 0.4], [0.55, 0.45], [0.3, 0.7]];
 * const attack = trainRoundedNnAttack(members, nonMembers, 2, 1, { hidden: [8], epochs: 30 });
 * const { scores } = roundedNnAttack(attack, new Float32Array([0.99, 0.01, 0.5, 0.5]));
 */
export function trainRoundedNnAttack(
  members: MatrixInput, nonMembers: MatrixInput, k: number, decimals: number, options: MembershipClassifierOptions = {},
): RoundedNnAttack {
  checkDecimals(decimals);
  const m = toRows(members, k, 'members'), n = toRows(nonMembers, k, 'non-members');
  return { model: trainNnAttack(roundScores(m.data, decimals), roundScores(n.data, decimals), k, options), decimals };
}

/**
 * Runs NN-R on confidence vectors (rows x k): rounds them as in training, then scores as `nnAttack`.
 * The id defaults to `nn-r<decimals>`.
 *
 * @example
 * const members = [[0.95, 0.05], [0.9, 0.1], [0.97, 0.03]], nonMembers = [[0.6, 0.4], [0.55, 0.45], [0.3, 0.7]];
 * const attack = trainRoundedNnAttack(members, nonMembers, 2, 2, { hidden: [8], epochs: 30 });
 * console.log(roundedNnAttack(attack, new Float32Array([0.99, 0.01])).attack); // 'nn-r2'
 */
export function roundedNnAttack(attack: RoundedNnAttack, vectors: ArrayLike<number>, id = `nn-r${attack.decimals}`): AttackResult {
  return nnAttack(attack.model, roundScores(vectors, attack.decimals), id);
}
