import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { averageRoc, meanSummary, rocTprAt } from '../../src/attacks/summary.js';
import { MemGuardInputError } from '../../src/errors.js';
import { combineRepeats, meanInterval, tQuantile975 } from '../../src/experiment/repeats.js';
import { makeResults } from '../report/sampleResults.js';
import { throwsTyped } from '../helpers.js';

const t = suite('experiment/repeats');
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

t('t quantiles: the table, and the Cornish-Fisher tail against published values', () => {
  assert.is(tQuantile975(1), 12.706);
  assert.is(tQuantile975(2), 4.303);
  close(tQuantile975(40), 2.021, 1e-3, 't(40)');
  close(tQuantile975(120), 1.980, 1e-3, 't(120)');
  throwsTyped(() => tQuantile975(0), MemGuardInputError, /df must be a positive integer/);
});

t('meanInterval: a hand-computed 95% t interval', () => {
  // 1,2,3,4: mean 2.5, s^2 = 5/3, s/sqrt(4) = 0.6454972, t(3) = 3.182: half-width 2.0539720.
  const m = meanInterval([1, 2, 3, 4]);
  assert.is(m.mean, 2.5);
  close(m.halfWidth!, 3.182 * Math.sqrt(5 / 3) / 2, 1e-12, 'half-width formula');
  close(m.halfWidth!, 2.053972, 1e-6, 'half-width by hand');
  assert.equal(meanInterval([0.7]), { mean: 0.7 });
});

t('ROC averaging: vertical mean on a grid; meanSummary averages every metric', () => {
  const a = { fpr: [0, 0.5, 1], tpr: [0, 1, 1] }, b = { fpr: [0, 1], tpr: [0, 1] };
  close(rocTprAt(a, 0.25), 0.5, 1e-12, 'interpolated');
  close(rocTprAt(b, 0.25), 0.25, 1e-12, 'diagonal');
  const avg = averageRoc([a, b]);
  const at = avg.fpr.findIndex((f) => f >= 0.25);
  close(avg.tpr[at]!, (rocTprAt(a, avg.fpr[at]!) + rocTprAt(b, avg.fpr[at]!)) / 2, 1e-12, 'mean of the two');
  assert.is(avg.tpr[avg.tpr.length - 1], 1);
  const base = { balancedAccuracy: 0.5, advantage: 0, tprAt1Fpr: 0, tprAt01Fpr: 0 };
  const m = meanSummary([{ ...base, accuracy: 0.6, auc: 0.7, roc: a }, { ...base, accuracy: 0.8, auc: 0.5, roc: b, sampledAccuracy: 0.7 }]);
  close(m.accuracy, 0.7, 1e-12, 'accuracy');
  close(m.auc, 0.6, 1e-12, 'auc');
  assert.is(m.sampledAccuracy, undefined, 'only when every summary has it');
});

t('combineRepeats: means and half-widths of attacks, statistics and models; settings must match', () => {
  const a = makeResults(['nn', 'gap']), b = makeResults(['nn', 'gap']);
  a.runs[1]!.attacks['nn']!.accuracy = 0.6;
  b.runs[1]!.attacks['nn']!.accuracy = 0.7;
  b.runs[1]!.meanP = a.runs[1]!.meanP + 0.1;
  b.models.targetTest = 0.64;
  const c = combineRepeats([a, b]);
  assert.is(c.repeats, 2);
  const nn = c.runs[1]!.attacks['nn']!;
  close(nn.accuracy, 0.65, 1e-12, 'mean');
  // s = 0.0707107, s/sqrt(2) = 0.05, t(1) = 12.706.
  close(nn.halfWidth!.accuracy!, 12.706 * 0.05, 1e-9, 'half-width');
  close(c.runs[1]!.halfWidth!.meanP!, 12.706 * 0.05, 1e-9, 'statistic half-width');
  assert.is(c.runs[0]!.halfWidth!.labelLoss, 0);
  close(c.models.targetTest as number, 0.63, 1e-12, 'model mean');
  close(c.models.halfWidth!['targetTest']!, 12.706 * 0.01, 1e-9, 'model half-width');
  assert.is(c.runs[1]!.epsilon, a.runs[1]!.epsilon);
  b.runs.pop();
  throwsTyped(() => combineRepeats([a, b]), MemGuardInputError, /same \(mixing, epsilon\) settings/);
});

t.run();
