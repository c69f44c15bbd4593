import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import type { LabeledConfidenceSet } from '../../src/attacks/confidence.js';
import {
  applyThresholds, calibrateThresholds, evaluateAttack, expandOverCoin, gapAttack, hindsightAttack, metricAttacks,
  metricScores, thresholdAttack,
} from '../../src/attacks/metricAttacks.js';
import { accuracy } from '../../src/attacks/metrics.js';
import { Random } from '../../src/random.js';
import { allClose, throwsTyped } from '../helpers.js';

const t = suite('attacks/metricAttacks');

t('the four scores on a hand-computed vector', () => {
  const set = { vectors: [0.7, 0.2, 0.1, 0.7, 0.2, 0.1], labels: [0, 1], k: 3 };
  assert.equal(Array.from(metricScores('correctness', set)), [1, 0]);
  allClose(metricScores('confidence', set), [0.7, 0.2], 0, 1e-15);
  // sum p ln p = .7 ln .7 + .2 ln .2 + .1 ln .1
  allClose(metricScores('entropy', set), [-0.8018185525433372, -0.8018185525433372], 0, 1e-12);
  // label 0: .3 ln .7 + .2 ln .8 + .1 ln .9; label 1: .8 ln .2 + .7 ln .3 + .1 ln .9
  allClose(metricScores('modifiedEntropy', set), [-0.16216724501024432, -2.140867344541218], 0, 1e-12);
  // A zero entry contributes 0 to the entropy (0 log 0 = 0) and a one-hot correct row has Mentr 0.
  const hot = { vectors: [0, 1, 0], labels: [1], k: 3 };
  assert.is(metricScores('entropy', hot)[0], 0);
  assert.is(metricScores('modifiedEntropy', hot)[0], 0);
  // A one-hot wrong row is clamped at 1e-30: (1 - 0) ln 1e-30 + 1 * ln(1e-30) ... finite and very low.
  const wrong = metricScores('modifiedEntropy', { vectors: [0, 1, 0], labels: [0], k: 3 })[0]!;
  assert.ok(Number.isFinite(wrong) && wrong < -100, String(wrong));
});

t('invalid inputs name the row', () => {
  throwsTyped(() => metricScores('confidence', { vectors: [0.5, 0.5, 0.5, 0.5], labels: [0, 2], k: 2 }), MemGuardInputError, /row 1: label 2 is not in \[0, 2\)/);
  throwsTyped(() => metricScores('confidence', { vectors: [0.5, 0.5, NaN, 0.5], labels: [0, 1], k: 2 }), MemGuardInputError, /row 1, entry 0: NaN/);
  throwsTyped(() => metricScores('confidence', { vectors: [0.5, 0.5, 0.5], labels: [0, 1], k: 2 }), MemGuardInputError, /expected 2 rows x 2 = 4/);
  throwsTyped(() => metricScores('bogus' as never, { vectors: [0.5, 0.5], labels: [0], k: 2 }), MemGuardInputError, /unknown score "bogus"/);
});

// Two classes whose member/non-member confidences overlap across classes: class 0 members 0.875,
// non-members 0.75; class 1 members 0.5, non-members 0.25. Per-class thresholds separate perfectly,
// one global threshold cannot.
function twoClassSet(copies: number): LabeledConfidenceSet {
  const v: number[] = [], y: number[] = [], m: number[] = [];
  const add = (label: number, conf: number, member: number) => {
    v.push(...(label === 0 ? [conf, 1 - conf] : [1 - conf, conf]));
    y.push(label); m.push(member);
  };
  for (let c = 0; c < copies; c++) { add(0, 0.875, 1); add(0, 0.75, 0); add(1, 0.5, 1); add(1, 0.25, 0); }
  return { vectors: v, labels: y, k: 2, isMember: m };
}

t('per-class thresholds beat a global one where classes differ (hand-computed)', () => {
  const shadow = twoClassSet(5), target = twoClassSet(3);
  const cal = calibrateThresholds('confidence', shadow);
  assert.equal(Array.from(cal.thresholds), [0.875, 0.5]);
  // Global candidates: 0.875 -> (0.5 + 1)/2 = 0.75; 0.75 -> 0.5; 0.5 -> (1 + 0.5)/2 = 0.75 (tie: highest wins).
  assert.is(cal.global, 0.875);
  assert.equal(cal.fallbackClasses, []);
  const per = applyThresholds(cal, target);
  assert.is(per.attack, 'confidence/per-class');
  assert.is(accuracy(per.decisions, target.isMember), 1);
  // scores are margins: decision <=> score >= 0
  per.scores.forEach((s, i) => assert.is(s >= 0 ? 1 : 0, per.decisions[i]));
  const glob = thresholdAttack('confidence', shadow, target, { perClass: false });
  assert.is(glob.attack, 'confidence/global');
  assert.is(accuracy(glob.decisions, target.isMember), 0.75);
  assert.is(evaluateAttack(per, target.isMember).auc, 1);
});

t('a class without shadow non-members falls back to the global threshold', () => {
  // Three classes; class 2 appears only among shadow members.
  const s3: LabeledConfidenceSet = {
    vectors: [0.8, 0.1, 0.1, 0.4, 0.3, 0.3, 0.1, 0.8, 0.1, 0.3, 0.4, 0.3, 0.1, 0.1, 0.8],
    labels: [0, 0, 1, 1, 2],
    k: 3,
    isMember: [1, 0, 1, 0, 1],
  };
  const c3 = calibrateThresholds('confidence', s3);
  assert.equal(c3.fallbackClasses, [2]);
  assert.is(c3.thresholds[2], c3.global);
  assert.is(c3.thresholds[0], 0.8);
  assert.is(c3.thresholds[1], 0.8);
});

t('calibration objective: balanced accuracy (Song & Mittal) vs plain accuracy', () => {
  // Class 0: one member at 0.5, non-members at 0.9, 0.8, 0.4.
  // Balanced: t=0.9 -> 1/3, t=0.8 -> 1/6, t=0.5 -> 2/3, t=0.4 -> 1/2. Accuracy: 1/2, 1/4, 1/2, 1/4 (tie -> 0.9).
  const conf = [0.5, 0.9, 0.8, 0.4];
  const set: LabeledConfidenceSet = { vectors: conf.flatMap((c) => [c, 1 - c]), labels: [0, 0, 0, 0], k: 2, isMember: [1, 0, 0, 0] };
  assert.is(calibrateThresholds('confidence', set).thresholds[0], 0.5);
  assert.is(calibrateThresholds('confidence', set, { objective: 'accuracy' }).thresholds[0], 0.9);
});

/** k-class vectors whose true-label confidence is drawn around `mean`, argmax kept on the label when `correct`. */
function synthetic(rng: Random, n: number, k: number, mean: number, member: number) {
  const v = new Float32Array(n * k), y = new Int32Array(n), m = new Uint8Array(n).fill(member);
  for (let i = 0; i < n; i++) {
    const label = rng.int(k);
    y[i] = label;
    const c = Math.min(0.99, Math.max(0.05, mean + rng.uniform(-0.1, 0.1)));
    const rest = new Float64Array(k);
    let sum = 0;
    for (let j = 0; j < k; j++) if (j !== label) { rest[j] = rng.next() + 0.1; sum += rest[j]!; }
    for (let j = 0; j < k; j++) v[i * k + j] = j === label ? c : ((1 - c) * rest[j]!) / sum;
  }
  return { v, y, m };
}

function labeled(parts: Array<ReturnType<typeof synthetic>>, k: number): LabeledConfidenceSet {
  const n = parts.reduce((a, p) => a + p.y.length, 0);
  const vectors = new Float32Array(n * k), labels = new Int32Array(n), isMember = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { vectors.set(p.v, o * k); labels.set(p.y, o); isMember.set(p.m, o); o += p.y.length; }
  return { vectors, labels, k, isMember };
}

t('separable synthetic data: every calibrated score attack is near-perfect', () => {
  const rng = new Random(5), k = 6;
  const shadow = labeled([synthetic(rng, 300, k, 0.9, 1), synthetic(rng, 300, k, 0.5, 0)], k);
  const target = labeled([synthetic(rng, 400, k, 0.9, 1), synthetic(rng, 400, k, 0.5, 0)], k);
  for (const result of metricAttacks(shadow, target)) {
    if (result.attack.startsWith('correctness') || result.attack === 'gap') continue; // both sets are all correct
    const s = evaluateAttack(result, target.isMember);
    assert.ok(s.accuracy > 0.97, `${result.attack}: accuracy ${s.accuracy}`);
    assert.ok(s.auc > 0.99, `${result.attack}: auc ${s.auc}`);
  }
});

t('identically distributed members and non-members: attacks stay near a coin flip', () => {
  const rng = new Random(6), k = 6;
  const shadow = labeled([synthetic(rng, 600, k, 0.6, 1), synthetic(rng, 600, k, 0.6, 0)], k);
  const target = labeled([synthetic(rng, 1000, k, 0.6, 1), synthetic(rng, 1000, k, 0.6, 0)], k);
  for (const result of metricAttacks(shadow, target, { hindsight: false })) {
    const s = evaluateAttack(result, target.isMember);
    assert.ok(Math.abs(s.accuracy - 0.5) < 0.05, `${result.attack}: accuracy ${s.accuracy}`);
    assert.ok(Math.abs(s.auc - 0.5) < 0.05, `${result.attack}: auc ${s.auc}`);
  }
});

t('hindsight tries both directions: an inverted signal is found, a calibrated attack is fooled', () => {
  const rng = new Random(7), k = 4;
  const shadow = labeled([synthetic(rng, 300, k, 0.9, 1), synthetic(rng, 300, k, 0.5, 0)], k);
  // Target where members look *less* confident (as after an overshooting defense).
  const target = labeled([synthetic(rng, 300, k, 0.5, 1), synthetic(rng, 300, k, 0.9, 0)], k);
  const h = hindsightAttack('confidence', target);
  assert.is(h.direction, 'lower');
  assert.is(h.attack, 'confidence/hindsight');
  const hs = evaluateAttack(h, target.isMember);
  assert.ok(hs.accuracy > 0.97 && hs.auc > 0.99, `hindsight ${hs.accuracy} ${hs.auc}`);
  assert.is(hs.accuracy, h.accuracy);
  const calibrated = evaluateAttack(thresholdAttack('confidence', shadow, target), target.isMember);
  assert.ok(calibrated.accuracy < 0.1, `calibrated ${calibrated.accuracy}`);
  // On a normal target the direction is 'higher'.
  const normal = labeled([synthetic(rng, 200, k, 0.9, 1), synthetic(rng, 200, k, 0.5, 0)], k);
  assert.is(hindsightAttack('entropy', normal).direction, 'higher');
});

t('gap attack: member iff correct (hand-computed accuracy)', () => {
  // 4 members all correct; 5 non-members, 3 correct -> accuracy (4 + 2) / 9.
  const v = [
    0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.1, 0.9, // members: labels 0,0,1,1 all correct
    0.6, 0.4, 0.4, 0.6, 0.7, 0.3, 0.2, 0.8, 0.55, 0.45, // non-members
  ];
  const labels = [0, 0, 1, 1, 0, 0, 0, 0, 1]; // non-members: right, wrong, right, wrong, wrong
  const isMember = [1, 1, 1, 1, 0, 0, 0, 0, 0];
  const g = gapAttack({ vectors: v, labels, k: 2 });
  assert.is(g.attack, 'gap');
  assert.equal(Array.from(g.decisions), [1, 1, 1, 1, 1, 0, 1, 0, 0]);
  assert.is(accuracy(g.decisions, isMember), 7 / 9);
});

t('expandOverCoin: attacks on the expanded set give accuracy in expectation', () => {
  // Two members, two non-members; the noisy version makes row 0 wrong and row 2 right.
  const clean = { vectors: [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6], labels: [0, 0, 0, 0], k: 2, isMember: [1, 1, 0, 0] };
  const noisy = [0.4, 0.6, 0.8, 0.2, 0.6, 0.4, 0.4, 0.6];
  const p = [0.5, 0.2, 1, 0];
  const ex = expandOverCoin(clean, noisy, p);
  assert.is(ex.labels.length, 8);
  assert.equal(Array.from(ex.weights), [0.5, 0.8, 0, 1, 0.5, 0.2, 1, 0]);
  const g = gapAttack(ex);
  // clean: right, right, right, right; noisy: wrong, right, wrong (non-member now correct), right
  const expected = ((0.5 * 1 + 0.5 * 0) + 1 + (0 * 1 + 1 * 0) + 1) / 4;
  assert.is(evaluateAttack(g, ex.isMember!, ex.weights).accuracy, expected);
});

t('metricAttacks lists the whole suite', () => {
  const set = twoClassSet(2);
  const ids = metricAttacks(set, set).map((r) => r.attack);
  assert.equal(ids, [
    'gap',
    'correctness/per-class', 'correctness/global', 'correctness/hindsight',
    'confidence/per-class', 'confidence/global', 'confidence/hindsight',
    'entropy/per-class', 'entropy/global', 'entropy/hindsight',
    'modified-entropy/per-class', 'modified-entropy/global', 'modified-entropy/hindsight',
  ]);
  const noTruth = metricAttacks(set, { vectors: set.vectors, labels: set.labels, k: 2 }, { scores: ['entropy'] });
  assert.equal(noTruth.map((r) => r.attack), ['gap', 'entropy/per-class', 'entropy/global']);
});

t.run();
