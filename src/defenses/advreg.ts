// Adversarial regularization (Nasr et al. CCS'18; design §10). An inference model h guesses membership
// from the classifier's logits and the one-hot label: two branches (logits k->1024->512->64, label
// k->128->64, ReLU) joined 128->256->64->1, sigmoid. Training alternates: h takes `hBatches` steps on
// member vs reference batches (binary cross-entropy), then the classifier takes `classifierBatches`
// steps on member batches minimizing CE + alpha * mean h, through h's input gradient. One round of
// this per epoch of the target's settings (Nasr et al.'s code calls a round an epoch); the
// learning-rate milestones count rounds.
import { MemGuardInputError } from '../errors.js';
import { Mlp } from '../nn/mlp.js';
import type { Trainer } from '../nn/trainer.js';
import { Random } from '../random.js';
import { pickLabels, pickRows, targetModel, type DefenseRecipe, type RecipeContext } from './recipe.js';

/** h's branch and joint sizes (design §10). */
const LOGIT_BRANCH = [1024, 512, 64], LABEL_BRANCH = [128, 64], JOINT = [256, 64];
/** h learns with Adam at this rate, as in Nasr et al.'s code. */
const H_LEARNING_RATE = 1e-3;

/** The inference model h as three networks (the two branches end linear; their ReLU is applied here). */
class InferenceModel {
  readonly logitBranch: Mlp;
  readonly labelBranch: Mlp;
  readonly joint: Mlp;

  constructor(readonly k: number, seed: number) {
    this.logitBranch = Mlp.create([k, ...LOGIT_BRANCH], { head: 'linear', seed });
    this.labelBranch = Mlp.create([k, ...LABEL_BRANCH], { head: 'linear', seed: seed + 1 });
    this.joint = Mlp.create([2 * BRANCH_OUT, ...JOINT, 1], { head: 'sigmoid', seed: seed + 2 });
  }

  dispose(): void {
    this.logitBranch.dispose(); this.labelBranch.dispose(); this.joint.dispose();
  }
}

const BRANCH_OUT = LOGIT_BRANCH.at(-1)!;

/** The joint network's input: both branches' outputs (pre-activations `a`, `b`), ReLU'd, side by side. */
function joinBranches(a: Float32Array, b: Float32Array): Float32Array {
  const w = BRANCH_OUT, rows = a.length / w, input = new Float32Array(rows * 2 * w);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < w; j++) {
      input[r * 2 * w + j] = Math.max(0, a[r * w + j]!);
      input[r * 2 * w + w + j] = Math.max(0, b[r * w + j]!);
    }
  }
  return input;
}

function oneHotRows(y: Int32Array, k: number): Float32Array {
  const out = new Float32Array(y.length * k);
  for (let r = 0; r < y.length; r++) out[r * k + y[r]!] = 1;
  return out;
}

/** Cycles through a shuffled order of `n` rows, reshuffling at each pass. */
class Batches {
  private order: Int32Array;
  private at = 0;
  constructor(n: number, readonly size: number, private readonly rng: Random) {
    this.order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  }
  next(): Int32Array {
    const out = new Int32Array(Math.min(this.size, this.order.length));
    for (let i = 0; i < out.length; i++) {
      if (this.at === this.order.length) { this.rng.shuffle(this.order); this.at = 0; }
      out[i] = this.order[this.at++]!;
    }
    return out;
  }
}

/** Writes into `out` the columns [offset, offset + BRANCH_OUT) of `upstream` (rows x 2 BRANCH_OUT) where `pre > 0`: back through a branch's ReLU. */
function throughRelu(upstream: Float32Array, offset: number, pre: Float32Array, out: Float32Array): void {
  const w = BRANCH_OUT, rows = pre.length / w;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < w; j++) out[r * w + j] = pre[r * w + j]! > 0 ? upstream[r * 2 * w + offset + j]! : 0;
  }
}

/**
 * One step of h on `logits` (rows x k) with membership `targets` (1 member, 0 reference); returns
 * its binary cross-entropy. The steps nest: each branch's forward pass hands its output to the next
 * step, the joint network's input gradient flows back into the branches, one pass each.
 */
function stepInferenceModel(t: { logit: Trainer; label: Trainer; joint: Trainer }, logits: Float32Array, oneHot: Float32Array, targets: Float32Array): number {
  let loss = 0;
  t.logit.step(logits, (a, dA) => {
    let upstream: Float32Array | undefined;
    t.label.step(oneHot, (b, dB) => {
      const step = t.joint.step(joinBranches(a, b), (u, du, rows) => {
        let total = 0;
        for (let r = 0; r < rows; r++) {
          const s = 1 / (1 + Math.exp(-u[r]!)), y = targets[r]!;
          total -= y * Math.log(Math.max(s, 1e-12)) + (1 - y) * Math.log(Math.max(1 - s, 1e-12));
          du[r] = (s - y) / rows;
        }
        return total / rows;
      }, { inputGradient: true });
      loss = step.loss;
      upstream = step.inputGradient!;
      throughRelu(upstream, BRANCH_OUT, b, dB);
      return loss;
    });
    throughRelu(upstream!, 0, a, dA);
    return loss;
  });
  return loss;
}

/** Adds d(alpha * mean_rows h(logits, label))/d(logits) to `dLogits`; returns that mean of h. */
function addPrivacyGradient(h: InferenceModel, logits: Float32Array, oneHot: Float32Array, alpha: number, dLogits: Float32Array): number {
  const a = h.logitBranch.logits(logits);
  const input = joinBranches(a, h.labelBranch.logits(oneHot));
  const u = h.joint.logits(input), rows = u.length;
  const dU = new Float32Array(rows);
  let meanH = 0;
  for (let r = 0; r < rows; r++) {
    const s = 1 / (1 + Math.exp(-u[r]!));
    meanH += s / rows;
    dU[r] = (alpha * s * (1 - s)) / rows;
  }
  if (alpha === 0) return meanH;
  const dA = new Float32Array(a.length);
  throughRelu(h.joint.inputGradient(input, { logitWeights: dU }), 0, a, dA);
  const g = h.logitBranch.inputGradient(logits, { logitWeights: dA });
  for (let i = 0; i < g.length; i++) dLogits[i]! += g[i]!;
  return meanH;
}

async function trainAdvReg(ctx: RecipeContext) {
  const reference = ctx.reference;
  if (!reference) throw new MemGuardInputError('advreg: needs reference rows (the inference model\'s non-members; design §10: Location [1000, 2000))');
  const { alpha, hBatches, classifierBatches } = ctx.knobs as { alpha: number; hBatches: number; classifierBatches: number };
  const t = ctx.training, k = ctx.classes, d = ctx.d, members = ctx.members;
  const rng = new Random(ctx.seed ^ 0xad4e9);
  const f = targetModel(ctx, ctx.seed);
  const h = new InferenceModel(k, ctx.seed + 1);
  const hTrainers = {
    logit: h.logitBranch.trainer({ learningRate: H_LEARNING_RATE, optimizer: 'adam', seed: ctx.seed + 2 }),
    label: h.labelBranch.trainer({ learningRate: H_LEARNING_RATE, optimizer: 'adam', seed: ctx.seed + 3 }),
    joint: h.joint.trainer({ learningRate: H_LEARNING_RATE, optimizer: 'adam', seed: ctx.seed + 4 }),
  };
  let fTrainer: Trainer | undefined;
  let fRate = NaN;
  const memberBatchesH = new Batches(members.y.length, t.batchSize, rng.fork());
  const referenceBatches = new Batches(reference.y.length, t.batchSize, rng.fork());
  const memberBatchesF = new Batches(members.y.length, t.batchSize, rng.fork());
  const loss: number[] = [];
  try {
    for (let round = 1; round <= t.epochs; round++) {
      const rate = t.learningRate * t.gamma ** t.milestones.filter((m) => round > m).length;
      if (rate !== fRate) {
        // Plain SGD keeps no state, so a new trainer at a milestone only changes the rate.
        fTrainer?.dispose();
        fTrainer = f.trainer({ learningRate: rate, optimizer: t.optimizer, seed: ctx.seed + 5 + round });
        fRate = rate;
      }
      // The classifier does not change while h trains: its logits for every row, once per round.
      const zMembers = f.logits(members.x), zReference = f.logits(reference.x);
      for (let s = 0; s < hBatches; s++) {
        const mi = memberBatchesH.next(), ri = referenceBatches.next();
        const z = new Float32Array((mi.length + ri.length) * k);
        z.set(pickRows(zMembers, k, mi)); z.set(pickRows(zReference, k, ri), mi.length * k);
        const labels = new Int32Array(mi.length + ri.length);
        labels.set(pickLabels(members.y, mi)); labels.set(pickLabels(reference.y, ri), mi.length);
        const targets = new Float32Array(labels.length).fill(1, 0, mi.length);
        stepInferenceModel(hTrainers, z, oneHotRows(labels, k), targets);
      }
      let roundLoss = 0;
      for (let s = 0; s < classifierBatches; s++) {
        const mi = memberBatchesF.next();
        const xb = pickRows(members.x, d, mi), yb = pickLabels(members.y, mi);
        const { loss: l } = fTrainer!.step(xb, (z, dz, rows) => {
          let ce = 0;
          for (let r = 0; r < rows; r++) {
            const o = r * k;
            let m = -Infinity;
            for (let j = 0; j < k; j++) m = Math.max(m, z[o + j]!);
            let sum = 0;
            for (let j = 0; j < k; j++) sum += Math.exp(z[o + j]! - m);
            ce += Math.log(sum) - (z[o + yb[r]!]! - m);
            for (let j = 0; j < k; j++) dz[o + j] = (Math.exp(z[o + j]! - m) / sum - (j === yb[r] ? 1 : 0)) / rows;
          }
          return ce / rows + alpha * addPrivacyGradient(h, z, oneHotRows(yb, k), alpha, dz);
        });
        roundLoss += l / classifierBatches;
      }
      if (!Number.isFinite(roundLoss)) throw new MemGuardInputError(`advreg: the loss became ${roundLoss} at round ${round}; lower the learning rate`);
      loss.push(roundLoss);
      ctx.progress({ stage: 'AdvReg rounds', done: round, total: t.epochs });
    }
  } catch (e) {
    f.dispose();
    throw e;
  } finally {
    fTrainer?.dispose();
    for (const tr of Object.values(hTrainers)) tr.dispose();
    h.dispose();
  }
  return { model: f, params: { hLearningRate: H_LEARNING_RATE, hOptimizer: 'adam', rounds: t.epochs }, details: { loss } };
}

export const advreg: DefenseRecipe = {
  name: 'advreg',
  description: 'adversarial regularization: the classifier minimizes CE + alpha x an inference model\'s mean membership score, trained in alternation with it',
  knobs: [
    { name: 'alpha', flag: 'alpha', default: 3, grid: [0.5, 1, 3, 6, 10], min: 0, description: 'weight of the inference model\'s score in the classifier\'s loss' },
    { name: 'hBatches', flag: 'h-batches', default: 50, grid: [50], min: 1, integer: true, description: 'inference-model batches per round' },
    // The table's 2 leave the classifier 400 batches in 200 rounds (25 epochs' worth at SGD 0.01: train 0.050 on
    // Location); Nasr et al.'s and SELENA's code alternate within an epoch so that the classifier makes a whole
    // pass per epoch, which 16 batches of 64 are for Location's 1,000 members (docs/benchmarks/defenses.md).
    { name: 'classifierBatches', flag: 'classifier-batches', default: 16, grid: [16], min: 1, integer: true, description: 'classifier batches per round (16: one pass over 1,000 members at batch 64)' },
  ],
  usesReference: true,
  train: trainAdvReg,
};
