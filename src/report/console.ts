// The plain-text summary printed to the console after an evaluation (the HTML report is html.ts).
import type { EpsilonResult, EvaluationResults } from '../experiment/results.js';
import { eps, fix3, modesOf, publishedAt, runsOf, attacksOf } from './format.js';

function pad(s: string, w: number, left = false): string {
  const n = [...s].length;
  return n >= w ? s : left ? s + ' '.repeat(w - n) : ' '.repeat(w - n) + s;
}

/**
 * The console summary: per mixing mode, attack accuracy (in expectation) per ε, then the defense
 * statistics rows. Plain text, fixed-width columns.
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
  const acc = Object.entries(m).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${fix3(v as number)}`);
  lines.push(`${results.title ?? 'MemGuard evaluation'} (${results.config?.dataset ?? '?'})`);
  if (acc.length) lines.push(`model accuracy: ${acc.join(', ')}`);
  for (const mode of modesOf(results)) {
    const runs = runsOf(results, mode);
    const attacks = attacksOf(runs);
    const stats: Array<[string, (x: EpsilonResult) => number]> = [
      ['label loss', (x) => x.labelLoss],
      ['mean ||r||_1 (phase I)', (x) => x.meanPhase1Distortion],
      ['mean p', (x) => x.meanP],
      ['mean released ||n||_1', (x) => x.meanReleasedDistortion],
    ];
    const w0 = Math.max(24, ...attacks.map((a) => [...a].length), ...stats.map(([s]) => s.length)) + 1;
    const cols = runs.map((x) => `eps=${eps(x.epsilon)}`);
    const wc = Math.max(7, ...cols.map((c) => [...c].length)) + 1;
    lines.push('');
    lines.push(`mixing = ${mode}: attack accuracy, in expectation over the coin`);
    lines.push(pad('attack', w0, true) + cols.map((c) => pad(c, wc)).join(''));
    for (const a of attacks) {
      lines.push(pad(a, w0, true) + runs.map((x) => pad(fix3(x.attacks[a]?.accuracy), wc)).join(''));
      const p = results.published;
      if (p && p.attack === a && mode === modesOf(results)[0]) {
        lines.push(pad(`${a} (published)`, w0, true) + runs.map((x) => pad(fix3(publishedAt(p, x.epsilon)), wc)).join(''));
      }
    }
    lines.push('-'.repeat(w0 + wc * runs.length));
    for (const [name, get] of stats) lines.push(pad(name, w0, true) + runs.map((x) => pad(fix3(get(x)), wc)).join(''));
  }
  return lines.join('\n') + '\n';
}
