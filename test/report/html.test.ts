import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderReport } from '../../src/report/html.js';
import { assertBalanced, HOSTILE } from './markup.js';
import { makeResults } from './sampleResults.js';

const t = suite('report/html');

t('renderReport: a self-contained page with one <svg> per plot', () => {
  const attacks = ['nn', 'gap', 'confidence/per-class'];
  const html = renderReport(makeResults(attacks));
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.trimEnd().endsWith('</html>'));
  assertBalanced(html, 'report');
  // before histogram + per mode (accuracy plot + 3 ROC + 3 after-histograms) + distortion plot
  const svgs = (html.match(/<svg /g) ?? []).length;
  assert.is(svgs, 1 + 2 * (1 + 3 + 3) + 1);
  assert.is((html.match(/<\/svg>/g) ?? []).length, svgs);
  // Self-contained: no script, no external resources.
  assert.not.ok(/<script|<link|\ssrc=|@import|url\(http/i.test(html));
  for (const text of ['Location run', 'Mixing mode: paper', 'Mixing mode: exact', 'ε = 0.5', 'TPR@1%FPR', 'seed: coin', 'Distortion vs ε']) {
    assert.ok(html.includes(text), `missing ${text}`);
  }
  // Clip-path ids are unique within the page.
  const ids = [...html.matchAll(/clipPath id="([^"]+)"/g)].map((m) => m[1]);
  assert.is(new Set(ids).size, ids.length);
  // The table shows the accuracy values with 3 decimals.
  const r = makeResults(attacks);
  const v = r.runs[0]!.attacks['gap']!.accuracy.toFixed(3);
  assert.ok(html.includes(`>${v}</td>`), `accuracy ${v} in the table`);
});

t('renderReport escapes hostile strings everywhere', () => {
  const r = makeResults(['nn', HOSTILE]);
  r.title = HOSTILE;
  r.notes = [HOSTILE];
  r.config.dataset = HOSTILE;
  r.config[HOSTILE] = HOSTILE;
  const html = renderReport(r);
  assert.not.ok(html.includes('<script'), 'no script tag');
  assert.not.ok(html.includes('<img'), 'no img tag');
  assert.ok(html.includes('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;'));
  assertBalanced(html, 'hostile report');
});

t.run();
