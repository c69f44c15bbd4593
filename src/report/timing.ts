// The timing-channel section of the report (design §7): the AUC of the Phase I work and of the
// single-query wall time as membership scores, for each search. Its own HTML section and console
// block, like the near-duplicate one.
import type { EvaluationResults } from '../experiment/results.js';
import type { TimingResult, TimingSearch } from '../experiment/timing.js';
import { fix3 } from './format.js';
import { escapeXml } from './svg.js';
import { htmlTable } from './table.js';

const SEARCH_TEXT: Record<TimingSearch, string> = {
  default: 'default search (lossless early stop)',
  literal: "paper-literal search (the authors' loop)",
  'fixed-work': 'fixed work per row (search: { fixedWork: true })',
};

const SEARCH_NAME: Record<TimingSearch, string> = { default: 'The default search', literal: 'The paper-literal search', 'fixed-work': 'Fixed work' };

/** design §7: the mitigation's latency AUC is to be 0.50 +- this. */
const NO_SIGNAL = 0.02;

const HEAD = ['search', 'AUC of steps', 'AUC of passes of g', 'AUC of wall time', 'mean ms, members / non-members'];

function rows(t: TimingResult): string[][] {
  return t.rows.map((r) => [
    SEARCH_TEXT[r.search], fix3(r.stepsAuc), fix3(r.ticksAuc),
    Number.isNaN(r.wallTimeAuc) ? 'not timed' : fix3(r.wallTimeAuc),
    Number.isNaN(r.wallTimeAuc) ? '' : `${r.meanMs.members.toFixed(2)} / ${r.meanMs.nonMembers.toFixed(2)}`,
  ]);
}

function note(t: TimingResult): string {
  return `Each of ${t.queries} evaluation queries answered alone (median of ${t.repeats} call${t.repeats === 1 ? '' : 's'}), in shuffled order; ` +
    'AUC with members as positives, 0.5 = no signal. Steps and passes of g are what a server\'s latency follows: never return them to callers. ' +
    'Fixed work pads every row to the same passes of g; a server adds a fixed response deadline (memguard serve --fixed-latency-ms).';
}

/**
 * One plain sentence per search: whether its time (its wall time where measured, else its work)
 * tells members from non-members. An AUC below 0.5 is as much a signal as one above: an attacker
 * flips it, so the distance from 0.5 is what counts.
 */
function findings(t: TimingResult): string[] {
  return t.rows.map((r) => {
    const timed = !Number.isNaN(r.wallTimeAuc);
    const what = timed ? 'wall time' : 'work (steps)';
    const auc = timed ? r.wallTimeAuc : r.stepsAuc;
    // Judged on the printed value, so a row never reads "0.480" and "outside 0.50 +- 0.02" at once.
    const off = Math.abs(Number(fix3(auc)) - 0.5);
    if (off <= NO_SIGNAL + 1e-9) return `${SEARCH_NAME[r.search]}: AUC of ${what} ${fix3(auc)}, within 0.50 ± ${NO_SIGNAL}: no membership signal measured.`;
    const remedy = r.search === 'fixed-work' ? 'add a fixed response deadline' : 'wherever callers can time the answers, hide it with fixed work or a fixed response deadline';
    return `${SEARCH_NAME[r.search]}: its ${what} separates members from non-members (AUC ${fix3(auc)}, ${fix3(0.5 + off)} direction-free); ${remedy}.`;
  });
}

/** The HTML section, or '' when the results have no timing measurement. */
export function timingSection(r: EvaluationResults): string {
  const t = r.timing;
  if (!t) return '';
  return '<h2>Deployment threats: timing</h2>' + `<p class="note">${escapeXml(note(t))}</p>` +
    htmlTable(HEAD.map(escapeXml), rows(t).map((cells) => cells.map(escapeXml))) +
    `<ul>${findings(t).map((f) => `<li>${escapeXml(f)}</li>`).join('')}</ul>`;
}

/** The console block, or '' when the results have no timing measurement. */
export function timingConsole(r: EvaluationResults): string {
  const t = r.timing;
  if (!t) return '';
  const all = [HEAD, ...rows(t)];
  const widths = HEAD.map((_, j) => Math.max(...all.map((cells) => [...cells[j]!].length)) + 2);
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('').trimEnd();
  return ['', 'timing channel: membership AUC of the work and of the single-query time', ...all.map(line), ...findings(t)].join('\n');
}
