// RelaxLoss (Chen et al. ICLR'22; design §10): hold the members' mean loss near alpha instead of
// driving it to 0. Even epochs (0-based) descend or ascend on |CE - alpha|; odd epochs take a plain CE
// step while CE > alpha, else pull each row toward a flattened target (its label's probability
// capped at `upper`, the rest spread evenly). A custom loss on the logits (FitOptions.lossGradient).
import type { LossBatch } from '../nn/mlp.js';
import { fitTarget, type DefenseRecipe } from './recipe.js';

/**
 * RelaxLoss's loss for one batch: writes d(batch loss)/d(logits) into `b.dLogits` and returns the
 * batch's mean cross-entropy (what RelaxLoss holds near alpha). `labels` are the training rows' labels.
 */
export function relaxLossGradient(b: LossBatch, labels: Int32Array, alpha: number, upper: number): number {
  const { rows, classes: k, logits, dLogits, indices } = b;
  const p = new Float64Array(rows * k);
  let ce = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, logits[o + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += (p[o + j] = Math.exp(logits[o + j]! - m));
    for (let j = 0; j < k; j++) p[o + j]! /= sum;
    ce -= Math.log(Math.max(p[o + labels[indices[r]!]!]!, 1e-30));
  }
  ce /= rows;
  const even = (b.epoch - 1) % 2 === 0; // LossBatch.epoch is 1-based; RelaxLoss counts from 0
  // d mean CE / d logits = (p - onehot) / rows; |CE - alpha| scales it by the sign.
  const ceScale = even ? Math.sign(ce - alpha) : 1;
  const flatten = !even && ce <= alpha;
  for (let r = 0; r < rows; r++) {
    const o = r * k, y = labels[indices[r]!]!;
    if (flatten) {
      const t = Math.min(p[o + y]!, upper), rest = (1 - t) / (k - 1);
      for (let j = 0; j < k; j++) dLogits[o + j] = (p[o + j]! - (j === y ? t : rest)) / rows;
    } else {
      for (let j = 0; j < k; j++) dLogits[o + j] = (ceScale * (p[o + j]! - (j === y ? 1 : 0))) / rows;
    }
  }
  return ce;
}

export const relaxloss: DefenseRecipe = {
  name: 'relaxloss',
  description: 'RelaxLoss: keeps the members\' mean loss near alpha (|CE - alpha| on even epochs, posterior flattening on odd ones)',
  knobs: [
    { name: 'alpha', flag: 'alpha', default: 1.5, grid: [0.5, 1, 1.5, 2, 2.5], min: 0, exclusiveMin: true, description: 'target mean training loss' },
    { name: 'upper', flag: 'upper', default: 0.3, grid: [0.3], min: 0, max: 1, description: 'cap on the label\'s probability in the flattened target' },
  ],
  usesReference: false,
  async train(ctx) {
    const { alpha, upper } = ctx.knobs as { alpha: number; upper: number };
    const labels = ctx.members.y;
    const { model, loss } = fitTarget(ctx, labels, { lossGradient: (b) => relaxLossGradient(b, labels, alpha, upper) });
    return { model, details: { loss } };
  },
};
