// The evaluation report: one self-contained HTML page (inline CSS and SVG, no script, no network)
// made from an `EvaluationResults` object (the console table is console.ts).
// Everything taken from the results (titles, attack names, config values, notes) is escaped.
import type { AttackSummary, MembershipHistogram } from '../attacks/summary.js';
import type { EpsilonResult, EvaluationResults, MixingMode, PublishedResult } from '../experiment/results.js';
import { attacksOf, eps, fix3, modesOf, publishedAt, runsOf } from './format.js';
import { escapeXml, formatNumber, histogramOverlay, linePlot } from './svg.js';

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
  /** Attacks drawn in the plots (default: every attack); the tables always list them all. */
  plotAttacks?: string[];
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1b1b;max-width:1180px;margin:24px auto;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}.meta{color:#555;margin:0 0 12px}
table{border-collapse:collapse;margin:8px 0 12px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d5d5d5;padding:3px 8px;text-align:right}th{background:#f4f4f4}
td.name,th.name{text-align:left;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.grid{display:flex;flex-wrap:wrap;gap:10px}.grid figure{margin:0}figcaption{font-size:12px;color:#555;text-align:center}
details{margin:6px 0}summary{cursor:pointer;color:#234}.note{color:#444}.bad{color:#b00020;font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
@media print{details{display:block}}
`;

/** Background tint for an accuracy cell: white at 0.5 (chance), red towards 1. */
function tint(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  const a = Math.max(0, Math.min(1, (v - 0.5) * 2));
  return ` style="background:rgba(225,87,89,${(a * 0.55).toFixed(2)})"`;
}

function table(head: string[], rows: string[][], nameCols = 1): string {
  const th = head.map((h, j) => `<th${j < nameCols ? ' class="name"' : ''}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, j) => (c.startsWith('<td') ? c : `<td${j < nameCols ? ' class="name"' : ''}>${c}</td>`)).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
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
  let s = `<h2>Setup</h2>${table(['setting', 'value'], rows.map((x) => [x[0]!, `<td style="text-align:left">${x[1]}</td>`]))}`;
  const m = r.models ?? {};
  const mrows = Object.entries(m).filter(([, v]) => typeof v === 'number').map(([k, v]) => [escapeXml(k), fix3(v as number)]);
  if (mrows.length) s += `<h3>Model accuracies</h3>${table(['model / data', 'accuracy'], mrows)}`;
  return s;
}

function accuracyTable(runs: EpsilonResult[], attacks: string[], field: 'accuracy' | 'sampledAccuracy', published?: PublishedResult): string {
  const head = ['attack', ...runs.map((x) => `ε = ${escapeXml(eps(x.epsilon))}`)];
  const rows = attacks.map((a) => [escapeXml(a), ...runs.map((x) => {
    const v = x.attacks[a]?.[field];
    return `<td${tint(v)}>${fix3(v)}</td>`;
  })]);
  if (published) {
    const at = attacks.indexOf(published.attack) + 1;
    rows.splice(at, 0, [`${escapeXml(published.attack)} (published)`, ...runs.map((x) => {
      const want = publishedAt(published, x.epsilon), got = x.attacks[published.attack]?.[field];
      const off = want !== undefined && got !== undefined && Math.abs(got - want) > published.tolerance;
      return `<td${off ? ' class="bad"' : ''}>${want === undefined ? '—' : fix3(want)}</td>`;
    })]);
  }
  return table(head, rows);
}

function defenseTable(runs: EpsilonResult[]): string {
  const rows = runs.map((x) => [
    escapeXml(eps(x.epsilon)),
    Number.isNaN(x.labelLoss) ? '—' : x.labelLoss === 0 ? '0' : `<td class="bad">${escapeXml(formatNumber(x.labelLoss))}</td>`,
    fix3(x.meanPhase1Distortion), fix3(x.meanP), fix3(x.meanReleasedDistortion),
    x.seconds === undefined ? '—' : escapeXml(formatNumber(x.seconds)),
  ]);
  return table(['ε', 'label loss', 'mean ‖r‖₁ (phase I)', 'mean p', 'mean released ‖n‖₁', 'seconds'], rows);
}

function detailTable(run: EpsilonResult, attacks: string[]): string {
  const rows = attacks.filter((a) => run.attacks[a]).map((a) => {
    const s = run.attacks[a] as AttackSummary;
    return [escapeXml(a), fix3(s.accuracy), fix3(s.sampledAccuracy), fix3(s.balancedAccuracy), fix3(s.auc), fix3(s.advantage), fix3(s.tprAt1Fpr), fix3(s.tprAt01Fpr)];
  });
  return table(['attack', 'accuracy (E)', 'accuracy (sampled)', 'balanced acc.', 'AUC', 'advantage', 'TPR@1%FPR', 'TPR@0.1%FPR'], rows);
}

function figure(svg: string, caption?: string): string {
  return `<figure>${svg}${caption ? `<figcaption>${escapeXml(caption)}</figcaption>` : ''}</figure>`;
}

function histogramFigure(h: MembershipHistogram, title: string, id: string): string {
  return figure(histogramOverlay({
    id, title, width: 380, height: 250,
    edges: h.members.edges,
    series: [{ name: 'members', counts: h.members.counts, color: '#e15759' }, { name: 'non-members', counts: h.nonMembers.counts, color: '#4e79a7' }],
    x: { label: 'top-1 confidence' },
  }));
}

function modeSection(r: EvaluationResults, mode: MixingMode, plotAttacks: string[] | undefined, ids: () => string): string {
  const runs = runsOf(r, mode);
  const attacks = attacksOf(runs);
  const drawn = attacks.filter((a) => !plotAttacks || plotAttacks.includes(a));
  // Released vectors evaluated as they are (memguard evaluate) have no budget and no coin.
  const swept = runs.some((x) => Number.isFinite(x.epsilon));
  let s = swept ? `<h2>Mixing mode: ${escapeXml(mode)}</h2>` : '<h2>Attacks on the given released vectors</h2>';
  s += swept ? '<h3>Attack accuracy, in expectation over the Phase II coin</h3>' : '<h3>Attack accuracy</h3>';
  s += swept
    ? '<p class="note">Evaluation set: target members vs evaluation non-members; 0.5 is a coin flip. Cells are tinted from white (0.5) to red (1.0).</p>'
    : '<p class="note">Member rows vs non-member rows of the target file; 0.5 is a coin flip. Cells are tinted from white (0.5) to red (1.0).</p>';
  const published = mode === modesOf(r)[0] ? r.published : undefined;
  if (published) {
    s += `<p class="note">Published: ${escapeXml(published.source)}; a cell is marked when the measured value is more than ` +
      `±${escapeXml(formatNumber(published.tolerance))} away.</p>`;
  }
  s += accuracyTable(runs, attacks, 'accuracy', published);
  if (runs.some((x) => Object.values(x.attacks).some((a) => a.sampledAccuracy !== undefined))) {
    s += '<details><summary>Attack accuracy on one sampled release</summary>' + accuracyTable(runs, attacks, 'sampledAccuracy') + '</details>';
  }
  if (swept) s += figure(linePlot({
    id: ids(), title: `Attack accuracy vs ε (${mode})`, width: 820, height: 380,
    x: { label: 'distortion budget ε' }, y: { label: 'attack accuracy', min: 0.4, max: 1 },
    series: [...drawn.map((a) => ({
      name: a, markers: true,
      x: runs.filter((x) => x.attacks[a] && Number.isFinite(x.epsilon)).map((x) => x.epsilon),
      y: runs.filter((x) => x.attacks[a] && Number.isFinite(x.epsilon)).map((x) => x.attacks[a]!.accuracy),
    })), ...(published ? [{
      name: `${published.attack} (published)`, markers: true, dash: '6 4', color: '#222222',
      x: published.points.map((q) => q.epsilon), y: published.points.map((q) => q.accuracy),
    }] : [])],
    references: runs.length ? [{ x: [Math.min(...runs.map((x) => x.epsilon)), Math.max(...runs.filter((x) => Number.isFinite(x.epsilon)).map((x) => x.epsilon), 0)], y: [0.5, 0.5] }] : [],
    legend: true,
  }));
  if (swept) s += '<h3>Defense statistics</h3>' + defenseTable(runs);
  s += swept ? '<h3>All metrics per ε</h3>' : '<h3>All metrics</h3>';
  for (const run of runs) s += `<details><summary>ε = ${escapeXml(eps(run.epsilon))}</summary>${detailTable(run, attacks)}</details>`;
  s += '<h3>ROC curves (log-log, member = positive)</h3><div class="grid">';
  for (const run of runs) {
    s += figure(linePlot({
      id: ids(), title: `ROC, ε = ${eps(run.epsilon)} (${mode})`, width: 560, height: 340,
      x: { log: true, min: 1e-3, max: 1, label: 'false positive rate' },
      y: { log: true, min: 1e-3, max: 1, label: 'true positive rate' },
      series: drawn.filter((a) => run.attacks[a]).map((a) => ({ name: a, x: run.attacks[a]!.roc.fpr, y: run.attacks[a]!.roc.tpr })),
      references: [{ x: [1e-3, 1], y: [1e-3, 1] }],
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
  for (const mode of modesOf(r)) {
    const runs = runsOf(r, mode).filter((x) => Number.isFinite(x.epsilon));
    if (!runs.length) continue;
    maxEps = Math.max(maxEps, ...runs.map((x) => x.epsilon));
    series.push({ name: `released E‖n‖₁ (${mode})`, x: runs.map((x) => x.epsilon), y: runs.map((x) => x.meanReleasedDistortion), markers: true });
    series.push({ name: `phase I ‖r‖₁ (${mode})`, x: runs.map((x) => x.epsilon), y: runs.map((x) => x.meanPhase1Distortion), markers: true });
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
  body += `<p class="meta">Dataset <b>${escapeXml(results.config?.dataset ?? '?')}</b> · ${escapeXml(results.createdAt ?? '')}</p>`;
  for (const note of results.notes ?? []) body += `<p class="note">${escapeXml(note)}</p>`;
  body += setupSection(results);
  if (results.undefendedTopConfidence) {
    body += '<h2>Top-1 confidence before the defense</h2><div class="grid">';
    body += histogramFigure(results.undefendedTopConfidence, 'before (no defense)', ids());
    body += '</div>';
  }
  for (const mode of modesOf(results)) body += modeSection(results, mode, options.plotAttacks, ids);
  body += distortionSection(results, ids);
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<title>${escapeXml(title)}</title><style>${CSS}</style></head><body>${body}</body></html>\n`;
}
