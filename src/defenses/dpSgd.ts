// DP-SGD (Abadi et al. CCS'16; design §10): Poisson sampling at q = batch / N, per-example gradients
// clipped to C, Gaussian noise sigma C, division by q N (all in the engine's FitOptions.dp). Given a
// target epsilon, sigma is the one the RDP accountant says reaches it after this training's steps
// (bisection: noiseMultiplierFor); the epsilon reported is the accountant's for the steps taken.
import { dpEpsilon, noiseMultiplierFor } from '../privacy/accountant.js';
import { fitTarget, type DefenseRecipe } from './recipe.js';

/** DP-SGD's steps in `epochs` epochs at sampling rate `q`: round(1 / q) Poisson batches per epoch, as `fit` takes them. */
export function dpSteps(epochs: number, sampleRate: number): number {
  return epochs * Math.max(1, Math.round(1 / sampleRate));
}

export const dpSgd: DefenseRecipe = {
  name: 'dp-sgd',
  description: 'DP-SGD: Poisson sampling, per-example clipping to C, Gaussian noise; sigma from the target epsilon by the RDP accountant',
  knobs: [
    { name: 'targetEpsilon', flag: 'target-epsilon', default: 8, grid: [1, 2, 4, 8, 16, 50], min: 0, exclusiveMin: true, description: 'privacy budget epsilon at delta (sets sigma)' },
    { name: 'noiseMultiplier', flag: 'noise-multiplier', default: undefined, grid: [], min: 0, description: 'sigma, given directly instead of --target-epsilon' },
    { name: 'clip', flag: 'clip', default: 1, grid: [1], min: 0, exclusiveMin: true, description: 'C, the per-example gradient norm bound' },
    { name: 'delta', flag: 'delta', default: 1e-5, grid: [1e-5], min: 0, exclusiveMin: true, max: 1, description: 'delta of the (epsilon, delta) guarantee' },
  ],
  usesReference: false,
  async train(ctx) {
    const { clip, delta } = ctx.knobs as { clip: number; delta: number };
    const n = ctx.members.y.length, t = ctx.training;
    const sampleRate = Math.min(1, t.batchSize / n);
    const planned = dpSteps(t.epochs, sampleRate);
    const given = ctx.knobs.noiseMultiplier;
    const noiseMultiplier = given ?? noiseMultiplierFor({ targetEpsilon: ctx.knobs.targetEpsilon!, sampleRate, steps: planned, delta });
    const { model, loss, steps } = fitTarget(ctx, ctx.members.y, { dp: { noiseMultiplier, clip, sampleRate } });
    // The guarantee is the accountant's for the steps actually taken (planned === steps unless fit changes its rule).
    const { epsilon } = dpEpsilon({ sampleRate, noiseMultiplier, steps, delta });
    return {
      model,
      params: { noiseMultiplier, sampleRate, steps, targetEpsilon: given === undefined ? ctx.knobs.targetEpsilon! : null },
      dp: { epsilon, delta, noiseMultiplier, sampleRate, steps, clip },
      details: { loss },
    };
  },
};
