// The plain-text summary printed to the console after an evaluation (the HTML report is html.ts).
import type { EvaluationResults, RunStatistic } from '../experiment/results.js';
import { eps, fix3, fix3pm, publishedAt, attacksOf } from './format.js';
import { modesOf, runsOf } from '../experiment/results.js';
import { computeVerdict, VERDICT_METRIC_LABELS, VERDICT_METRICS, type Verdict } from '../experiment/verdict.js';
import { nearDuplicateConsole } from './nearDuplicates.js';
import { timingConsole } from './timing.js';

function pad(s: string, w: number, left = false): string {
  const n = [...s].length;
  return n >= w ? s : left ? s + ' '.repeat(w - n) : ' '.repeat(w - n) + s;
}

/** Rows of cells as fixed-width text: the first column left-aligned, the others right-aligned. */
function columns(rows: string[][]): string[] {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => [...(r[j] ?? '')].length)) + 2);
  return rows.map((r) => r.map((c, j) => pad(c, w[j]!, j === 0)).join('').trimEnd());
}

/**
 * The verdict as text: per mixing rule, per metric and ε, the strongest attack beside the label-only
 * floor and the undefended value, then the plain-language sentences and the flags (marked `!!`).
 */
export function formatVerdict(verdict: Verdict): string {
  const lines: string[] = [];
  for (const t of verdict.tables) {
    lines.push(`VERDICT, mixing = ${t.mixing}: the strongest attack per metric, beside the label-only floor ` +
      `(the stronger of ${(verdict.floorAttacks ?? ['gap']).join(', ')}; "set by" names it) and the undefended value (eps=0)`);
    const rows: string[][] = [['metric', 'eps', 'distortion', 'strongest', 'attack', 'floor', 'set by', 'undefended', 'removed']];
    for (const metric of VERDICT_METRICS) {
      t.rows.forEach((row, i) => {
        const c = row.metrics[metric];
        rows.push([
          i === 0 ? VERDICT_METRIC_LABELS[metric] : '', eps(row.epsilon), fix3pm(row.distortion.value, row.distortion.halfWidth),
          c ? fix3pm(c.value, c.halfWidth) : '—', c ? c.attack + (c.inverted ? ' (flipped)' : '') : '',
          fix3pm(c?.floor?.value, c?.floor?.halfWidth), c?.floor?.attack ?? '', fix3pm(c?.undefended?.value, c?.undefended?.halfWidth),
          c?.removed === undefined || row.epsilon === 0 ? '' : `${Math.round(c.removed * 100)}%`,
        ]);
      });
    }
    lines.push(...columns(rows));
    for (const s of t.sentences) lines.push(s);
    for (const f of t.flags) lines.push(`!! ${f.text}`);
    lines.push('');
  }
  if (verdict.excluded.length) lines.push(`(upper bounds not counted as attacks: ${verdict.excluded.join(', ')}; floor: the stronger of ${(verdict.floorAttacks ?? ['gap']).join(', ')})`);
  return lines.join('\n');
}

/**
 * The console summary: the verdict first, then per mixing mode attack accuracy (in expectation) per
 * ε and the defense statistics rows. Plain text, fixed-width columns; ± is the 95% interval half-width
 * over repeated runs.
 *
 * @example
 * const results: EvaluationResults = {
 *   version: 1, createdAt: '2026-01-01T00:00:00Z', models: { targetTrain: 1, targetTest: 0.62 },
 *   config: { dataset: 'location', epsilons: [0.5], mixingModes: ['paper'], seeds: { target: 1 } },
 *   runs: [{ epsilon: 0.5, mixing: 'paper', labelLoss: 0, meanPhase1Distortion: 0.33, meanP: 0.9, meanReleasedDistortion: 0.3,
 *     attacks: { nn: { accuracy: 0.55, balancedAccuracy: 0.55, auc: 0.56, advantage: 0.1, tprAt1Fpr: 0.02, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } } } }],
 * };
 * console.log(formatConsoleTable(results));
 */
export function formatConsoleTable(results: EvaluationResults): string {
  const lines: string[] = [];
  const m = results.models ?? {};
  const acc = Object.entries(m).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${fix3pm(v as number, m.halfWidth?.[k])}`);
  lines.push(`${results.title ?? 'MemGuard evaluation'} (${results.config?.dataset ?? '?'})` +
    (results.repeats && results.repeats > 1 ? `: mean of ${results.repeats} runs, ± 95% interval` : ''));
  if (acc.length) lines.push(`model accuracy: ${acc.join(', ')}`);
  lines.push('');
  lines.push(formatVerdict(results.verdict ?? computeVerdict(results)));
  for (const mode of modesOf(results)) {
    const runs = runsOf(results, mode);
    const attacks = attacksOf(runs);
    const stats: Array<[string, RunStatistic]> = [
      ['label loss', 'labelLoss'],
      ['mean ||r||_1 (phase I)', 'meanPhase1Distortion'],
      ['mean p', 'meanP'],
      ['mean released ||n||_1', 'meanReleasedDistortion'],
    ];
    const w0 = Math.max(24, ...attacks.map((a) => [...a].length), ...stats.map(([s]) => s.length)) + 1;
    const cols = runs.map((x) => `eps=${eps(x.epsilon)}`);
    const repeated = runs.some((x) => x.halfWidth);
    const wc = Math.max(repeated ? 15 : 7, ...cols.map((c) => [...c].length)) + 1;
    lines.push('');
    lines.push(`mixing = ${mode}: attack accuracy, in expectation over the coin`);
    lines.push(pad('attack', w0, true) + cols.map((c) => pad(c, wc)).join(''));
    for (const a of attacks) {
      lines.push(pad(a, w0, true) + runs.map((x) => pad(fix3pm(x.attacks[a]?.accuracy, x.attacks[a]?.halfWidth?.accuracy), wc)).join(''));
      const p = results.published;
      if (p && p.attack === a && mode === modesOf(results)[0]) {
        lines.push(pad(`${a} (published)`, w0, true) + runs.map((x) => pad(fix3(publishedAt(p, x.epsilon)), wc)).join(''));
      }
    }
    lines.push('-'.repeat(w0 + wc * runs.length));
    for (const [name, key] of stats) lines.push(pad(name, w0, true) + runs.map((x) => pad(fix3pm(x[key], x.halfWidth?.[key]), wc)).join(''));
  }
  const nearDuplicates = nearDuplicateConsole(results);
  if (nearDuplicates) lines.push(nearDuplicates);
  const timing = timingConsole(results);
  if (timing) lines.push(timing);
  return lines.join('\n') + '\n';
}
