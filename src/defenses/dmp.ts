// DMP, Distillation for Membership Privacy (Shejwalkar & Houmansadr AAAI'21; design §10): an
// undefended teacher trained on the members labels the reference rows with its soft outputs; a
// fresh student learns only from those (reference features, teacher outputs), never from a member
// row or a label. The student is what is deployed.
import { MemGuardInputError } from '../errors.js';
import { fitTarget, type DefenseRecipe } from './recipe.js';

export const dmp: DefenseRecipe = {
  name: 'dmp',
  description: 'DMP: an undefended teacher labels the reference rows; a fresh student learns only those soft labels',
  knobs: [],
  usesReference: true,
  async train(ctx) {
    const reference = ctx.reference;
    if (!reference) throw new MemGuardInputError('dmp: needs reference rows (the distillation data; design §10: Location [1000, 2000))');
    const teacher = fitTarget(ctx, ctx.members.y, {}, { stage: 'DMP teacher' });
    let soft: Float32Array;
    try {
      soft = teacher.model.predict(reference.x);
    } finally {
      teacher.model.dispose();
    }
    const { model, loss } = fitTarget(ctx, { soft }, {}, { x: reference.x, seed: ctx.seed + 1, stage: 'DMP student' });
    return { model, details: { loss, softLabels: soft } };
  },
};
