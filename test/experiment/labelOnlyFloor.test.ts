// The label-only floor (design §6): per metric the stronger of the gap and noise-robustness attacks,
// named in the verdict (cells, sentences, the floor of each table with both parts), the console
// verdict and the report.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AttackSummary } from '../../src/attacks/summary.js';
import type { EvaluationResults } from '../../src/experiment/results.js';
import { formatVerdict } from '../../src/report/console.js';
import { renderReport } from '../../src/report/html.js';
import { computeVerdict, FLOOR_ATTACKS, labelOnlyFloor } from '../../src/experiment/verdict.js';

const t = suite('report/label-only floor');

function s(accuracy: number, auc: number, tprAt1Fpr: number): AttackSummary {
  return { accuracy, balancedAccuracy: accuracy, auc, advantage: 0, tprAt1Fpr, tprAt01Fpr: 0, roc: { fpr: [0, 0.5, 1], tpr: [0, 0.7, 1] } };
}

t('the floor is the max of its parts, per metric, and names the part that set it', () => {
  assert.equal(FLOOR_ATTACKS, ['gap', 'label-only/noise']);
  // Gap stronger by accuracy, noise robustness by AUC and TPR; an NN attack above both is no part.
  const attacks = { gap: s(0.69, 0.69, 0), 'label-only/noise': s(0.66, 0.73, 0.02), nn: s(0.8, 0.9, 0.1) };
  const acc = labelOnlyFloor(attacks, 'accuracy')!;
  assert.is(acc.attack, 'gap');
  assert.is(acc.value, 0.69);
  assert.equal(acc.parts, { gap: { value: 0.69 }, 'label-only/noise': { value: 0.66 } });
  const auc = labelOnlyFloor(attacks, 'auc')!;
  assert.is(auc.attack, 'label-only/noise');
  assert.is(auc.value, 0.73);
  assert.is(labelOnlyFloor(attacks, 'tprAt1Fpr')!.attack, 'label-only/noise');
  // Direction-free AUC: a part below 0.5 counts flipped.
  assert.is(labelOnlyFloor({ gap: s(0.6, 0.6, 0), 'label-only/noise': s(0.4, 0.2, 0) }, 'auc')!.value, 0.8);
  // Only one part present: it is the floor; none: no floor.
  assert.is(labelOnlyFloor({ gap: s(0.6, 0.6, 0) }, 'accuracy')!.attack, 'gap');
  assert.is(labelOnlyFloor({ nn: s(0.6, 0.6, 0) }, 'accuracy'), undefined);
});

function results(): EvaluationResults {
  const run = (epsilon: number, nn: AttackSummary) => ({
    epsilon, mixing: 'paper' as const, labelLoss: 0, meanPhase1Distortion: 0.3, meanP: 0.5, meanReleasedDistortion: 0.3 * epsilon,
    attacks: { nn, gap: s(0.69, 0.69, 0), 'label-only/noise': s(0.72, 0.76, 0.03) },
  });
  return {
    version: 1, createdAt: '2026-01-01T00:00:00Z', config: { dataset: 'toy', epsilons: [0, 1], mixingModes: ['paper'], seeds: {} },
    models: { targetTrain: 1, targetTest: 0.6 }, runs: [run(0, s(0.8, 0.85, 0.05)), run(1, s(0.6, 0.62, 0.01))],
  };
}

t('the verdict reads every setting against the stronger part, and says which one it is', () => {
  const v = computeVerdict(results());
  assert.equal(v.floorAttacks, ['gap', 'label-only/noise']);
  const table = v.tables[0]!;
  assert.is(table.floor.accuracy!.attack, 'label-only/noise');
  assert.is(table.floor.accuracy!.value, 0.72);
  assert.equal(Object.keys(table.floor.accuracy!.parts), ['gap', 'label-only/noise']);
  const cell = table.rows[1]!.metrics.accuracy!;
  // The strongest attack at eps 1 is the noise-robustness attack itself (0.72 > nn 0.6).
  assert.is(cell.attack, 'label-only/noise');
  assert.equal(cell.floor, { value: 0.72, attack: 'label-only/noise' });
  // removed = (0.8 - 0.72) / (0.8 - 0.72) = 1: measured against 0.72, not the gap's 0.69.
  assert.is(cell.removed, 1);
  assert.match(table.sentences[0]!, /floor 0\.720, set by label-only\/noise/);
  const text = formatVerdict(v);
  assert.match(text, /set by/);
  assert.match(text, /label-only\/noise/);
  const html = renderReport({ ...results(), verdict: v });
  assert.match(html, /set by label-only\/noise/);
  assert.match(html, /label-only floor \(label-only\/noise\)/);
});

t.run();
