import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseResults, serializeResults } from '../../src/experiment/results.js';
import { renderReport } from '../../src/report/html.js';
import { makeResults } from '../report/sampleResults.js';

const t = suite('experiment/results');

t('results survive JSON, Infinity included', () => {
  const r = makeResults(['nn']);
  r.runs[2]!.epsilon = Infinity;
  const back = parseResults(serializeResults(r));
  assert.is(back.runs[2]!.epsilon, Infinity);
  assert.equal(back.runs[0]!.attacks['nn'], r.runs[0]!.attacks['nn']);
  assert.throws(() => parseResults('{"version": 2}'), /not a version-1/);
  // ε = ∞ renders (in tables) without breaking the plots.
  const html = renderReport(back);
  assert.ok(html.includes('ε = ∞'));
  assert.not.ok(/NaN|Infinity/.test(html.replace(/<td[^>]*>[^<]*<\/td>/g, '')));
});

t.run();
