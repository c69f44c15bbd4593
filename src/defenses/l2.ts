// L2 regularizer: CE + lambda/2 * sum of squared weights (design §10), as the engine's weight decay.
import { fitTarget, type DefenseRecipe } from './recipe.js';

export const l2: DefenseRecipe = {
  name: 'l2',
  description: 'L2 regularizer: cross-entropy + lambda/2 x the sum of squared weights',
  knobs: [{ name: 'lambda', flag: 'lambda', default: 5e-3, grid: [1e-4, 1e-3, 5e-3, 1e-2, 5e-2], min: 0, description: 'weight of the L2 penalty' }],
  usesReference: false,
  async train(ctx) {
    const { model, loss } = fitTarget(ctx, ctx.members.y, { weightDecay: ctx.knobs.lambda! });
    return { model, details: { loss } };
  },
};
