// Label smoothing: soft targets (1 - eps) on the label plus eps / k on every class (design §10).
import { fitTarget, softTargets, type DefenseRecipe } from './recipe.js';

export const labelSmoothing: DefenseRecipe = {
  name: 'label-smoothing',
  description: 'soft targets: 1 - eps + eps/k on the label, eps/k on every other class',
  knobs: [{ name: 'smoothing', flag: 'smoothing', default: 0.1, grid: [0.1, 0.3], min: 0, max: 1, description: 'eps, the probability mass spread evenly over the k classes' }],
  usesReference: false,
  async train(ctx) {
    const eps = ctx.knobs.smoothing!, k = ctx.classes;
    const soft = softTargets(ctx.members.y, k, 1 - eps + eps / k, eps / k);
    const { model, loss } = fitTarget(ctx, { soft });
    return { model, details: { loss, softLabels: soft } };
  },
};
