// The deployment-threats section of the report (design §7): the near-duplicate query attack under each
// way of keying the coin, as one self-contained HTML section and a console block. Kept apart from
// html.ts and console.ts so the rest of the report can change layout freely.
import type { EvaluationResults } from '../experiment/results.js';
import type { NearDuplicateResult } from '../experiment/nearDuplicates.js';
import { eps, fix3 } from './format.js';
import { escapeXml } from './svg.js';
import { htmlTable } from './table.js';

const COIN_TEXT: Record<string, string> = {
  exact: 'exact content (a keyed hash of the query bytes)',
  coarse: 'coarse content (label + top score on a keyed grid)',
  'query-id': 'caller-given query id (the record id)',
};

/** Rows of the table: coin x epsilon x aggregate, with the single-query figure and each m. */
function rows(nd: NearDuplicateResult): Array<{ name: string; shared: number; cells: string[] }> {
  const ms = nd.config.copies;
  const out: Array<{ name: string; shared: number; cells: string[] }> = [];
  for (const c of nd.coins) {
    for (const epsilon of nd.config.epsilons) {
      const single = c.single.find((s) => s.epsilon === epsilon);
      for (const aggregate of ['max', 'median'] as const) {
        const cells = [`${fix3(single?.accuracy)} / ${fix3(single?.auc)}`];
        for (const m of ms) {
          const s = c.scores.find((x) => x.epsilon === epsilon && x.m === m && x.aggregate === aggregate);
          cells.push(`${fix3(s?.accuracy)} / ${fix3(s?.auc)}`);
        }
        out.push({ name: `${c.coin}, ε=${eps(epsilon)}, ${aggregate}`, shared: c.sharedCoin, cells });
      }
    }
  }
  return out;
}

function notes(nd: NearDuplicateResult): string[] {
  return [
    `Each of ${nd.config.records} members and ${nd.config.records} non-members is queried as m copies, each with one of the 446 binary features flipped; ` +
      `the NN attack scores every defended answer and the attacker keeps the most member-looking one (max) or the median. Cells: accuracy / AUC.`,
    `The copies are near: ${(100 * nd.labelChanged).toFixed(1)} % change the predicted label, mean L1 shift of the confidence vector ${nd.meanL1Shift.toFixed(3)}.`,
    `Shared coin = fraction of copies drawing the same coin as the record's own query. Coarse grid step ${nd.config.resolution}.`,
    `Phase I for the ${2 * nd.config.records * (1 + Math.max(...nd.config.copies))} queries: ${nd.phase1Seconds.toFixed(1)} s.`,
  ];
}

/** The HTML section, or '' when the results have no near-duplicate run. */
export function nearDuplicateSection(r: EvaluationResults): string {
  const nd = r.nearDuplicates;
  if (!nd) return '';
  const head = ['coin, ε, aggregate', 'shared coin', 'single query', ...nd.config.copies.map((m) => `m = ${m}`)];
  const coins = nd.coins.map((c) => `<li><code>${escapeXml(c.coin)}</code>: ${escapeXml(COIN_TEXT[c.coin] ?? c.coin)}</li>`).join('');
  return '<h2>Deployment threats: near-duplicate queries</h2>' +
    notes(nd).map((n) => `<p class="note">${escapeXml(n)}</p>`).join('') +
    `<ul>${coins}</ul>` +
    htmlTable(head.map(escapeXml), rows(nd).map((x) => [escapeXml(x.name), x.shared.toFixed(3), ...x.cells]));
}

/** The console block, or '' when the results have no near-duplicate run. */
export function nearDuplicateConsole(r: EvaluationResults): string {
  const nd = r.nearDuplicates;
  if (!nd) return '';
  const all = rows(nd);
  const w0 = Math.max(...all.map((x) => [...x.name].length)) + 2;
  const cols = ['shared', 'single', ...nd.config.copies.map((m) => `m=${m}`)];
  const pad = (s: string, w: number) => ' '.repeat(Math.max(0, w - [...s].length)) + s;
  const lines = ['', 'near-duplicate queries: NN attack accuracy / AUC, attacker keeps max or median over m copies'];
  lines.push(' '.repeat(w0) + cols.map((c, j) => pad(c, j === 0 ? 8 : 15)).join(''));
  for (const x of all) lines.push(x.name + ' '.repeat(w0 - [...x.name].length) + pad(x.shared.toFixed(3), 8) + x.cells.map((c) => pad(c, 15)).join(''));
  return lines.join('\n');
}
