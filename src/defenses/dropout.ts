// Dropout: inverted dropout after every hidden layer while training, off at inference (design §10).
import { fitTarget, type DefenseRecipe } from './recipe.js';

export const dropout: DefenseRecipe = {
  name: 'dropout',
  description: 'inverted dropout after every hidden layer while training; off at inference',
  knobs: [{ name: 'rate', flag: 'rate', default: 0.5, grid: [0.1, 0.3, 0.5, 0.7, 0.9], min: 0, max: 0.99, description: 'share of hidden units dropped per step' }],
  usesReference: false,
  async train(ctx) {
    const { model, loss } = fitTarget(ctx, ctx.members.y, { dropout: ctx.knobs.rate! });
    return { model, details: { loss } };
  },
};
