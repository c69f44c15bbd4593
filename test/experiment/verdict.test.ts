import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AttackSummary } from '../../src/attacks/summary.js';
import type { EpsilonResult, EvaluationResults } from '../../src/experiment/results.js';
import { formatVerdict } from '../../src/report/console.js';
import { renderReport } from '../../src/report/html.js';
import { computeVerdict, verdictValue } from '../../src/experiment/verdict.js';

const t = suite('experiment/verdict');

/** A hand-made summary: only the verdict's metrics matter here. */
function s(accuracy: number, auc: number, tprAt1Fpr: number, tprAt01Fpr = 0): AttackSummary {
  return { accuracy, balancedAccuracy: accuracy, auc, advantage: 0, tprAt1Fpr, tprAt01Fpr, roc: { fpr: [0, 1], tpr: [0, 1] } };
}

function run(mixing: string, epsilon: number, attacks: Record<string, AttackSummary>, distortion: number): EpsilonResult {
  return { epsilon, mixing: mixing as EpsilonResult['mixing'], attacks, labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.5, meanReleasedDistortion: distortion };
}

/**
 * Known answers, worked by hand: undefended (eps 0) strongest accuracy nn 0.73, AUC nn 0.81,
 * TPR@1% nn 0.037; floor (gap) accuracy 0.60, AUC 0.60. At eps 1: accuracy conf 0.65 (hindsight's
 * 0.99 does not count), AUC nn flipped 1 - 0.313 = 0.687, TPR@1% nn 0.038 > 0.037 (red flag),
 * TPR@0.1% the unknown attack `lira` 0.02.
 */
function handBuilt(): EvaluationResults {
  const mk = (mixing: string) => [
    run(mixing, 0, {
      nn: s(0.73, 0.81, 0.037, 0.01), gap: s(0.60, 0.60, 0), 'confidence/global': s(0.70, 0.78, 0.02, 0.005),
      'confidence/hindsight': s(0.99, 0.99, 0.9, 0.9), lira: s(0.55, 0.6, 0.01, 0.015), 'entropy/global': s(0.55, 0.6, 0.01, 0),
    }, 0),
    run(mixing, 1, {
      nn: s(0.502, 0.313, 0.038, 0.001), gap: s(0.60, 0.60, 0), 'confidence/global': s(0.65, 0.66, 0.01, 0.001),
      'confidence/hindsight': s(0.99, 0.99, 0.9, 0.9), lira: s(0.52, 0.55, 0.015, 0.02), 'entropy/global': s(0.52, 0.55, 0.03, 0),
    }, 0.31),
  ];
  return {
    version: 1, createdAt: '2025-01-01T00:00:00Z',
    config: { dataset: 'hand-built', epsilons: [0, 1], mixingModes: ['paper'], seeds: {} },
    models: { targetTrain: 1, targetTest: 0.6 },
    runs: [...mk('paper'), ...mk('my-new-rule')],
  };
}

t('verdict: strongest per metric, floor, undefended, removed share, red flags, any attacks and mixing rules', () => {
  const v = computeVerdict(handBuilt());
  assert.equal(v.tables.map((x) => x.mixing), ['paper', 'my-new-rule']);
  assert.equal(v.excluded, ['confidence/hindsight']);
  const [r0, r1] = v.tables[0]!.rows;
  assert.is(r0!.metrics.accuracy!.attack, 'nn');
  assert.is(r0!.metrics.accuracy!.value, 0.73);
  assert.is(r1!.epsilon, 1);
  assert.is(r1!.distortion.value, 0.31);
  const acc = r1!.metrics.accuracy!;
  assert.is(acc.attack, 'confidence/global');
  assert.is(acc.value, 0.65);
  assert.is(acc.floor!.value, 0.6);
  assert.is(acc.undefended!.value, 0.73);
  assert.ok(Math.abs(acc.removed! - 0.08 / 0.13) < 1e-12, `removed ${acc.removed}`);
  const auc = r1!.metrics.auc!;
  assert.is(auc.attack, 'nn');
  assert.ok(auc.inverted);
  assert.ok(Math.abs(auc.value - 0.687) < 1e-12);
  assert.ok(Math.abs(auc.removed! - (0.81 - 0.687) / (0.81 - 0.60)) < 1e-12);
  assert.is(r1!.metrics.tprAt1Fpr!.attack, 'nn');
  assert.is(r1!.metrics.tprAt01Fpr!.attack, 'lira');
  assert.is(r1!.metrics.tprAt01Fpr!.undefended!.value, 0.015);

  const flags = v.tables[0]!.flags;
  // lira and nn: the strongest beats the undefended strongest (not repeated as 'attack-stronger');
  // entropy/global (TPR@1% 0.03 vs 0.01) and lira (0.015 vs 0.01): stronger than their own undefended
  // selves without being the strongest.
  assert.equal(flags.map((f) => `${f.kind} ${f.metric} ${f.attack}`).sort(), [
    'above-undefended tprAt01Fpr lira', 'above-undefended tprAt1Fpr nn', 'attack-stronger tprAt1Fpr entropy/global', 'attack-stronger tprAt1Fpr lira', 'inverted auc nn',
  ]);
  assert.match(flags.find((f) => f.kind === 'attack-stronger' && f.attack === 'entropy/global')!.text, /entropy\/global is stronger against the defended model .*TPR @ 1% FPR 0\.030 vs 0\.010/);
  assert.match(flags.find((f) => f.metric === 'tprAt1Fpr')!.text, /0\.038, above the undefended 0\.037/);
  assert.match(flags.find((f) => f.kind === 'inverted')!.text, /AUC 0\.313.*worth 0\.687/);
  // With intervals, the flag says whether they overlap.
  const r = handBuilt();
  for (const x of r.runs) for (const a of Object.values(x.attacks)) a.halfWidth = { tprAt1Fpr: 0.002, tprAt01Fpr: 0.001, accuracy: 0.01, auc: 0.01 };
  const texts = computeVerdict(r).tables[0]!.flags.map((f) => f.text);
  assert.ok(texts.some((x) => /TPR @ 1% FPR 0\.038, above the undefended 0\.037 .*within the 95% intervals/.test(x)), texts.join('\n'));
  assert.ok(texts.some((x) => /TPR @ 0\.1% FPR 0\.020, above the undefended 0\.015 .*do not overlap/.test(x)), texts.join('\n'));
  assert.match(v.tables[0]!.sentences[0]!, /removed 62% of the accuracy leakage above the label-only floor/);
  assert.match(v.tables[0]!.sentences[0]!, /removed 59% of the direction-free AUC leakage/);
});

t('verdict: no flag for an unchanged attack, direction-free AUC, no removal share without leakage above the floor', () => {
  assert.is(verdictValue(s(0.5, 0.3, 0), 'auc'), 0.7);
  assert.is(verdictValue(s(0.5, 0.8, 0), 'auc'), 0.8);
  const r = handBuilt();
  // The floor attack is the strongest everywhere: nothing above it to remove, and its (unchanged) value is no flag.
  for (const x of r.runs) x.attacks = { gap: s(0.6, 0.6, 0.02, 0.01), nn: s(0.55, x.epsilon ? 0.52 : 0.58, 0.01, 0.001) };
  r.runs.filter((x) => x.epsilon === 1).forEach((x) => { x.attacks.gap!.accuracy += 1e-7; });
  const v = computeVerdict(r);
  assert.equal(v.tables[0]!.flags, []);
  assert.is(v.tables[0]!.rows[1]!.metrics.accuracy!.removed, undefined);
  assert.match(v.tables[0]!.sentences[0]!, /no accuracy leakage above the floor to remove/);
});

t('verdict leads the console summary and the report, flags in red', () => {
  const r = handBuilt();
  const text = formatVerdict(computeVerdict(r));
  const lines = text.split('\n');
  assert.ok(lines[0]!.startsWith('VERDICT, mixing = paper'));
  assert.ok(lines.some((l) => l.startsWith('!! ε = 1: nn reaches TPR @ 1% FPR 0.038')), text);
  assert.ok(lines.some((l) => /nn \(flipped\)/.test(l)), 'the flipped AUC is named');
  const html = renderReport(r);
  const verdictAt = html.indexOf('<h2>Verdict</h2>');
  assert.ok(verdictAt > 0 && verdictAt < html.indexOf('<h2>Setup</h2>'), 'the verdict comes first');
  assert.match(html, /<ul class="flags"><li>ε = 1: nn reaches TPR @ 1% FPR 0\.038/);
  assert.match(html, /<td class="bad"><span class="pm-value">0\.038<\/span><span class="att">nn<\/span><span class="att">added 3% more<\/span><\/td>/);
});

t.run();
