// The design §6 experiment's settings on Fashion-MNIST: the paper's, except the target model, which
// must overfit 784 pixel inputs enough to leak. Chosen by measurement (scripts/fashion-mnist-width.ts,
// BENCHMARKS.md "Fashion-MNIST"): 784 -> 512 -> 256 -> 10 for 200 epochs at learning rate 0.05 reached
// train accuracy 1.00 / test 0.82 and the largest leak of the candidates (NN attack 0.63, strongest
// attack AUC 0.68), in 0.6 of the paper architecture's time.
import { PAPER_CONFIG, type ExperimentConfig } from './run.js';

/**
 * The target model `memguard demo --dataset fashion-mnist` trains (design §6 recipe: SGD, batch 64,
 * learning rate x0.1 at epoch 150).
 *
 * @example
 * console.log(FASHION_MNIST_TARGET.hidden, FASHION_MNIST_TARGET.epochs); // [512, 256] 200
 */
export const FASHION_MNIST_TARGET: ExperimentConfig['target'] = Object.freeze({
  hidden: [512, 256], epochs: 200, learningRate: 0.05, batchSize: 64, milestones: [150], gamma: 0.1,
});

/**
 * design §6 on Fashion-MNIST: `PAPER_CONFIG` with `FASHION_MNIST_TARGET` as target (and shadow) model.
 *
 * @example
 * console.log(FASHION_MNIST_CONFIG.target.hidden, FASHION_MNIST_CONFIG.defense.epochs); // [512, 256] 400
 */
export const FASHION_MNIST_CONFIG: ExperimentConfig = Object.freeze({ ...PAPER_CONFIG, target: FASHION_MNIST_TARGET });

