// Issue 11 item 5, post hoc on a finished `memguard demo` folder: how far past g = 0.5 should the
// released point sit? For each row the segment s -> s + r (Phase I's noise) crosses g = 0.5 at t*
// ('crossing' mixing releases t*, the paper's rule t = 1); this sweeps t = t* + lambda (1 - t*) at
// epsilon = 1 and prints, per lambda, the attacks the saved models allow (NN attack, metric attacks;
// not the defense-aware one, which needs retraining) on the evaluation set, and the defender's own
// view: the same metric scores on its members [0, 1000) vs its non-members [1000, 2000), which is
// what a defender could calibrate lambda on without touching the evaluation set. A second table
// compares, at each epsilon, the paper's coin with a coin-free shrink of r to the budget.
//
// Usage: node --import tsx scripts/crossing-sweep.ts DEMO_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAttackSuite } from '../src/attacks/suite.js';
import { metricScores, METRIC_SCORES } from '../src/attacks/metricAttacks.js';
import { auc } from '../src/attacks/metrics.js';
import { readScoresCsv } from '../src/data/csv/scores.js';
import { loadLocation } from '../src/data/datasets.js';
import { locationSplits, take } from '../src/data/splits.js';
import { membershipProbability } from '../src/memguard/defenseClassifier.js';
import { MemGuard } from '../src/memguard/memguard.js';
import { crossingNoise } from '../src/memguard/phase2.js';
import { loadModel } from '../src/nn/modelFile.js';

const dir = process.argv[2]!;
const model = (name: string) => loadModel(readFileSync(join(dir, 'models', `${name}.json`), 'utf8'));
const defense = model('defense'), attack = model('attack'), target = model('target');
const clean = readScoresCsv(join(dir, 'released/eval-clean.csv'));
const phase1 = readScoresCsv(join(dir, 'released/eval-phase1.csv'));
const shadow = readScoresCsv(join(dir, 'released/shadow-clean.csv'));
const k = clean.k, n = clean.n;
const shadowSet = { vectors: shadow.vectors, labels: shadow.label!, k, isMember: shadow.member! };

// The defender's own non-members [1000, 2000): Phase I on the target's logits.
const data = loadLocation();
const splits = locationSplits(data.shuffle);
const held = take(data.features, data.labels, splits.targetTest);
const search = new MemGuard({ defenseClassifier: defense, epsilon: 0, coin: { mode: 'expectation' } }).search(target.logits(held.features), 'logits');
const heldNoisy = new MemGuard({ defenseClassifier: defense, epsilon: Infinity, coin: { mode: 'expectation' } }).releaseSearch(search).noisy;

/** s, the candidate s + r, true labels: the crossing fraction t* and r per row. */
function segment(s: Float32Array, sr: Float32Array) {
  const r = Float32Array.from(sr, (v, i) => v - s[i]!);
  const gS = membershipProbability(defense, s), gSr = membershipProbability(defense, sr);
  const { fraction } = crossingNoise(defense, s, r, gS, gSr, k);
  return { s, r, fraction };
}
/**
 * Releases s + t r with t = t* + lambda (1 - t*) under the paper's coin p = min(1, eps / ||t r||_1);
 * lambda = 'shrink' instead releases s + min(1, eps / ||r||_1) r to every row with no coin (each
 * row's own distortion <= eps).
 */
function releaseAt(seg: ReturnType<typeof segment>, lambda: number | 'shrink', epsilon: number) {
  const rows = seg.fraction.length;
  const noisy = new Float32Array(rows * k), p = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let j = 0; j < k; j++) norm += Math.abs(seg.r[i * k + j]!);
    const t = lambda === 'shrink' ? Math.min(1, epsilon / Math.max(norm, 1e-30)) : seg.fraction[i]! + lambda * (1 - seg.fraction[i]!);
    let l1 = 0;
    for (let j = 0; j < k; j++) { const d = t * seg.r[i * k + j]!; noisy[i * k + j] = seg.s[i * k + j]! + d; l1 += Math.abs(d); }
    p[i] = l1 === 0 ? 0 : lambda === 'shrink' ? 1 : Math.min(1, epsilon / l1);
  }
  return { noisy, p };
}
const free = (a: number) => Math.max(a, 1 - a);

const evalSeg = segment(clean.vectors, phase1.vectors);
const members = 1000;
const defenderSeg = segment(
  Float32Array.of(...clean.vectors.subarray(0, members * k), ...search.scores),
  Float32Array.of(...phase1.vectors.subarray(0, members * k), ...heldNoisy),
);
const defenderLabels = Int32Array.of(...clean.label!.subarray(0, members), ...held.labels);
const defenderMember = Uint8Array.from({ length: 2000 }, (_, i) => (i < members ? 1 : 0));

const evaluate = (lambda: number | 'shrink', epsilon: number) => {
  const { noisy, p } = releaseAt(evalSeg, lambda, epsilon);
  const attacks = runAttackSuite(shadowSet, {
    clean: { vectors: clean.vectors, labels: clean.label!, k, isMember: clean.member! }, noisy, p,
  }, { nn: attack });
  let acc: [string, number] = ['', 0], au: [string, number] = ['', 0], tpr = 0;
  for (const [id, s] of Object.entries(attacks)) {
    if (s.accuracy > acc[1]) acc = [id, s.accuracy];
    if (free(s.auc) > au[1]) au = [id, free(s.auc)];
    tpr = Math.max(tpr, s.tprAt1Fpr);
  }
  let l1 = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) l1 += p[i]! * Math.abs(noisy[i * k + j]! - clean.vectors[i * k + j]!);
  return `${attacks.gap!.accuracy.toFixed(3)} | ${acc[1].toFixed(3)} (${acc[0]}) | ${au[1].toFixed(3)} (${au[0]}) | ${tpr.toFixed(3)} | ${(l1 / n).toFixed(3)}`;
};

console.log('| lambda | eval: gap acc | max acc (attack) | max dir-free AUC (attack) | max TPR@1% | mean L1 | defender: max dir-free AUC of its metric scores |');
console.log('|---|---|---|---|---|---|---|');
for (const lambda of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]) {
  const mine = releaseAt(defenderSeg, lambda, 1);
  let defenderAuc = 0;
  for (const score of METRIC_SCORES.filter((m) => m !== 'correctness')) {
    const w = Float64Array.from({ length: 4000 }, (_, i) => (i < 2000 ? 1 - mine.p[i]! : mine.p[i - 2000]!));
    const vectors = Float32Array.of(...defenderSeg.s, ...mine.noisy);
    const labels = Int32Array.of(...defenderLabels, ...defenderLabels);
    const sc = metricScores(score, { vectors, labels, k });
    defenderAuc = Math.max(defenderAuc, free(auc(sc, Uint8Array.of(...defenderMember, ...defenderMember), w)));
  }
  console.log(`| ${lambda} | ${evaluate(lambda, 1)} | ${defenderAuc.toFixed(3)} |`);
}

console.log('\n| epsilon | rule | eval: gap acc | max acc (attack) | max dir-free AUC (attack) | max TPR@1% | mean L1 |');
console.log('|---|---|---|---|---|---|---|');
for (const epsilon of [0.1, 0.3, 0.5, 0.7, 1]) {
  console.log(`| ${epsilon} | paper (coin, t = 1) | ${evaluate(1, epsilon)} |`);
  console.log(`| ${epsilon} | shrink (no coin) | ${evaluate('shrink', epsilon)} |`);
}
