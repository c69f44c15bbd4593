// SELENA (Tang et al. USENIX Sec'22; design §10). Split-AI: K sub-models, each member left out of L of
// them at random; a member's soft label is the mean softmax of the sub-models that never trained on
// it. Then self-distillation: a fresh model trained on the members' soft labels is deployed. The K
// sub-models are independent, so they train together through `fitMany` (the worker pool in Node).
import { check } from '../errors.js';
import type { FitJob } from '../nn/mlp.js';
import { Random } from '../random.js';
import { baseFitOptions, fitTarget, pickLabels, pickRows, targetModel, type DefenseRecipe } from './recipe.js';

/**
 * Split-AI's assignment: for each of `n` members, the `excluded` sub-models (of `models`) that must not
 * train on it, drawn uniformly without replacement. Returns a `n x models` 0/1 mask (1 = left out).
 *
 * @example
 * const mask = selenaExclusions(4, 5, 2, new Random(1)); // each row has exactly two 1s
 */
export function selenaExclusions(n: number, models: number, excluded: number, rng: Random): Uint8Array {
  check(Number.isInteger(models) && Number.isInteger(excluded) && excluded >= 1 && excluded < models,
    () => `SELENA: L (${excluded}) must be an integer in [1, K) with K = ${models}`);
  const mask = new Uint8Array(n * models);
  const order = Int32Array.from({ length: models }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    rng.shuffle(order);
    for (let j = 0; j < excluded; j++) mask[i * models + order[j]!] = 1;
  }
  return mask;
}

export const selena: DefenseRecipe = {
  name: 'selena',
  description: 'SELENA: Split-AI (K sub-models, each member left out of L) soft labels, then self-distillation',
  knobs: [
    { name: 'K', flag: 'k', default: 25, grid: [25], min: 2, integer: true, description: 'number of sub-models' },
    { name: 'L', flag: 'l', default: 10, grid: [10], min: 1, integer: true, description: 'sub-models each member is left out of' },
  ],
  usesReference: false,
  async train(ctx) {
    const K = ctx.knobs.K!, L = ctx.knobs.L!;
    const { x, y } = ctx.members;
    const n = y.length, k = ctx.classes, d = ctx.d;
    const mask = selenaExclusions(n, K, L, new Random(ctx.seed ^ 0x5e1e9a));
    const trainedOn = Array.from({ length: K }, (_, j) => Int32Array.from({ length: n }, (_, i) => i).filter((i) => !mask[i * K + j]));
    const epochsDone = new Int32Array(K), total = K * ctx.training.epochs;
    const jobs: FitJob[] = trainedOn.map((rows, j) => ({
      model: targetModel(ctx, ctx.seed + 1 + j),
      x: pickRows(x, d, rows), y: pickLabels(y, rows),
      options: {
        ...baseFitOptions(ctx, ctx.seed + 1 + j, 'SELENA sub-models'),
        onEpoch: (e) => {
          epochsDone[j] = e.epoch;
          ctx.progress({ stage: 'SELENA sub-models', done: epochsDone.reduce((a, b) => a + b, 0), total });
        },
      },
    }));
    let outputs: Float32Array[];
    try {
      await ctx.fitMany(jobs);
      outputs = jobs.map((job) => job.model.predict(x));
    } finally {
      for (const job of jobs) job.model.dispose();
    }
    // Each member's label: the mean answer of the L sub-models it was left out of, only those.
    const soft = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < K; j++) {
        if (!mask[i * K + j]) continue;
        const p = outputs[j]!;
        for (let c = 0; c < k; c++) soft[i * k + c]! += p[i * k + c]! / L;
      }
    }
    const { model, loss } = fitTarget(ctx, { soft }, {}, { stage: 'SELENA self-distillation' });
    return { model, details: { loss, trainedOn, softLabels: soft, teacherOutputs: outputs } };
  },
};
