// Measures how much the design §6 target MLP leaks on Fashion-MNIST for a few widths and epoch counts,
// at epsilon 0 (no defense): train/test accuracy, the NN attack and the gap attack. The demo's
// Fashion-MNIST target is chosen from these numbers (BENCHMARKS.md, "Fashion-MNIST").
//   node --import tsx scripts/fashion-mnist-width.ts [candidate names...]
import { fashionMnistSplits, loadFashionMnist } from '../src/data/fashionMnist.js';
import { PAPER_CONFIG, runExperiment, type ExperimentConfig } from '../src/experiment/run.js';

const CANDIDATES: Record<string, ExperimentConfig['target']> = {
  'mlp-256-e60': { hidden: [256], epochs: 60, learningRate: 0.05, batchSize: 64, milestones: [], gamma: 1 },
  'mlp-512-256-e100': { hidden: [512, 256], epochs: 100, learningRate: 0.01, batchSize: 64, milestones: [75], gamma: 0.1 },
  'mlp-256-e200': { hidden: [256], epochs: 200, learningRate: 0.05, batchSize: 64, milestones: [150], gamma: 0.1 },
  'mlp-512-256-e200': { hidden: [512, 256], epochs: 200, learningRate: 0.05, batchSize: 64, milestones: [150], gamma: 0.1 },
  'paper-e200': PAPER_CONFIG.target,
};
const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(CANDIDATES);
const dataset = loadFashionMnist(), splits = fashionMnistSplits();
for (const name of names) {
  const target = CANDIDATES[name];
  if (!target) throw new Error(`unknown candidate ${name}; one of ${Object.keys(CANDIDATES).join(', ')}`);
  const start = performance.now();
  const { results } = await runExperiment({
    dataset, splits,
    config: { epsilons: [0], mixingModes: ['paper'], defenseAware: false, attackSeeds: 1, nearDuplicates: null, timing: false, target },
  });
  const run = results.runs[0]!;
  const pick = (key: string) => run.attacks[key];
  const nn = pick('nn'), gap = pick('gap');
  const best = Object.entries(run.attacks).reduce((a, b) => (b[1].auc > a[1].auc ? b : a));
  console.log(JSON.stringify({
    name, target, seconds: Math.round((performance.now() - start) / 1000),
    trainAccuracy: results.models.targetTrain, testAccuracy: results.models.targetTest,
    nnAccuracy: nn?.accuracy, nnAuc: nn?.auc, gapAccuracy: gap?.accuracy,
    strongest: { attack: best[0], auc: best[1].auc, accuracy: best[1].accuracy }, attacks: Object.keys(run.attacks),
  }));
}
