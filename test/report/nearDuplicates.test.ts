// The report's near-duplicate section: one row per coin x epsilon x aggregate with the figures of
// the results, in the HTML page and on the console; absent when the results have no such run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatConsoleTable } from '../../src/report/console.js';
import { renderReport } from '../../src/report/html.js';
import type { NearDuplicateResult } from '../../src/experiment/nearDuplicates.js';
import { assertBalanced } from './markup.js';
import { makeResults } from './sampleResults.js';

const t = suite('report: near-duplicate queries');

const nd: NearDuplicateResult = {
  config: { records: 100, copies: [1, 10, 100], epsilons: [0.5, 1], resolution: 0.05 },
  labelChanged: 0.07, meanL1Shift: 0.051, phase1Seconds: 12.5,
  coins: (['exact', 'coarse', 'query-id'] as const).map((coin, c) => ({
    coin, sharedCoin: [0, 0.81, 1][c]!,
    single: [0.5, 1].map((epsilon) => ({ epsilon, accuracy: 0.55, auc: 0.56 })),
    scores: [0.5, 1].flatMap((epsilon) => [1, 10, 100].flatMap((m) => (['max', 'median'] as const).map((aggregate) => ({
      epsilon, m, aggregate, accuracy: 0.5 + 0.001 * m + 0.1 * c, auc: 0.6 + 0.002 * m + (aggregate === 'max' ? 0.01 : 0),
    })))),
  })),
};

t('HTML: a table row per coin, epsilon and aggregate, with accuracy / AUC per m', () => {
  const html = renderReport({ ...makeResults(['nn']), nearDuplicates: nd });
  assertBalanced(html, 'report');
  assert.match(html, /<h2>Deployment threats: near-duplicate queries<\/h2>/);
  const rows = html.match(/<tr><td class="name">(exact|coarse|query-id), ε=[^<]+<\/td>/g) ?? [];
  assert.is(rows.length, 3 * 2 * 2);
  // coarse (c = 1), epsilon 1, max, m = 100: accuracy 0.5 + 0.1 + 0.1 = 0.700, AUC 0.6 + 0.2 + 0.01 = 0.810.
  assert.match(html, /coarse, ε=1, max<\/td><td>0\.810<\/td><td>0\.550 \/ 0\.560<\/td><td>0\.601 \/ 0\.612<\/td><td>0\.610 \/ 0\.630<\/td><td>0\.700 \/ 0\.810<\/td>/);
  assert.match(html, /7\.0 % change the predicted label/);
  assert.not.match(renderReport(makeResults(['nn'])), /near-duplicate/);
});

t('console: the same rows', () => {
  const text = formatConsoleTable({ ...makeResults(['nn']), nearDuplicates: nd });
  assert.match(text, /near-duplicate queries/);
  assert.match(text, /query-id, ε=0\.5, median\s+1\.000\s+0\.550 \/ 0\.560/);
  assert.not.match(formatConsoleTable(makeResults(['nn'])), /near-duplicate/);
});

t.run();
