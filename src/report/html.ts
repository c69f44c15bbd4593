// The evaluation report: one self-contained HTML page (inline CSS and SVG, no script, no network)
// made from an `EvaluationResults` object (the console table is console.ts).
// Everything taken from the results (titles, attack names, config values, notes) is escaped.
import type { AttackSummary, MembershipHistogram } from '../attacks/summary.js';
import type { EpsilonResult, EvaluationResults, MixingMode, PublishedResult } from '../experiment/results.js';
import { attacksOf, eps, fix3, fix3pm, publishedAt } from './format.js';
import { modesOf, runsOf } from '../experiment/results.js';
import { familyColors, familyOf, strongestPerFamily } from './families.js';
import { escapeXml, formatNumber, histogramOverlay, linePlot, PALETTE, REFERENCE_COLOR, type LineSeries, type ReferenceLine } from './svg.js';
import { ABOVE_UNDEFENDED, computeVerdict, FLOOR_ATTACKS, labelOnlyFloor, VERDICT_METRIC_LABELS, VERDICT_METRICS, verdictValue, type Verdict, type VerdictCell, type VerdictTable, type VerdictValue } from '../experiment/verdict.js';
import { nearDuplicateSection } from './nearDuplicates.js';
import { htmlTable } from './table.js';
import { timingSection } from './timing.js';
import { baseCss } from './style.js';

/**
 * Options of `renderReport`.
 *
 * @example
 * const results: EvaluationResults = {
 *   version: 1, createdAt: '2026-01-01T00:00:00Z', models: { targetTrain: 1, targetTest: 0.62 },
 *   config: { dataset: 'location', epsilons: [0.5], mixingModes: ['paper'], seeds: { target: 1 } },
 *   runs: [{ epsilon: 0.5, mixing: 'paper', labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3,
 *     attacks: { nn: { accuracy: 0.55, balancedAccuracy: 0.55, auc: 0.56, advantage: 0.1, tprAt1Fpr: 0.02, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } } } }],
 * };
 * const options: ReportOptions = { title: 'My evaluation', plotAttacks: ['nn'] };
 * const html = renderReport(results, options);
 */
export interface ReportOptions {
  /** Page title (default: the results' title, else "MemGuard evaluation"). */
  title?: string;
  /**
   * Attacks the plots may draw (default: every attack; each chart draws the strongest of each
   * family); the tables always list them all.
   */
  plotAttacks?: string[];
}

const CSS = baseCss(1180) + `
.bad{color:#b00020;font-weight:600}
.verdict td{vertical-align:top}.verdict td.name{font-family:inherit;font-size:13px}.pm{font-size:11px;color:#666}.pm-value{white-space:nowrap}
.verdict .att{font-size:10.5px}
.verdict tr.floor td{background:#f2f2f2;color:#333}.verdict tr.undefended td{background:#fafafa}.verdict .att{display:block;font-size:11px;color:#555;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.verdict td.bad{background:#fde8ea}.floor{color:#555}ul.flags li{color:#b00020}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
`;

/** Background tint for an accuracy cell: white at 0.5 (chance), red towards 1. */
function tint(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  const a = Math.max(0, Math.min(1, (v - 0.5) * 2));
  return ` style="background:rgba(225,87,89,${(a * 0.55).toFixed(2)})"`;
}

function configValue(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
}

function setupSection(r: EvaluationResults): string {
  const cfg = r.config ?? ({} as EvaluationResults['config']);
  const rows: string[][] = [];
  for (const [k, v] of Object.entries(cfg)) {
    if (k === 'seeds') continue;
    rows.push([escapeXml(k), `<code>${escapeXml(configValue(v))}</code>`]);
  }
  for (const [k, v] of Object.entries(cfg.seeds ?? {})) rows.push([escapeXml(`seed: ${k}`), `<code>${escapeXml(configValue(v))}</code>`]);
  let s = `<h2>Setup</h2>${htmlTable(['setting', 'value'], rows.map((x) => [x[0]!, `<td style="text-align:left">${x[1]}</td>`]))}`;
  const m = r.models ?? {};
  const mrows = Object.entries(m).filter(([, v]) => typeof v === 'number').map(([k, v]) => [escapeXml(k), fix3pm(v as number, m.halfWidth?.[k])]);
  if (mrows.length) s += `<h3>Model accuracies</h3>${htmlTable(['model / data', 'accuracy'], mrows)}`;
  return s;
}

function accuracyTable(runs: EpsilonResult[], attacks: string[], field: 'accuracy' | 'sampledAccuracy', published?: PublishedResult): string {
  const head = ['attack', ...runs.map((x) => `ε = ${escapeXml(eps(x.epsilon))}`)];
  const rows = attacks.map((a) => [escapeXml(a), ...runs.map((x) => {
    const v = x.attacks[a]?.[field];
    return `<td${tint(v)}>${escapeXml(fix3pm(v, x.attacks[a]?.halfWidth?.[field]))}</td>`;
  })]);
  if (published) {
    const at = attacks.indexOf(published.attack) + 1;
    rows.splice(at, 0, [`${escapeXml(published.attack)} (published)`, ...runs.map((x) => {
      const want = publishedAt(published, x.epsilon), got = x.attacks[published.attack]?.[field];
      const off = want !== undefined && got !== undefined && Math.abs(got - want) > published.tolerance;
      return `<td${off ? ' class="bad"' : ''}>${want === undefined ? '—' : fix3(want)}</td>`;
    })]);
  }
  return htmlTable(head, rows);
}

function defenseTable(runs: EpsilonResult[]): string {
  const hw = (x: EpsilonResult, k: keyof NonNullable<EpsilonResult['halfWidth']>) => escapeXml(fix3pm(x[k], x.halfWidth?.[k]));
  const rows = runs.map((x) => [
    escapeXml(eps(x.epsilon)),
    Number.isNaN(x.labelLoss) ? '—' : x.labelLoss === 0 ? '0' : `<td class="bad">${escapeXml(formatNumber(x.labelLoss))}</td>`,
    hw(x, 'meanPhase1Distortion'), hw(x, 'meanP'), hw(x, 'meanReleasedDistortion'),
    x.seconds === undefined ? '—' : escapeXml(formatNumber(x.seconds)),
  ]);
  return htmlTable(['ε', 'label loss', 'mean ‖r‖₁ (phase I)', 'mean p', 'mean released ‖n‖₁', 'seconds'], rows);
}

function detailTable(run: EpsilonResult, attacks: string[]): string {
  const rows = attacks.filter((a) => run.attacks[a]).map((a) => {
    const s = run.attacks[a] as AttackSummary;
    const v = (m: keyof NonNullable<AttackSummary['halfWidth']>) => escapeXml(fix3pm(s[m], s.halfWidth?.[m]));
    return [escapeXml(a), v('accuracy'), v('sampledAccuracy'), v('balancedAccuracy'), v('auc'), v('advantage'), v('tprAt1Fpr'), v('tprAt01Fpr')];
  });
  return htmlTable(['attack', 'accuracy (E)', 'accuracy (sampled)', 'balanced acc.', 'AUC', 'advantage', 'TPR@1%FPR', 'TPR@0.1%FPR'], rows);
}

function figure(svg: string, caption?: string): string {
  return `<figure>${svg}${caption ? `<figcaption>${escapeXml(caption)}</figcaption>` : ''}</figure>`;
}

function histogramFigure(h: MembershipHistogram, title: string, id: string): string {
  return figure(histogramOverlay({
    id, title, width: 380, height: 250,
    edges: h.members.edges,
    series: [{ name: 'members', counts: h.members.counts, color: PALETTE[1] }, { name: 'non-members', counts: h.nonMembers.counts, color: PALETTE[0] }],
    x: { label: 'top-1 confidence' },
  }));
}

/** One verdict cell: the value (± interval), the attack beneath; red where above the undefended value. */
/** A value with its ± half-width in smaller print (so a verdict cell stays on one line). */
function pm(v: { value: number; halfWidth?: number } | undefined): string {
  if (!v) return '—';
  return `<span class="pm-value">${fix3(v.value)}${v.halfWidth === undefined ? '' : ` <span class="pm">± ${fix3(v.halfWidth)}</span>`}</span>`;
}

function verdictCell(c: VerdictCell | undefined, epsilon: number, floorShown: VerdictValue | undefined): string {
  if (!c) return '<td>—</td>';
  const worse = epsilon > 0 && c.undefended !== undefined && c.value > c.undefended.value + ABOVE_UNDEFENDED;
  const notes = [`${c.attack}${c.inverted ? ' (flipped)' : ''}`];
  if (epsilon > 0 && c.removed !== undefined) {
    notes.push(c.removed >= 0 ? `removed ${Math.round(c.removed * 100)}%` : `added ${Math.round(-c.removed * 100)}% more`);
  }
  // The floor is the same at every ε for a label-preserving defense; say so where it is not.
  if (c.floor && floorShown && Math.abs(c.floor.value - floorShown.value) > ABOVE_UNDEFENDED) notes.push(`floor here ${fix3(c.floor.value)}`);
  return `<td${worse ? ' class="bad"' : ''}>${pm(c)}${notes.map((n) => `<span class="att">${escapeXml(n)}</span>`).join('')}</td>`;
}

/**
 * One verdict table: a row for the label-only floor, one for the undefended model (ε = 0), then one
 * per defended ε, so that each strongest value stands in a column right under the floor and the
 * undefended value it is compared with.
 */
function verdictTable(t: VerdictTable, floorName: string): string {
  const head = `<tr><th class="name">setting</th><th>distortion E‖n‖₁</th>${VERDICT_METRICS.map((m) => `<th>${escapeXml(VERDICT_METRIC_LABELS[m])}</th>`).join('')}</tr>`;
  const first = t.rows[0];
  const floors = VERDICT_METRICS.map((m) => first?.metrics[m]?.floor);
  let rows = '<tr class="floor"><td class="name">label-only floor</td><td>—</td>' +
    floors.map((f) => `<td>${pm(f)}<span class="att">${escapeXml(f ? `set by ${f.attack}` : '')}</span></td>`).join('') + '</tr>';
  for (const row of t.rows) {
    const label = row.epsilon === 0 ? 'undefended (ε = 0)' : `ε = ${eps(row.epsilon)}`;
    rows += `<tr${row.epsilon === 0 ? ' class="undefended"' : ''}><td class="name">${escapeXml(label)}</td><td>${pm(row.distortion)}</td>` +
      VERDICT_METRICS.map((m, j) => verdictCell(row.metrics[m], row.epsilon, floors[j])).join('') + '</tr>';
  }
  let s = `<table class="verdict"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
  if (t.sentences.length) s += `<ul>${t.sentences.map((x) => `<li>${escapeXml(x)}</li>`).join('')}</ul>`;
  if (t.flags.length) s += `<ul class="flags">${t.flags.map((f) => `<li>${escapeXml(f.text)}</li>`).join('')}</ul>`;
  else s += `<p class="note">No setting leaks more than the undefended model, and no attack's signal is inverted beyond the floor (${escapeXml(floorName)}).</p>`;
  return s;
}

/** "the gap and label-only/noise attacks": the label-only attacks the floor is the stronger of. */
function floorNameOf(v: Verdict): string {
  const names = v.floorAttacks ?? [];
  return names.length > 1 ? `the stronger of the ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} attacks` : `the ${names[0] ?? 'gap'} attack`;
}

function verdictSection(v: Verdict): string {
  const tables = v.tables.filter((t) => t.rows.length);
  if (!tables.length) return '';
  let s = '<h2>Verdict</h2><p class="note">Per mixing rule and distortion budget ε: the strongest attack by each metric ' +
    `(its name beneath the value), under the <b>label-only floor</b> (${escapeXml(floorNameOf(v))}, whichever is stronger per metric, named beneath; no label-preserving ` +
    'defense can go below it) and the <b>undefended</b> value (ε = 0). AUC is direction-free, max(AUC, 1 − AUC): an attacker who sees ' +
    'an inverted signal flips it. "removed": the share of the leakage above the floor that the defense removed, ' +
    '(undefended − defended) / (undefended − floor). Red: the defended model leaks more than the undefended one.' +
    (v.excluded.length ? ` Upper bounds that pick their threshold with the evaluation set's own membership (${escapeXml(v.excluded.join(', '))}) are not counted as attacks.` : '') +
    '</p>';
  for (const t of tables) s += `<h3>Mixing rule: ${escapeXml(t.mixing)}</h3>${verdictTable(t, floorNameOf(v))}`;
  return s;
}

/** A series drawn per family (its strongest variant), in the family's color. */
function familySeries(runs: EpsilonResult[], attacks: string[], colors: Map<string, string>, repeated: boolean): LineSeries[] {
  const finite = runs.filter((x) => Number.isFinite(x.epsilon));
  const mean = (a: string) => finite.reduce((t, x) => t + (x.attacks[a]?.accuracy ?? 0), 0) / Math.max(1, finite.length);
  return distinct(strongestPerFamily(attacks, mean, FLOOR_FAMILIES).map(({ attack, family }) => {
    const at = finite.filter((x) => x.attacks[attack]);
    const series: LineSeries = {
      name: family.legend === attack ? attack : `${family.legend}: ${attack}`, markers: true, color: colors.get(family.id),
      x: at.map((x) => x.epsilon), y: at.map((x) => x.attacks[attack]!.accuracy),
    };
    if (repeated) {
      const hw = at.map((x) => x.attacks[attack]!.halfWidth?.accuracy ?? 0);
      series.band = { lo: at.map((x, i) => x.attacks[attack]!.accuracy - hw[i]!), hi: at.map((x, i) => x.attacks[attack]!.accuracy + hw[i]!) };
    }
    return series;
  }));
}

/** Gives a series whose color repeats an earlier one's the first unused palette color. */
function distinct<T extends { color?: string }>(series: T[]): T[] {
  const used = new Set<string>();
  return series.map((x) => {
    const color = x.color && !used.has(x.color) ? x.color : PALETTE.find((c) => !used.has(c));
    used.add(color!);
    return { ...x, color };
  });
}

/** The families of the label-only attacks: drawn as the floor line, not as curves. */
const FLOOR_FAMILIES = FLOOR_ATTACKS.map((a) => familyOf(a).id);

/** The label-only floor as a named reference line (`attacks`: the label-only attacks that set it). */
function floorLine(x: number[], y: number[], attacks: string[]): ReferenceLine {
  return { name: `label-only floor (${[...new Set(attacks)].join(', ')})`, x, y, color: REFERENCE_COLOR, dash: '7 4' };
}

function modeSection(r: EvaluationResults, mode: MixingMode, plotAttacks: string[] | undefined, ids: () => string, colors: Map<string, string>): string {
  const runs = runsOf(r, mode);
  const attacks = attacksOf(runs);
  const drawn = attacks.filter((a) => !plotAttacks || plotAttacks.includes(a));
  const repeated = (r.repeats ?? 1) > 1;
  // Released vectors evaluated as they are (memguard evaluate) have no budget and no coin.
  const swept = runs.some((x) => Number.isFinite(x.epsilon));
  let s = swept ? `<h2>Mixing mode: ${escapeXml(mode)}</h2>` : '<h2>Attacks on the given released vectors</h2>';
  s += swept ? '<h3>Attack accuracy, in expectation over the Phase II coin</h3>' : '<h3>Attack accuracy</h3>';
  s += swept
    ? '<p class="note">Evaluation set: target members vs evaluation non-members; 0.5 is a coin flip. Cells are tinted from white (0.5) to red (1.0).</p>'
    : '<p class="note">Member rows vs non-member rows of the target file; 0.5 is a coin flip. Cells are tinted from white (0.5) to red (1.0).</p>';
  if (repeated) s += `<p class="note">Mean of ${r.repeats} runs ± the half-width of the 95% Student t interval over the runs.</p>`;
  const published = mode === modesOf(r)[0] ? r.published : undefined;
  if (published) {
    s += `<p class="note">Published: ${escapeXml(published.source)}; a cell is marked when the measured value is more than ` +
      `±${escapeXml(formatNumber(published.tolerance))} away.</p>`;
  }
  s += accuracyTable(runs, attacks, 'accuracy', published);
  if (runs.some((x) => Object.values(x.attacks).some((a) => a.sampledAccuracy !== undefined))) {
    s += '<details><summary>Attack accuracy on one sampled release</summary>' + accuracyTable(runs, attacks, 'sampledAccuracy') + '</details>';
  }
  const finite = runs.filter((x) => Number.isFinite(x.epsilon));
  if (swept) {
    const xs = finite.map((x) => x.epsilon);
    const refs: ReferenceLine[] = [{ x: [Math.min(...xs), Math.max(...xs)], y: [0.5, 0.5] }];
    const floors = finite.map((x) => ({ epsilon: x.epsilon, floor: labelOnlyFloor(x.attacks, 'accuracy') })).filter((x) => x.floor);
    if (floors.length) refs.push(floorLine(floors.map((x) => x.epsilon), floors.map((x) => x.floor!.value), floors.map((x) => x.floor!.attack)));
    const series = familySeries(runs, drawn, colors, repeated);
    if (published) {
      series.push({
        name: `${published.attack} (published)`, markers: true, dash: '2 3', color: '#777777',
        x: published.points.map((q) => q.epsilon), y: published.points.map((q) => q.accuracy),
      });
    }
    s += '<p class="note">One curve per attack family, its strongest variant (by mean accuracy over ε); every attack is in the table above. ' +
      'Black dashed: the label-only floor; grey dashed: 0.5 (a coin flip)' + (repeated ? '; shaded: 95% interval.' : '.') + '</p>';
    s += figure(linePlot({
      id: ids(), title: `Attack accuracy vs ε (${mode})`, width: 980, height: 400,
      x: { label: 'distortion budget ε' }, y: { label: 'attack accuracy', min: 0.4, max: 1 },
      series, references: refs, legend: true,
    }));
  }
  if (swept) s += '<h3>Defense statistics</h3>' + defenseTable(runs);
  s += swept ? '<h3>All metrics per ε</h3>' : '<h3>All metrics</h3>';
  for (const run of runs) s += `<details><summary>ε = ${escapeXml(eps(run.epsilon))}</summary>${detailTable(run, attacks)}</details>`;
  s += '<h3>ROC curves (log-log, member = positive)</h3>';
  s += '<p class="note">One curve per family, its strongest variant at that ε by direction-free AUC' +
    (repeated ? ' (curves vertically averaged over the runs)' : '') + '. Black dashed: the label-only floor; grey dashed: chance.</p><div class="grid">';
  for (const run of runs) {
    const present = drawn.filter((a) => run.attacks[a]);
    const picked = distinct(strongestPerFamily(present, (a) => verdictValue(run.attacks[a]!, 'auc'), FLOOR_FAMILIES)
      .map(({ attack, family }) => ({ attack, family, color: colors.get(family.id) })));
    const refs: ReferenceLine[] = [{ x: [1e-3, 1], y: [1e-3, 1] }];
    const floor = labelOnlyFloor(run.attacks, 'auc');
    if (floor) refs.push(floorLine(run.attacks[floor.attack]!.roc.fpr, run.attacks[floor.attack]!.roc.tpr, [floor.attack]));
    s += figure(linePlot({
      id: ids(), title: `ROC, ε = ${eps(run.epsilon)} (${mode})`, width: 580, height: 340,
      x: { log: true, min: 1e-3, max: 1, label: 'false positive rate' },
      y: { log: true, min: 1e-3, max: 1, label: 'true positive rate' },
      series: picked.map(({ attack, family, color }) => ({
        name: family.legend === attack ? attack : `${family.id === 'metric' || family.id === 'hindsight' ? family.id : family.legend}: ${attack}`,
        x: run.attacks[attack]!.roc.fpr, y: run.attacks[attack]!.roc.tpr, color,
      })),
      references: refs,
      legend: true,
    }));
  }
  s += '</div>';
  const hists = runs.filter((x) => x.topConfidence);
  if (hists.length) {
    s += `<h3>Top-1 confidence of released vectors${swept ? ' (weighted by the coin)' : ''}</h3><div class="grid">`;
    for (const run of hists) s += histogramFigure(run.topConfidence!, `after, ε = ${eps(run.epsilon)} (${mode})`, ids());
    s += '</div>';
  }
  return s;
}

function distortionSection(r: EvaluationResults, ids: () => string): string {
  const series: Array<{ name: string; x: number[]; y: number[]; markers: boolean }> = [];
  let maxEps = 0;
  const modes = modesOf(r);
  // Phase I's ‖r‖₁ is the same under every mixing rule: drawn once, so each mode's released line keeps a color of its own.
  for (const mode of modes) {
    const runs = runsOf(r, mode).filter((x) => Number.isFinite(x.epsilon));
    if (!runs.length) continue;
    maxEps = Math.max(maxEps, ...runs.map((x) => x.epsilon));
    if (!series.length) series.push({ name: 'phase I ‖r‖₁', x: runs.map((x) => x.epsilon), y: runs.map((x) => x.meanPhase1Distortion), markers: true });
    if (series.length < PALETTE.length) series.push({ name: `released E‖n‖₁ (${mode})`, x: runs.map((x) => x.epsilon), y: runs.map((x) => x.meanReleasedDistortion), markers: true });
  }
  if (!series.length) return '';
  return '<h2>Distortion vs ε</h2><p class="note">The released distortion never exceeds the budget ε (dashed line).</p>' +
    figure(linePlot({
      id: ids(), title: 'Mean L1 distortion vs ε', width: 760, height: 360,
      x: { label: 'distortion budget ε' }, y: { label: 'mean L1 distortion', min: 0 },
      series, references: [{ x: [0, maxEps], y: [0, maxEps] }], legend: true,
    }));
}

/**
 * Renders the whole report as one HTML page: setup and seeds, model accuracies, per mixing mode the
 * attack-accuracy table and plot vs ε, defense statistics, per-ε metrics, log-log ROC curves and
 * top-1 confidence histograms (before/after), and distortion vs ε. No script, no external resources.
 *
 * @example
 * const results: EvaluationResults = {
 *   version: 1, createdAt: '2026-01-01T00:00:00Z', models: { targetTrain: 1, targetTest: 0.62 },
 *   config: { dataset: 'location', epsilons: [0.5], mixingModes: ['paper'], seeds: { target: 1 } },
 *   runs: [{ epsilon: 0.5, mixing: 'paper', labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3,
 *     attacks: { nn: { accuracy: 0.55, balancedAccuracy: 0.55, auc: 0.56, advantage: 0.1, tprAt1Fpr: 0.02, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } } } }],
 * };
 * const html = renderReport(results); // one self-contained page: inline CSS and SVG, no script
 * console.log(html.startsWith('<!DOCTYPE html>')); // true
 */
export function renderReport(results: EvaluationResults, options: ReportOptions = {}): string {
  const title = options.title ?? results.title ?? 'MemGuard evaluation';
  let n = 0;
  const ids = () => `fig${++n}`;
  let body = `<h1>${escapeXml(title)}</h1>`;
  body += `<p class="meta">Dataset <b>${escapeXml(results.config?.dataset ?? '?')}</b> · ${escapeXml(results.createdAt ?? '')}` +
    ((results.repeats ?? 1) > 1 ? ` · mean of ${results.repeats} runs, ± 95% interval` : '') + '</p>';
  body += verdictSection(results.verdict ?? computeVerdict(results));
  for (const note of results.notes ?? []) body += `<p class="note">${escapeXml(note)}</p>`;
  body += setupSection(results);
  if (results.undefendedTopConfidence) {
    body += '<h2>Top-1 confidence before the defense</h2><div class="grid">';
    body += histogramFigure(results.undefendedTopConfidence, 'before (no defense)', ids());
    body += '</div>';
  }
  const colors = familyColors([...new Set(results.runs.flatMap((x) => Object.keys(x.attacks)).map((a) => familyOf(a).id))]);
  for (const mode of modesOf(results)) body += modeSection(results, mode, options.plotAttacks, ids, colors);
  body += distortionSection(results, ids);
  body += nearDuplicateSection(results);
  body += timingSection(results);
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<title>${escapeXml(title)}</title><style>${CSS}</style></head><body>${body}</body></html>\n`;
}
