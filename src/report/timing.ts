// The timing-channel section of the report (SPEC §7): the AUC of the Phase I work and of the
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

/** The HTML section, or '' when the results have no timing measurement. */
export function timingSection(r: EvaluationResults): string {
  const t = r.timing;
  if (!t) return '';
  return '<h2>Deployment threats: timing</h2>' + `<p class="note">${escapeXml(note(t))}</p>` +
    htmlTable(HEAD.map(escapeXml), rows(t).map((cells) => cells.map(escapeXml)));
}

/** The console block, or '' when the results have no timing measurement. */
export function timingConsole(r: EvaluationResults): string {
  const t = r.timing;
  if (!t) return '';
  const all = [HEAD, ...rows(t)];
  const widths = HEAD.map((_, j) => Math.max(...all.map((cells) => [...cells[j]!].length)) + 2);
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('').trimEnd();
  return ['', 'timing channel (SPEC §7): membership AUC of the work and of the single-query time', ...all.map(line)].join('\n');
}
