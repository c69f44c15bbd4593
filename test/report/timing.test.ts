// The report's timing section: one row per search with the AUCs of the results, "not timed" where
// wall time was not measured, in the HTML page and on the console; absent without a measurement.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatConsoleTable } from '../../src/report/console.js';
import { renderReport } from '../../src/report/html.js';
import type { TimingResult } from '../../src/experiment/timing.js';
import { assertBalanced } from './markup.js';
import { makeResults } from './sampleResults.js';

const t = suite('report: timing channel');

const timing: TimingResult = {
  queries: 2000, repeats: 1,
  rows: [
    { search: 'default', stepsAuc: 0.494, ticksAuc: 0.4941, wallTimeAuc: 0.498, meanMs: { members: 1.71, nonMembers: 1.69 } },
    { search: 'literal', stepsAuc: 0.577, ticksAuc: 0.578, wallTimeAuc: NaN, meanMs: { members: NaN, nonMembers: NaN } },
    { search: 'fixed-work', stepsAuc: 0.494, ticksAuc: 0.5, wallTimeAuc: 0.488, meanMs: { members: 7.25, nonMembers: 7.3 } },
  ],
};

t('HTML: a row per search with its AUCs; the literal search is not timed', () => {
  const html = renderReport({ ...makeResults(['nn']), timing });
  assertBalanced(html, 'report');
  assert.match(html, /<h2>Deployment threats: timing<\/h2>/);
  assert.match(html, /default search \(lossless early stop\)<\/td><td>0\.494<\/td><td>0\.494<\/td><td>0\.498<\/td><td>1\.71 \/ 1\.69<\/td>/);
  assert.match(html, /paper-literal search[^<]*<\/td><td>0\.577<\/td><td>0\.578<\/td><td>not timed<\/td><td><\/td>/);
  assert.match(html, /fixed work per row[^<]*<\/td><td>0\.494<\/td><td>0\.500<\/td><td>0\.488<\/td><td>7\.25 \/ 7\.30<\/td>/);
  assert.match(html, /2000 evaluation queries/);
  assert.not.match(renderReport(makeResults(['nn'])), /Deployment threats: timing/);
});

t('a plain sentence per search: signal or none, direction-free (an AUC below 0.5 counts)', () => {
  const text = formatConsoleTable({ ...makeResults(['nn']), timing });
  assert.match(text, /The default search: AUC of wall time 0\.498, within 0\.50 ± 0\.02: no membership signal measured\./);
  assert.match(text, /The paper-literal search: its work \(steps\) separates members from non-members \(AUC 0\.577, 0\.577 direction-free\)/);
  assert.match(text, /Fixed work: AUC of wall time 0\.488, within/);
  // 0.48 is printed 0.480: on the edge of 0.50 +- 0.02, inside it.
  const edge: TimingResult = { ...timing, rows: [{ ...timing.rows[2]!, wallTimeAuc: 0.4799999 }, { ...timing.rows[2]!, wallTimeAuc: 0.475 }] };
  const edgeText = formatConsoleTable({ ...makeResults(['nn']), timing: edge });
  assert.match(edgeText, /Fixed work: AUC of wall time 0\.480, within/);
  assert.match(edgeText, /Fixed work: its wall time separates members from non-members \(AUC 0\.475, 0\.525 direction-free\); add a fixed response deadline\./);
  const leaky: TimingResult = { ...timing, rows: [{ ...timing.rows[0]!, stepsAuc: 0.345, wallTimeAuc: 0.346 }] };
  const html = renderReport({ ...makeResults(['nn']), timing: leaky });
  assertBalanced(html, 'report');
  assert.match(html, /<li>The default search: its wall time separates members from non-members \(AUC 0\.346, 0\.654 direction-free\); wherever callers/);
});

t('console: the same rows', () => {
  const text = formatConsoleTable({ ...makeResults(['nn']), timing });
  assert.match(text, /timing channel: membership AUC/);
  assert.match(text, /paper-literal search \(the authors' loop\)\s+0\.577\s+0\.578\s+not timed/);
  assert.not.match(formatConsoleTable(makeResults(['nn'])), /timing channel/);
});

t.run();
