import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defenseView, epsilonGrid, releaseProbabilities, sweep, topClasses, undefendedHistogram, type SearchOutcome } from '../../src/page/defense.js';

const t = suite('page/defense');

// Four rows, k = 2: two members, two non-members. Expected values below are worked out by hand.
function outcome(): SearchOutcome {
  return {
    k: 2, rows: 4,
    scores: Float32Array.of(0.95, 0.05, 0.15, 0.85, 0.6, 0.4, 0.3, 0.7),
    noisy: Float32Array.of(0.75, 0.25, 0.35, 0.65, 0.6, 0.4, 0.45, 0.55),
    noiseL1: Float64Array.of(0.4, 0.4, 0, 0.3),
    // row 0: g crosses 0.5 (helps); row 1: noise makes g further from 0.5 (no help, p = 0);
    // row 2: no noise; row 3: helps.
    g: Float32Array.of(0.875, 0.75, 0.5625, 0.25),
    gNoisy: Float32Array.of(0.375, 0.125, 0.5625, 0.625),
    isMember: Uint8Array.of(1, 1, 0, 0),
    // NN attack P(member): right on rows 0, 2; wrong on 1, 3 (undefended); after noise row 0 is
    // scored non-member (wrong), row 3 non-member (right).
    attackOnScores: Float32Array.of(0.9, 0.4, 0.2, 0.7),
    attackOnCandidates: Float32Array.of(0.3, 0.45, 0.2, 0.1),
  };
}

t('Phase II probabilities: the paper rule and the exact rule, per row', () => {
  const o = outcome();
  assert.equal(Array.from(releaseProbabilities(o, 0.1, 'paper')), [0.25, 0, 0, 0.1 / 0.3]);
  assert.equal(Array.from(releaseProbabilities(o, 1, 'paper')), [1, 0, 0, 1]);
  // exact: (g - 0.5) / (g - gNoisy) = 0.375 / 0.5 = 0.75 and -0.25 / -0.375 = 2/3.
  assert.equal(Array.from(releaseProbabilities(o, 1, 'exact')), [0.75, 0, 0, 0.25 / 0.375]);
  assert.equal(Array.from(releaseProbabilities(o, 0, 'paper')), [0, 0, 0, 0]);
});

t('attack accuracy, AUC and distortion in expectation over the coin', () => {
  const o = outcome();
  const none = defenseView(o, 0, 'paper');
  assert.is(none.attackAccuracy, 0.5); // rows 0 and 2 right
  assert.is(none.attackAuc, 0.75); // member/non-member pairs: (.9,.2) (.9,.7) (.4,.2) right, (.4,.7) wrong
  assert.is(none.meanDistortion, 0);
  assert.is(none.meanP, 0);
  const full = defenseView(o, 1, 'paper'); // rows 0 and 3 always noisy
  // right: row 0 noisy no, row 1 no, row 2 yes, row 3 noisy yes -> 2 of 4
  assert.is(full.attackAccuracy, 0.5);
  assert.is(full.meanDistortion, (0.4 + 0.3) / 4);
  assert.is(full.meanP, 0.5);
  const half = defenseView(o, 0.1, 'paper'); // p = 0.25 (row 0), 1/3 (row 3)
  assert.ok(Math.abs(half.attackAccuracy - (0.75 + 0 + 1 + 1 / 3) / 4) < 1e-12, `${half.attackAccuracy}`);
  assert.ok(Math.abs(half.meanDistortion - (0.25 * 0.4 + 0.1) / 4) < 1e-12, 'p ||r|| summed over rows / 4');
  // AUC with weights: members {.9: .75, .3: .25, .4: 1}, non-members {.2: 1, .7: 2/3, .1: 1/3}.
  // Pairs won: .9 beats all (w .75 * 2); .4 beats .2 and .1 (1 * 4/3); .3 beats .2 and .1 (.25 * 4/3);
  // total member weight 2, non-member weight 2 -> (1.5 + 4/3 + 1/3) / 4.
  assert.ok(Math.abs(half.attackAuc - (1.5 + 4 / 3 + 1 / 3) / 4) < 1e-12, `${half.attackAuc}`);
});

t('histograms: before = the undefended top-1; after moves coin-weighted mass to s + r', () => {
  const o = outcome();
  const before = undefendedHistogram(o);
  const bin = (v: number) => Math.floor(Math.fround(v) * 20); // the vectors are float32
  assert.is(before.members.counts[bin(0.95)], 1);
  assert.is(before.members.counts[bin(0.85)], 1);
  assert.is(before.nonMembers.counts[bin(0.6)], 1);
  assert.is(before.nonMembers.counts[bin(0.7)], 1);
  const after = defenseView(o, 0.1, 'paper').histogram;
  assert.ok(Math.abs(after.members.counts[bin(0.95)]! - 0.75) < 1e-12);
  assert.ok(Math.abs(after.members.counts[bin(0.75)]! - 0.25) < 1e-12);
  assert.ok(Math.abs(after.nonMembers.counts[bin(0.55)]! - 1 / 3) < 1e-12);
  for (const h of [after.members, after.nonMembers]) assert.ok(Math.abs(h.counts.reduce((a, b) => a + b, 0) - 2) < 1e-12, 'weights sum to the row count');
});

t('label changes are counted (the real defense never has any)', () => {
  const o = outcome();
  assert.is(defenseView(o, 1, 'paper').labelChanges, 0);
  o.noisy.set([0.4, 0.6], 0);
  assert.is(defenseView(o, 1, 'paper').labelChanges, 1);
});

t('sweep agrees with defenseView at every grid point; the grid is clean', () => {
  const o = outcome();
  const grid = epsilonGrid(1, 4);
  assert.equal(grid, [0, 0.25, 0.5, 0.75, 1]);
  assert.is(epsilonGrid(1, 50)[3], 0.06);
  for (const mixing of ['paper', 'exact'] as const) {
    const s = sweep(o, grid, mixing);
    grid.forEach((e, i) => {
      const v = defenseView(o, e, mixing);
      assert.is(s.accuracy[i], v.attackAccuracy);
      assert.is(s.auc[i], v.attackAuc);
      assert.is(s.meanDistortion[i], v.meanDistortion);
      assert.ok(v.meanDistortion <= e + 1e-12, 'never spends more than epsilon');
    });
  }
});

t('topClasses: the classes holding the most confidence before or after, in class order', () => {
  const s = [0.05, 0.7, 0, 0.2, 0.05], r = [0.05, 0.4, 0.3, 0.2, 0.05];
  assert.equal(topClasses(s, r, 3), [1, 2, 3]);
  assert.equal(topClasses(s, r, 4), [0, 1, 2, 3], 'ties go to the lower class');
  assert.equal(topClasses(s, r, 9), [0, 1, 2, 3, 4]);
});

t.run();
