// Model stacking (Salem et al. NDSS'19; design §10): the members split in three disjoint parts; the
// target MLP learns part 1, a logistic regression (an MLP with no hidden layer) part 2, and a
// second-level logistic regression learns part 3 from the two models' probabilities side by side.
// No model sees more than a third of the members, which is the defense.
import { Random } from '../random.js';
import { sideBySide, StackedModel } from './predictor.js';
import { fitTarget, pickLabels, pickRows, type DefenseRecipe } from './recipe.js';

/**
 * The logistic regressions learn with Adam at 0.01 and no decay: at the target's plain SGD at 0.01,
 * the second level (inputs are probabilities, mostly near 0) stays near chance after 200 epochs on
 * Location (measured: 0.07 train accuracy).
 */
const LOGISTIC_FIT = { optimizer: 'adam', learningRate: 0.01, schedule: undefined } as const;

export const stacking: DefenseRecipe = {
  name: 'stacking',
  description: 'model stacking: an MLP and a logistic regression on two thirds of the members, a logistic regression on their outputs for the last third',
  knobs: [],
  usesReference: false,
  async train(ctx) {
    const { x, y } = ctx.members;
    const n = y.length, d = ctx.d;
    const order = new Random(ctx.seed ^ 0x57ac).shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const cut1 = Math.round(n / 3), cut2 = Math.round((2 * n) / 3);
    const parts = [order.slice(0, cut1), order.slice(cut1, cut2), order.slice(cut2)];
    const part = (i: number) => ({ x: pickRows(x, d, parts[i]!), y: pickLabels(y, parts[i]!) });
    const p1 = part(0), p2 = part(1), p3 = part(2);
    const mlp = fitTarget(ctx, p1.y, {}, { x: p1.x, stage: 'stacking: MLP (part 1)' });
    const lr = fitTarget(ctx, p2.y, LOGISTIC_FIT, { x: p2.x, seed: ctx.seed + 1, hidden: [], stage: 'stacking: logistic regression (part 2)' });
    try {
      const top = fitTarget({ ...ctx, d: 2 * ctx.classes }, p3.y, LOGISTIC_FIT,
        { x: sideBySide([mlp.model, lr.model], p3.x), seed: ctx.seed + 2, hidden: [], stage: 'stacking: second level (part 3)' });
      return { model: new StackedModel([mlp.model, lr.model], top.model), params: { logisticOptimizer: 'adam', logisticLearningRate: LOGISTIC_FIT.learningRate }, details: { loss: top.loss, trainedOn: parts } };
    } catch (e) {
      mlp.model.dispose();
      lr.model.dispose();
      throw e;
    }
  },
};
