// Confidence penalty (Pereyra et al. 2017): CE - alpha H(p), rewarding less confident outputs (design §10).
import { fitTarget, type DefenseRecipe } from './recipe.js';

export const confidencePenalty: DefenseRecipe = {
  name: 'confidence-penalty',
  description: 'cross-entropy - alpha x the entropy of the output distribution',
  knobs: [{ name: 'alpha', flag: 'alpha', default: 1, grid: [0.1, 0.5, 1, 2], min: 0, description: 'weight of the entropy bonus' }],
  usesReference: false,
  async train(ctx) {
    const { model, loss } = fitTarget(ctx, ctx.members.y, { entropyWeight: ctx.knobs.alpha! });
    return { model, details: { loss } };
  },
};
