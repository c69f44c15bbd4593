// Early stopping: the undefended recipe, stopped after a set number of epochs (design §10). The
// learning-rate schedule stays the undefended one's (a milestone past the stop never fires).
import { fitTarget, type DefenseRecipe } from './recipe.js';

export const earlyStopping: DefenseRecipe = {
  name: 'early-stopping',
  description: 'the undefended recipe, stopped after `epochs` epochs (same learning-rate schedule)',
  knobs: [{ name: 'epochs', flag: 'epochs', default: 20, grid: [5, 10, 20, 40, 80], min: 1, integer: true, description: 'epochs trained before stopping' }],
  usesReference: false,
  async train(ctx) {
    const { model, loss } = fitTarget(ctx, ctx.members.y, { epochs: ctx.knobs.epochs! });
    return { model, details: { loss } };
  },
};
