import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import {
  accuracy, accuracyAtThreshold, advantage, auc, balancedAccuracy, bestThreshold, coinWeights, compactRoc,
  histogram, rocArea, rocCurve, stack, summarize, toAttackSummary, tprAtFpr,
} from '../../src/attacks/metrics.js';
import { allClose, randomArray, throwsTyped } from '../helpers.js';

const t = suite('attacks/metrics');

/** Brute-force Mann-Whitney over all member/non-member pairs (the definition, O(n^2)). */
function pairwiseAuc(s: ArrayLike<number>, m: ArrayLike<number>, w?: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < s.length; i++) {
    if (!m[i]) continue;
    for (let j = 0; j < s.length; j++) {
      if (m[j]) continue;
      const ww = (w ? w[i]! : 1) * (w ? w[j]! : 1);
      den += ww;
      num += ww * (s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0);
    }
  }
  return num / den;
}

t('rocCurve: one point per distinct threshold, ties move together', () => {
  const roc = rocCurve([0.9, 0.8, 0.8, 0.1], [1, 1, 0, 0]);
  assert.equal(Array.from(roc.thresholds), [Infinity, 0.9, 0.8, 0.1]);
  assert.equal(Array.from(roc.fpr), [0, 0, 0.5, 1]);
  assert.equal(Array.from(roc.tpr), [0, 0.5, 1, 1]);
  assert.is(roc.positives, 2);
  assert.is(roc.negatives, 2);
  // Same scores in another order, booleans as flags: same curve.
  const roc2 = rocCurve([0.1, 0.8, 0.9, 0.8], [false, true, true, false]);
  assert.equal(Array.from(roc2.fpr), [0, 0, 0.5, 1]);
  assert.equal(Array.from(roc2.tpr), [0, 0.5, 1, 1]);
});

t('auc counts ties as 1/2 (hand-computed)', () => {
  // pairs: 3>2, 3>1, 2=2 (1/2), 2>1 -> 3.5 / 4
  assert.is(auc([3, 2, 2, 1], [1, 1, 0, 0]), 0.875);
  assert.is(auc([5, 5, 5, 5], [1, 0, 1, 0]), 0.5);
  assert.is(auc([1, 2, 3], [1, 0, 1]), 0.5); // pairs: 1<2 (0), 3>2 (1)
  const roc = rocCurve([5, 5, 5, 5], [1, 0, 1, 0]);
  assert.equal(Array.from(roc.fpr), [0, 1]);
  assert.equal(Array.from(roc.tpr), [0, 1]);
});

t('auc agrees with the pairwise definition and with the trapezoid under the exact ROC', () => {
  const raw = randomArray(300, 7, 0, 1);
  const s = Array.from(raw, (v) => Math.round(v * 20) / 20); // many ties
  const m = Array.from(randomArray(300, 8, 0, 1), (v) => (v < 0.4 ? 1 : 0));
  const w = Array.from(randomArray(300, 9, 0, 3));
  const expected = pairwiseAuc(s, m);
  assert.ok(Math.abs(auc(s, m) - expected) < 1e-12, `${auc(s, m)} vs ${expected}`);
  assert.ok(Math.abs(rocArea(rocCurve(s, m)) - expected) < 1e-12);
  const ew = pairwiseAuc(s, m, w);
  assert.ok(Math.abs(auc(s, m, w) - ew) < 1e-12, `${auc(s, m, w)} vs ${ew}`);
  assert.ok(Math.abs(rocArea(rocCurve(s, m, w)) - ew) < 1e-12);
});

t('perfect and inverted separations', () => {
  const s = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
  const m = [1, 1, 1, 0, 0, 0];
  const inv = [0, 0, 0, 1, 1, 1];
  assert.is(auc(s, m), 1);
  assert.is(auc(s, inv), 0);
  const roc = rocCurve(s, m);
  assert.is(advantage(roc), 1);
  assert.is(tprAtFpr(roc, 0.01), 1);
  assert.is(tprAtFpr(roc, 0.001), 1);
  assert.is(accuracyAtThreshold(s, m, 0.5), 1);
  assert.is(accuracyAtThreshold(s, inv, 0.5), 0);
  const rinv = rocCurve(s, inv);
  assert.is(advantage(rinv), 0);
  assert.is(tprAtFpr(rinv, 0.01), 0);
  const sum = summarize(s, inv, { threshold: 0.5 });
  assert.equal([sum.accuracy, sum.balancedAccuracy, sum.auc, sum.advantage], [0, 0, 0, 0]);
});

t('all samples of one class: ROC-based metrics throw a clear error, accuracy still works', () => {
  throwsTyped(() => auc([0.1, 0.2, 0.3], [1, 1, 1]), MemGuardInputError, /AUC is undefined when all 3 samples .*are members/);
  throwsTyped(() => rocCurve([0.1, 0.2], [0, 0]), MemGuardInputError, /undefined when all 2 samples .*are non-members/);
  throwsTyped(() => balancedAccuracy([1, 0], [0, 0]), MemGuardInputError, /balanced accuracy is undefined/);
  throwsTyped(() => summarize([0.1, 0.2], [1, 1], { threshold: 0.15 }), MemGuardInputError, /undefined/);
  // Zero weights remove a class too.
  throwsTyped(() => auc([0.1, 0.2, 0.3], [1, 0, 1], [1, 0, 1]), MemGuardInputError, /are members/);
  assert.is(accuracy([1, 0, 1], [1, 1, 1]), 2 / 3);
});

t('tprAtFpr: largest TPR with FPR <= target, no interpolation (hand-built curve)', () => {
  // 10 members scoring 100..91; 100 non-members: one at 95.5, the rest below 50.
  const s: number[] = [], m: number[] = [];
  for (let i = 0; i < 10; i++) { s.push(100 - i); m.push(1); }
  s.push(95.5); m.push(0);
  for (let i = 0; i < 99; i++) { s.push(i / 2); m.push(0); }
  const roc = rocCurve(s, m);
  assert.is(tprAtFpr(roc, 0.01), 1); // the single false positive is exactly 1% FPR
  assert.is(tprAtFpr(roc, 0.001), 0.5); // before it: 100..96 only
  assert.is(tprAtFpr(roc, 0), 0.5);
  assert.is(advantage(roc), 0.99);
  throwsTyped(() => tprAtFpr(roc, 1.5), MemGuardInputError, /targetFpr/);
});

t('accuracy and balanced accuracy (hand-computed, weighted)', () => {
  const d = [1, 0, 1, 1, 0], m = [1, 1, 0, 0, 0];
  assert.is(accuracy(d, m), 2 / 5);
  // TPR 1/2, TNR 1/3
  assert.ok(Math.abs(balancedAccuracy(d, m) - (0.5 + 1 / 3) / 2) < 1e-15);
  // Weights 3 on the wrong member and 0 on row 3: right weight 1 + 1 = 2 out of 1+3+1+0+1 = 6.
  assert.is(accuracy(d, m, [1, 3, 1, 0, 1]), 2 / 6);
  throwsTyped(() => accuracy(d, m, [1, -1, 1, 1, 1]), MemGuardInputError, /weights\[1\] = -1/);
  throwsTyped(() => accuracy(d, m, [1, 1]), MemGuardInputError, /weights has 2 entries, expected 5/);
  throwsTyped(() => accuracy(d, [1, 1]), MemGuardInputError, /isMember has 2 entries, expected 5/);
  throwsTyped(() => auc([0.1, NaN], [1, 0]), MemGuardInputError, /scores\[1\] is NaN/);
});

t('integer weights give exactly the metrics of duplicated samples', () => {
  const n = 200;
  const s = Array.from(randomArray(n, 11, 0, 1), (v) => Math.round(v * 30) / 30);
  const m = Array.from(randomArray(n, 12, 0, 1), (v) => (v < 0.5 ? 1 : 0));
  const d = s.map((v) => (v > 0.45 ? 1 : 0));
  const w = Array.from(randomArray(n, 13, 0, 4), Math.floor); // 0..3, zeros included
  const ds: number[] = [], dm: number[] = [], dd: number[] = [];
  for (let i = 0; i < n; i++) for (let r = 0; r < w[i]!; r++) { ds.push(s[i]!); dm.push(m[i]!); dd.push(d[i]!); }
  const a = summarize(s, m, { decisions: d, weights: w });
  const b = summarize(ds, dm, { decisions: dd });
  assert.equal(Array.from(a.roc.fpr), Array.from(b.roc.fpr));
  assert.equal(Array.from(a.roc.tpr), Array.from(b.roc.tpr));
  assert.equal(Array.from(a.roc.thresholds), Array.from(b.roc.thresholds));
  for (const key of ['accuracy', 'balancedAccuracy', 'auc', 'advantage', 'tprAt1Fpr', 'tprAt01Fpr'] as const) {
    assert.ok(Math.abs(a[key] - b[key]) < 1e-12, `${key}: ${a[key]} vs ${b[key]}`);
  }
});

t('coin weights: weighted accuracy is the expected accuracy over the Phase II coin', () => {
  // Row: member?, attack right on s?, attack right on s+r?, p
  const m = new Uint8Array([1, 1, 0, 0]);
  const dClean = new Uint8Array([1, 1, 0, 1]); // right, right, right, wrong
  const dNoisy = new Uint8Array([0, 1, 1, 0]); // wrong, right, wrong, right
  const p = [0.5, 1, 0.25, 0];
  // expected = mean of (1-p)*[clean right] + p*[noisy right]
  const expected = ((0.5 * 1 + 0.5 * 0) + (0 * 1 + 1 * 1) + (0.75 * 1 + 0.25 * 0) + (1 * 0 + 0 * 1)) / 4;
  const w = coinWeights(p);
  assert.equal(Array.from(w), [0.5, 0, 0.75, 1, 0.5, 1, 0.25, 0]);
  assert.is(accuracy(stack(dClean, dNoisy), stack(m, m), w), expected);
  throwsTyped(() => coinWeights([0.5, 1.5]), MemGuardInputError, /p\[1\] = 1.5 is not a probability/);
});

t('bestThreshold: the best observed threshold, ties to the highest', () => {
  // t=0.8: acc 3/4; t=0.4: 2/4; t=0.35: 3/4; t=0.1: 2/4
  assert.equal(bestThreshold([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), { threshold: 0.8, value: 0.75 });
  // Balanced accuracy with 1 member, 3 non-members: t=0.35 gives TPR 1, TNR 2/3.
  const b = bestThreshold([0.1, 0.4, 0.35, 0.2], [0, 0, 1, 0], { objective: 'balancedAccuracy' });
  assert.is(b.threshold, 0.35);
  assert.ok(Math.abs(b.value - (1 + 2 / 3) / 2) < 1e-15);
});

t('summarize needs decisions or a threshold; toAttackSummary thins the ROC', () => {
  throwsTyped(() => summarize([0.1, 0.9], [0, 1], {}), MemGuardInputError, /decisions or a threshold/);
  const n = 4000;
  const s = randomArray(n, 21, 0, 1);
  const m = Array.from(randomArray(n, 22, 0, 1), (v, i) => (v + s[i]! * 0.3 > 0.6 ? 1 : 0));
  const sum = summarize(s, m, { threshold: 0.5 });
  assert.ok(sum.roc.fpr.length > 1000);
  const small = toAttackSummary(sum, { sampledAccuracy: 0.6, maxRocPoints: 100 });
  assert.ok(small.roc.fpr.length <= 100, `${small.roc.fpr.length} points`);
  assert.equal([small.roc.fpr[0], small.roc.tpr[0]], [0, 0]);
  assert.equal([small.roc.fpr.at(-1), small.roc.tpr.at(-1)], [1, 1]);
  assert.is(small.sampledAccuracy, 0.6);
  assert.is(small.auc, sum.auc);
  // Thinning keeps the curve's shape: TPR at 1% FPR read from the thinned points matches closely.
  const full = compactRoc(sum.roc, 1e9);
  assert.is(full.fpr.length, sum.roc.fpr.length);
});

t('histogram bins, clamps and weights', () => {
  const h = histogram([0, 0.05, 0.5, 0.99, 1, 1.5, -1], { bins: 10 });
  assert.equal(h.counts, [3, 0, 0, 0, 0, 1, 0, 0, 0, 3]);
  allClose(h.edges, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], 0, 1e-12);
  const hw = histogram([0.1, 0.6], { bins: 2, weights: [0.25, 2] });
  assert.equal(hw.counts, [0.25, 2]);
  throwsTyped(() => histogram([0.1], { bins: 0 }), MemGuardInputError, /bins/);
});

t.run();
