// HAMP's training half (Chen & Pattabiraman NDSS'24; design §10): high-entropy soft labels, and an
// entropy bonus in the loss: KL(soft, p) - alpha H(p). (KL and soft cross-entropy differ by the
// labels' own entropy, a constant, so the engine's soft-target loss has the same gradient.)
import { check } from '../errors.js';
import { fitTarget, softTargets, type DefenseRecipe } from './recipe.js';

/** HAMP moves probability mass off the true class in steps of this size. */
export const HAMP_STEP = 0.01;

/**
 * HAMP's soft label for `classes` classes: starting from one-hot, 0.01 at a time moves from the
 * true class evenly to the others until the entropy reaches `gamma ln k`. Counted in whole steps
 * (no drift from repeated subtraction).
 *
 * @example
 * console.log(hampLabel(30, 0.5)); // { top: 0.68, other: 0.011034... }
 */
export function hampLabel(classes: number, gamma: number): { top: number; other: number } {
  check(Number.isInteger(classes) && classes >= 2, () => `hampLabel: classes must be an integer >= 2, got ${classes}`);
  check(gamma >= 0 && gamma <= 1, () => `hampLabel: gamma must be in [0, 1], got ${gamma}`);
  const goal = gamma * Math.log(classes);
  const steps = Math.round(1 / HAMP_STEP);
  for (let n = 0; n <= steps; n++) {
    const top = (steps - n) / steps, other = n / steps / (classes - 1);
    const h = -(top > 0 ? top * Math.log(top) : 0) - (other > 0 ? (classes - 1) * other * Math.log(other) : 0);
    // A hair of slack: gamma = 1 is reached exactly only at the uniform label, up to rounding.
    if (h >= goal - 1e-12 || top <= 1 / classes) return { top, other };
  }
  return { top: 1 / classes, other: 1 / classes };
}

export const hamp: DefenseRecipe = {
  name: 'hamp',
  description: 'HAMP training: high-entropy soft labels (entropy >= gamma ln k), loss KL(soft, p) - alpha H(p)',
  knobs: [
    { name: 'gamma', flag: 'gamma', default: 0.5, grid: [0.5], min: 0, max: 1, description: 'entropy of the soft labels, as a share of ln k' },
    { name: 'alpha', flag: 'alpha', default: 0.001, grid: [0.001], min: 0, description: 'weight of the entropy bonus' },
  ],
  usesReference: false,
  async train(ctx) {
    const { top, other } = hampLabel(ctx.classes, ctx.knobs.gamma!);
    const soft = softTargets(ctx.members.y, ctx.classes, top, other);
    const { model, loss } = fitTarget(ctx, { soft }, { entropyWeight: ctx.knobs.alpha! });
    return { model, params: { labelTop: top, labelOther: other }, details: { loss, softLabels: soft } };
  },
};
