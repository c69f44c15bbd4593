// Cost of the issue-16 attacks against references measured in the same run (BENCHMARKS.md,
// "Attacks of issue 16"): NN-AT's training against the plain NN attack's on the same vectors and
// epochs, and the noise-robustness attack's batched queries (2,000 records x 100 copies through a
// design §6 target-sized network) against one plain predict of the 2,000 records.
// Usage: node --import tsx scripts/attacks-cost.ts [epochs]
import { trainAdversarialNnAttack } from '../src/attacks/nnAdversarial.js';
import { trainNnAttack } from '../src/attacks/nnAttack.js';
import { noiseRobustnessScores } from '../src/attacks/noiseRobustness.js';
import { loadLocation } from '../src/data/datasets.js';
import { Mlp } from '../src/nn/mlp.js';
import { Random } from '../src/random.js';

const epochs = Number(process.argv[2] ?? 40);
const k = 30, rows = 500;
const rng = new Random(1);
const softmaxRows = (n: number, sharp: number) => {
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < k; j++) { const e = Math.exp(sharp * rng.next() * (j === r % k ? 3 : 1)); out[r * k + j] = e; s += e; }
    for (let j = 0; j < k; j++) out[r * k + j]! /= s;
  }
  return out;
};
const members = softmaxRows(rows, 6), nonMembers = softmaxRows(rows, 3);
// CPU seconds of this (single) thread's work: steadier than wall time on a shared machine.
const time = (f: () => unknown) => { const t = process.cpuUsage(); f(); const u = process.cpuUsage(t); return (u.user + u.system) / 1e6; };
const options = { hidden: [512, 256, 128], epochs, batchSize: 64, learningRate: 0.01, seed: 1 };
const nn = time(() => trainNnAttack(members, nonMembers, k, options));
console.log(`NN attack, ${2 * rows} rows, ${epochs} epochs: ${nn.toFixed(2)} s CPU`);
for (const steps of [1, 2, 3, 5]) {
  const at = time(() => trainAdversarialNnAttack(members, nonMembers, k, { ...options, rho: 0.3, steps }));
  console.log(`NN-AT, ${steps} steps: ${at.toFixed(2)} s CPU = ${(at / nn).toFixed(2)} x NN`);
}

const data = loadLocation();
const target = Mlp.create([data.d, 1024, 512, 256, 128, data.classes], { seed: 1 });
const n = 2000;
const records = { features: data.features.subarray(0, n * data.d), labels: data.labels.subarray(0, n), d: data.d };
const binary = new Array(data.d).fill(1), sd = new Array(data.d).fill(0);
const plain = time(() => target.predict(records.features));
const noisy = time(() => noiseRobustnessScores(target, records, { flips: 3, tau: 0 }, { binary, sd }, { copies: 100, seed: 1 }));
console.log(`predict ${n} records: ${plain.toFixed(3)} s CPU; noise robustness ${n} x 100 copies: ${noisy.toFixed(2)} s CPU ` +
  `(${(noisy / plain).toFixed(0)} x, ${((n * 100) / noisy / 1000).toFixed(1)}k forward passes/s)`);
