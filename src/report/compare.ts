// The report of `memguard compare`: one self-contained HTML page (inline CSS and SVG, no script):
// the verdict sentences first, the matched-utility table, then design §11's figures (attack accuracy,
// AUC and TPR at 1% FPR against distortion, one panel per attack family and one curve per defense,
// at most 6 curves a panel; the same against label loss; TPR at 1% FPR against test accuracy) and
// every setting in a table. Everything taken from the results is escaped.
import type { AttackSummary } from '../attacks/summary.js';
import type { CompareEntry, CompareResults } from '../compare/results.js';
import { LABEL_ONLY_ATTACKS } from '../compare/results.js';
import { computeCompareVerdict, strongest, type CompareVerdict } from '../compare/verdict.js';
import { familyOf, MAX_CURVES } from './families.js';
import { fix3, fix3pm } from './format.js';
import { escapeXml, formatNumber, linePlot, MARKER_SHAPES, PALETTE, REFERENCE_COLOR, type LineSeries, type ReferenceLine } from './svg.js';
import { htmlTable } from './table.js';
import { isUpperBound, verdictValue, type VerdictMetric } from '../experiment/verdict.js';
import { baseCss } from './style.js';

const CSS = baseCss(1240) + `
ul.verdict li{margin:3px 0}ul.verdict li.bad{color:#b00020;font-weight:600}
`;

/**
 * An attack family of the figures: which attack ids it takes the strongest of.
 *
 * @example
 * console.log(COMPARE_FAMILIES.map((f) => f.id)); // ['strongest', 'nn', 'nn/defense-aware', ...]
 */
export const COMPARE_FAMILIES: Array<{ id: string; title: string; match: (attack: string) => boolean }> = [
  { id: 'strongest', title: 'strongest attack (any)', match: (a) => !isUpperBound(a) },
  { id: 'nn', title: "NN attack (the paper's, undefended shadow)", match: (a) => a === 'nn' },
  { id: 'nn/defense-aware', title: 'NN attack, defense-aware shadow', match: (a) => a === 'nn/defense-aware' },
  { id: 'metric', title: 'metric attacks (shadow-calibrated, naive or aware)', match: (a) => familyOf(a.replace(/\/defense-aware$/, '')).id === 'metric' },
  { id: 'nn-at', title: 'NN-AT (adversarially trained NN attack)', match: (a) => a === 'nn-at' },
  { id: 'nn-r', title: 'NN-R (rounded scores, naive or aware)', match: (a) => /^nn-r\d/.test(a) },
  { id: 'lira', title: 'offline LiRA', match: (a) => a === 'lira' },
  { id: 'label-only', title: 'label-only attacks (the floor)', match: (a) => LABEL_ONLY_ATTACKS.includes(a) },
];

/** Families present in the results: the fixed ones, then any other attack prefix (new attacks get a panel of their own). */
function familiesOf(r: CompareResults): typeof COMPARE_FAMILIES {
  const ids = new Set(r.defenses.flatMap((e) => Object.keys(e.attacks)));
  const out = COMPARE_FAMILIES.filter((f) => [...ids].some(f.match));
  const covered = (a: string) => COMPARE_FAMILIES.slice(1).some((f) => f.match(a)) || isUpperBound(a);
  const extra = [...new Set([...ids].filter((a) => !covered(a)).map((a) => a.split('/')[0]!))];
  for (const p of extra) out.push({ id: p, title: `${p} attacks`, match: (a) => a.split('/')[0] === p && !isUpperBound(a) });
  return out;
}

function familyValue(attacks: Record<string, AttackSummary>, match: (a: string) => boolean, metric: VerdictMetric): number {
  const v = Object.entries(attacks).filter(([a]) => match(a)).map(([, s]) => verdictValue(s, metric));
  return v.length ? Math.max(...v) : NaN;
}

/** The curve a setting belongs to: its defense, and MemGuard's mixing rule. */
function curveKey(e: CompareEntry): string {
  return e.defense.startsWith('memguard') ? `${e.defense} (${e.params.mixing} mixing)` : e.defense;
}

interface Curve { key: string; entries: CompareEntry[]; color: string; marker: (typeof MARKER_SHAPES)[number] }

/** Curves in groups of at most MAX_CURVES, each group with the undefended point and MemGuard (paper mixing) as anchors. */
function curveGroups(r: CompareResults): Curve[][] {
  const keys: string[] = [];
  for (const e of r.defenses) if (!keys.includes(curveKey(e))) keys.push(curveKey(e));
  const curves = keys.map((key, i): Curve => ({
    key, entries: r.defenses.filter((e) => curveKey(e) === key), color: PALETTE[i % PALETTE.length]!, marker: MARKER_SHAPES[Math.floor(i / PALETTE.length) % MARKER_SHAPES.length]!,
  }));
  const anchors = curves.filter((c) => c.key === 'none' || c.key === 'memguard (paper mixing)');
  const others = curves.filter((c) => !anchors.includes(c));
  const room = MAX_CURVES - anchors.length;
  const groups: Curve[][] = [];
  for (let i = 0; i < others.length || groups.length === 0; i += room) groups.push([...anchors, ...others.slice(i, i + room)]);
  // Colors must differ within a chart: a clash takes the next free palette color (the marker keeps the defense's identity).
  return groups.map((g) => {
    const used = new Set<string>();
    return g.map((c) => {
      const color = used.has(c.color) ? PALETTE.find((p) => !used.has(p))! : c.color;
      used.add(color);
      return { ...c, color };
    });
  });
}

type Axis = { id: string; label: string; value: (e: CompareEntry) => number };
const AXES: Record<string, Axis> = {
  distortion: { id: 'distortion', label: 'confidence distortion: mean ‖s_released − s_ref‖₁', value: (e) => e.utility.distortion },
  labelLoss: { id: 'labelLoss', label: 'label loss vs the reference model', value: (e) => e.utility.labelLoss },
  testAccuracy: { id: 'testAccuracy', label: 'test accuracy (rows no role uses)', value: (e) => e.utility.testAccuracy },
};
const METRIC_LABEL: Record<VerdictMetric, string> = { accuracy: 'attack accuracy', auc: 'AUC (direction-free)', tprAt1Fpr: 'TPR at 1% FPR', tprAt01Fpr: 'TPR at 0.1% FPR' };

function panel(r: CompareResults, group: Curve[], family: (typeof COMPARE_FAMILIES)[number], axis: Axis, metric: VerdictMetric, id: string): string {
  const series: LineSeries[] = group.map((c) => {
    const pts = c.entries.map((e) => [axis.value(e), familyValue(e.attacks, family.match, metric)] as const)
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    return { name: c.key, x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), color: c.color, marker: c.marker, markers: true };
  }).filter((s) => s.x.length);
  if (!series.length) return '';
  const xs = series.flatMap((s) => Array.from(s.x));
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const refs: ReferenceLine[] = [];
  const floor = metric === 'accuracy' ? r.labelOnlyFloor.accuracy : metric === 'auc' ? r.labelOnlyFloor.auc : undefined;
  if (floor !== undefined && Number.isFinite(floor) && family.id !== 'label-only') {
    refs.push({ name: `label-only floor (${r.labelOnlyFloor.attack})`, x: [lo, hi > lo ? hi : lo + 1], y: [floor, floor], color: REFERENCE_COLOR, dash: '7 4' });
  }
  return `<figure>${linePlot({
    id, title: family.title, width: 600, height: 330,
    x: { label: axis.label }, y: { label: METRIC_LABEL[metric] },
    series, references: refs, legend: true, legendBelow: true,
  })}</figure>`;
}

function figures(r: CompareResults, groups: Curve[][], axis: Axis, metric: VerdictMetric, families: typeof COMPARE_FAMILIES, ids: () => string): string {
  let s = '';
  groups.forEach((g, i) => {
    if (groups.length > 1) s += `<h3>Curves ${i + 1} of ${groups.length}: ${escapeXml(g.map((c) => c.key).join(', '))}</h3>`;
    s += `<div class="grid">${families.map((f) => panel(r, g, f, axis, metric, ids())).join('')}</div>`;
  });
  return s;
}

function verdictSection(v: CompareVerdict): string {
  const items = v.sentences.map((t) => `<li${/STRONGER|LOSES/.test(t) ? ' class="bad"' : ''}>${escapeXml(t)}</li>`).join('');
  return `<h2>Verdict</h2><ul class="verdict">${items}</ul>`;
}

function matchedSection(r: CompareResults, v: CompareVerdict): string {
  const rows = v.matched.map((m) => [
    m.axis === 'distortion' ? `distortion ≤ about ${formatNumber(m.target)}` : `test accuracy drop ≤ ${formatNumber(m.target * 100)} points`,
    m.best ? escapeXml(m.best) : '—', fix3(m.strongest), fix3(m.nn), fix3(m.labelOnly),
    m.memguard ? `${escapeXml(m.memguard.id)}: ${fix3(m.memguard.strongest)}` : m.bestDefense === 'memguard' ? '(the best)' : '—',
    String(m.candidates),
  ]);
  return '<h2>Matched utility</h2><p class="note">Per budget: the setting whose strongest attack (upper bounds left out) is weakest, among the settings within the budget ' +
    '(distortion up to 1.2 × the target; or test accuracy at most the drop below the reference model\'s ' + escapeXml(fix3(r.reference.testAccuracy)) +
    '); beside it the strongest label-only attack against it (the floor no label-preserving defense goes below: ' +
    `${escapeXml(fix3(r.labelOnlyFloor.accuracy))} undefended, ${escapeXml(r.labelOnlyFloor.attack)}).</p>` +
    htmlTable(['budget', 'best setting', 'strongest attack acc.', 'NN attack acc.', 'label-only floor', 'MemGuard\'s best there', 'settings'], rows, 2);
}

function settingsTable(r: CompareResults): string {
  const rows = r.defenses.map((e) => {
    const hw = (k: 'distortion' | 'labelLoss' | 'testAccuracy') => escapeXml(fix3pm(e.utility[k], e.halfWidth?.[k]));
    return [escapeXml(e.id), escapeXml(e.defense), hw('distortion'), hw('labelLoss'), hw('testAccuracy'), fix3(strongest(e.attacks)),
      fix3(e.attacks.nn?.accuracy), fix3(e.attacks['nn/defense-aware']?.accuracy), fix3(familyValue(e.attacks, (a) => !isUpperBound(a), 'auc')),
      fix3(familyValue(e.attacks, (a) => !isUpperBound(a), 'tprAt1Fpr')), fix3(familyValue(e.attacks, (a) => !isUpperBound(a), 'tprAt01Fpr'))];
  });
  return '<h2>Every setting</h2>' + htmlTable(['id', 'defense', 'distortion', 'label loss', 'test acc.', 'strongest acc.', 'NN acc.', 'NN aware acc.', 'max AUC', 'max TPR@1%', 'max TPR@0.1%'], rows, 2);
}

/**
 * Renders the comparison report (one self-contained page).
 *
 * @example
 * const html = renderCompareReport(results); // verdict first, then the matched-utility table and the figures
 */
export function renderCompareReport(r: CompareResults, verdict: CompareVerdict = computeCompareVerdict(r)): string {
  const title = r.title ?? 'memguard compare';
  let n = 0;
  const ids = () => `cmp${++n}`;
  const groups = curveGroups(r);
  const families = familiesOf(r);
  let body = `<h1>${escapeXml(title)}</h1><p class="meta">Dataset <b>${escapeXml(String(r.config.dataset ?? '?'))}</b> · ${escapeXml(r.createdAt)}` +
    ((r.repeats ?? 1) > 1 ? ` · mean of ${r.repeats} runs, ± 95% interval` : '') +
    ` · reference model: train ${escapeXml(fix3(r.reference.trainAccuracy))}, test ${escapeXml(fix3(r.reference.testAccuracy))}</p>`;
  body += verdictSection(verdict);
  body += matchedSection(r, verdict);
  body += '<h2>Attack accuracy against distortion</h2><p class="note">One panel per attack family (its strongest attack at each setting), one curve per defense ' +
    '(MemGuard: per mixing rule, over ε; training-time defenses: over their knob), at most 6 curves a panel; black dashed: the label-only floor of the undefended model.</p>';
  body += figures(r, groups, AXES.distortion!, 'accuracy', families, ids);
  body += '<details><summary>AUC against distortion</summary>' + figures(r, groups, AXES.distortion!, 'auc', families, ids) + '</details>';
  body += '<details><summary>TPR at 1% FPR against distortion</summary>' + figures(r, groups, AXES.distortion!, 'tprAt1Fpr', families, ids) + '</details>';
  body += '<h2>Against label loss</h2><details><summary>Attack accuracy against label loss</summary>' + figures(r, groups, AXES.labelLoss!, 'accuracy', families, ids) + '</details>';
  body += '<h2>TPR at 1% FPR against test accuracy</h2>' + figures(r, groups, AXES.testAccuracy!, 'tprAt1Fpr', families.slice(0, 1), ids);
  body += settingsTable(r);
  const sf = r.seedFloor;
  body += '<h2>Seed floor</h2>' + htmlTable(['between two undefended models differing only in seed', 'value'], [
    ['distortion', fix3(sf.distortion)], ['label loss', fix3(sf.labelLoss)], ['test accuracy (second model)', fix3(sf.testAccuracy)],
    ['test accuracy (reference)', fix3(sf.referenceTestAccuracy)], ['strongest attack on the second model', fix3(strongest(sf.attacks))],
  ]);
  for (const note of r.notes ?? []) body += `<p class="note">${escapeXml(note)}</p>`;
  body += `<h2>Setup</h2><pre>${escapeXml(JSON.stringify(r.config, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 1))}</pre>`;
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<title>${escapeXml(title)}</title><style>${CSS}</style></head><body>${body}</body></html>\n`;
}
