// The undefended recipe (design §6): the reference point every defense is measured against.
import { fitTarget, type DefenseRecipe } from './recipe.js';

export const none: DefenseRecipe = {
  name: 'none',
  description: 'no defense: the design §6 target (softmax cross-entropy, SGD, step decay)',
  knobs: [],
  usesReference: false,
  async train(ctx) {
    const { model, loss } = fitTarget(ctx, ctx.members.y);
    return { model, details: { loss } };
  },
};
