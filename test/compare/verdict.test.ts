// The comparison's verdict and report on hand-made results: a defense that makes an attack stronger
// than no defense is named first, MemGuard losing to a rival at the same distortion is said, the
// matched-utility table picks the weakest strongest attack within each budget, the report keeps
// at most 6 curves a panel with distinct colors; and the utility axes on hand-computed vectors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AttackSummary } from '../../src/attacks/summary.js';
import type { CompareEntry, CompareResults } from '../../src/compare/results.js';
import { combineCompareRepeats } from '../../src/compare/results.js';
import { trainingKey } from '../../src/compare/store.js';
import { distortionAndLabelLoss } from '../../src/compare/utility.js';
import { computeCompareVerdict } from '../../src/compare/verdict.js';
import { Mlp } from '../../src/nn/mlp.js';
import { renderCompareReport } from '../../src/report/compare.js';
import { linePlot } from '../../src/report/svg.js';
import { assertBalanced, HOSTILE } from '../report/markup.js';

const t = suite('compare verdict and report');

const summary = (accuracy: number, extra: Partial<AttackSummary> = {}): AttackSummary => ({
  accuracy, balancedAccuracy: accuracy, auc: accuracy, advantage: 2 * accuracy - 1, tprAt1Fpr: 0.02, tprAt01Fpr: 0.01, roc: { fpr: [0, 1], tpr: [0, 1] }, ...extra,
});
const attacks = (nn: number, extra: Record<string, AttackSummary> = {}) => ({ nn: summary(nn), 'nn/defense-aware': summary(nn), gap: summary(0.6), lira: summary(0.55), ...extra });
const entry = (id: string, defense: string, params: CompareEntry['params'], distortion: number, testAccuracy: number, a: Record<string, AttackSummary>): CompareEntry =>
  ({ id, defense, params, utility: { distortion, labelLoss: 0, testAccuracy }, attacks: a });

function results(defenses: CompareEntry[]): CompareResults {
  return {
    kind: 'compare', version: 1, createdAt: '2026-12-05T00:00:00Z', config: { dataset: 'toy' }, reference: { trainAccuracy: 1, testAccuracy: 0.6 },
    defenses, seedFloor: { distortion: 0.4, labelLoss: 0.3, testAccuracy: 0.59, referenceTestAccuracy: 0.6, attacks: attacks(0.75) },
    labelOnlyFloor: { attack: 'gap', accuracy: 0.6, auc: 0.6, tprAt1Fpr: 0.02, tprAt01Fpr: 0.01 },
  };
}

const base = () => [
  entry('none', 'none', {}, 0, 0.6, attacks(0.75)),
  ...[0.1, 0.3, 0.5].map((e) => entry(`memguard-mixingpaper-epsilon${e}`, 'memguard', { mixing: 'paper', epsilon: e }, e, 0.6, attacks(0.75 - e / 2))),
];

t('a setting that makes an attack stronger than no defense is named first, with both values', () => {
  const list = base();
  // As measured from outside with offline LiRA: MemGuard at 0.1 singles out the most exposed records better.
  list[1]!.attacks.lira = summary(0.55, { tprAt01Fpr: 0.055 });
  list[0]!.attacks.lira = summary(0.55, { tprAt01Fpr: 0.024 });
  const v = computeCompareVerdict(results(list));
  assert.match(v.sentences[0]!, /^memguard makes the attacker STRONGER than against no defense at 1 of its 3 settings/);
  assert.match(v.sentences[0]!, /lira TPR @ 0\.1% FPR 0\.055 vs 0\.024 for the strongest attack on the undefended model \(lira\)/);
  assert.is(v.strengthened[0]!.id, 'memguard-mixingpaper-epsilon0.1');
  // Without it, no such sentence.
  const clean = computeCompareVerdict(results(base()));
  assert.not.ok(clean.sentences.some((s) => s.includes('STRONGER')));
  // An attack that scores 0 undefended (rounded scores tie at the threshold) and 0.05 against a defense is
  // no stronger attacker while another attack reaches 0.16 undefended: not flagged; above 0.16 it is.
  const ties = base();
  ties[0]!.attacks['nn-r2'] = summary(0.7, { tprAt1Fpr: 0 });
  ties[0]!.attacks.lira = summary(0.55, { tprAt1Fpr: 0.16 });
  ties[2]!.attacks['nn-r2'] = summary(0.6, { tprAt1Fpr: 0.05 });
  assert.not.ok(computeCompareVerdict(results(ties)).sentences.some((s) => s.includes('STRONGER')));
  ties[2]!.attacks['nn-r2'] = summary(0.6, { tprAt1Fpr: 0.2 });
  const worse = computeCompareVerdict(results(ties));
  assert.match(worse.sentences[0]!, /memguard \(mixing paper, epsilon 0\.3\), nn-r2 TPR @ 1% FPR 0\.200 vs 0\.160 .* \(lira\)/);
});

t('MemGuard losing to a rival at matched distortion is said before its wins', () => {
  const list = [...base(), entry('uniform-epsilon0.3', 'uniform', { epsilon: 0.3 }, 0.3, 0.6, attacks(0.55)), entry('early-stopping-epochs10', 'early-stopping', { epochs: 10 }, 0.2, 0.55, attacks(0.74))];
  const v = computeCompareVerdict(results(list));
  const lose = v.sentences.findIndex((s) => s.startsWith('MemGuard LOSES to uniform'));
  const win = v.sentences.findIndex((s) => s.startsWith('MemGuard beats early-stopping'));
  assert.ok(lose >= 0 && win > lose, v.sentences.join('\n'));
  assert.match(v.sentences[lose]!, /at distortion 0\.300 the (NN|strongest) attack reaches 0\.600 against MemGuard and 0\.550/);
});

t('at matched test accuracy: a rival that keeps accuracy and leaks less is a loss for MemGuard; one that costs accuracy is not', () => {
  // MemGuard's strongest attack bottoms out at 0.6 (base: gap 0.6 at every budget).
  const keepsAccuracy = entry('selena', 'selena', {}, 1, 0.605, attacks(0.5, { gap: summary(0.55), lira: summary(0.54) }));
  const v = computeCompareVerdict(results([...base(), keepsAccuracy]));
  const s = v.sentences.find((x) => x.includes('matched test accuracy'))!;
  assert.match(s, /^MemGuard LOSES to selena at matched test accuracy \(within 0\.01 of the undefended 0\.600\): the strongest attack reaches 0\.600 against MemGuard .* and 0\.550 against selena: test accuracy 0\.605/);
  // Below the label-only floor (gap 0.6): the cheap setting is named beside the lowest of all.
  const dp = entry('dp-sgd-targetEpsilon1', 'dp-sgd', { targetEpsilon: 1 }, 1.8, 0.05, attacks(0.5, { gap: summary(0.5), lira: summary(0.5) }));
  const floors = computeCompareVerdict(results([...base(), keepsAccuracy, dp])).sentences.find((x) => x.includes('below the label-only floor'))!;
  assert.match(floors, /^2 training-time settings go below the label-only floor; the lowest within 0\.03 of the undefended test accuracy: selena at 0\.550, test accuracy 0\.605; lowest of all: dp-sgd \(targetEpsilon 1\) at 0\.500, test accuracy 0\.050/);
  // The same rival at 5 points of test accuracy less is no match for that sentence.
  const costly = computeCompareVerdict(results([...base(), { ...keepsAccuracy, utility: { ...keepsAccuracy.utility, testAccuracy: 0.55 } }]));
  assert.not.ok(costly.sentences.some((x) => x.includes('matched test accuracy')), costly.sentences.join('\n'));
});

t('the matched-utility table picks the weakest strongest attack within each budget', () => {
  // Early stopping below the floor: its strongest attack is LiRA at 0.55, its gap attack 0.52.
  const list = [...base(), entry('early-stopping-epochs10', 'early-stopping', { epochs: 10 }, 0.25, 0.58, attacks(0.5, { gap: summary(0.52) }))];
  const v = computeCompareVerdict(results(list));
  const at = (axis: string, target: number) => v.matched.find((m) => m.axis === axis && m.target === target)!;
  assert.is(at('distortion', 0.1).best, 'memguard-mixingpaper-epsilon0.1');
  assert.is(at('distortion', 0.3).best, 'early-stopping-epochs10');
  assert.is(at('distortion', 0.3).strongest, 0.55);
  assert.is(at('distortion', 0.3).labelOnly, 0.52);
  assert.is(at('test-accuracy-drop', 0.01).bestDefense, 'memguard'); // early stopping costs 2 points
  assert.is(at('test-accuracy-drop', 0.03).best, 'early-stopping-epochs10');
});

t('the report: verdict first, at most 6 curves a panel with distinct colors, names escaped, balanced markup', () => {
  const list = base();
  for (let i = 0; i < 9; i++) list.push(entry(`rival${i}-k1`, `rival${i}`, { k: 1 }, 0.2 + i / 50, 0.6, attacks(0.7)));
  list.push(entry('hostile', HOSTILE, {}, 0.2, 0.6, attacks(0.7)));
  const html = renderCompareReport(results(list));
  assert.ok(html.indexOf('Verdict') < html.indexOf('<svg'));
  assert.not.ok(html.includes('<script'), 'names are escaped');
  assertBalanced(html, 'compare report');
  for (const svg of html.match(/<svg[\s\S]*?<\/svg>/g)!) {
    const curves = [...svg.matchAll(/<path d="[^"]*" stroke="(#[0-9A-Fa-f]{6})" stroke-width="1.8"/g)].map((m) => m[1]!);
    assert.ok(curves.length <= 6, `${curves.length} curves in one panel`);
    assert.is(new Set(curves).size, curves.length, 'distinct colors within a panel');
  }
});

t('a chart whose x values differ by a few ulps (one accuracy computed two ways) renders', () => {
  const svg = linePlot({ x: {}, y: {}, series: [{ name: 'a', x: [0.3076923076923077, 0.30769230769230776], y: [0.5, 0.6] }] });
  assert.ok(svg.startsWith('<svg') && svg.length < 100_000);
});

t('utility: distortion and label loss against the reference, in expectation over the coin', () => {
  const ref = new Float32Array([0.9, 0.1, 0.2, 0.8]);
  const d = distortionAndLabelLoss({ vectors: new Float32Array([0.8, 0.2, 0.6, 0.4]) }, ref, 2);
  assert.ok(Math.abs(d.distortion - (0.2 + 0.8) / 2) < 1e-6, String(d.distortion));
  assert.is(d.labelLoss, 0.5);
  // Row 0 released noisy with p = 0.5 (distance 0.4, label kept); row 1 never (distance 0).
  const r = distortionAndLabelLoss({ vectors: ref, noisy: new Float32Array([0.7, 0.3, 0.7, 0.3]), p: [0.5, 0] }, ref, 2);
  assert.ok(Math.abs(r.distortion - 0.1) < 1e-6, String(r.distortion));
  assert.is(r.labelLoss, 0);
});

t('training keys: the same job gives the same key; any other seed, data or option another', () => {
  const job = (seed: number, x = [0, 1, 1, 0], epochs = 3) => ({ model: Mlp.create([2, 2], { seed }), x: new Float32Array(x), y: new Int32Array([1, 0]), options: { epochs } });
  const k = trainingKey(job(1));
  assert.is(trainingKey(job(1)), k);
  assert.is.not(trainingKey(job(2)), k);
  assert.is.not(trainingKey(job(1, [0, 1, 1, 1])), k);
  assert.is.not(trainingKey(job(1, undefined, 4)), k);
  assert.is(trainingKey({ ...job(1), options: { epochs: 3, onEpoch: () => {} } }), k, 'callbacks do not count');
});

t('repeats: means and 95% intervals per setting', () => {
  const a = results(base()), b = results(base());
  b.defenses[1]!.utility.distortion = 0.3;
  const both = combineCompareRepeats([a, b]);
  assert.ok(Math.abs(both.defenses[1]!.utility.distortion - 0.2) < 1e-12);
  assert.ok(Math.abs(both.defenses[1]!.halfWidth!.distortion! - 12.706 * 0.1) < 1e-9);
  assert.is(both.repeats, 2);
});

t.run();
