import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderReport } from '../../src/report/html.js';
import { assertBalanced, HOSTILE } from './markup.js';
import { makeResults } from './sampleResults.js';
import { combineRepeats } from '../../src/experiment/repeats.js';

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

const ALL_ATTACKS = ['nn', 'nn/defense-aware', 'gap', ...['correctness', 'confidence', 'entropy', 'modified-entropy']
  .flatMap((m) => ['per-class', 'global', 'hindsight'].map((v) => `${m}/${v}`)), 'lira', 'lira/online', 'label-only/boundary', 'foo'];

t('plots: at most 6 curves per chart, colors never repeat on a chart, the floor drawn, legends name what the attacker knows', () => {
  const html = renderReport(makeResults(ALL_ATTACKS));
  const svgs = html.match(/<svg [\s\S]*?<\/svg>/g)!;
  let lineCharts = 0;
  for (const svg of svgs) {
    const series = [...svg.matchAll(/stroke="(#[0-9A-Fa-f]{6})" stroke-width="1\.8"/g)].map((m) => m[1]!.toLowerCase());
    const named = [...svg.matchAll(/stroke="(#[0-9A-Fa-f]{6})" stroke-dasharray="[^"]*" stroke-width="1\.5"/g)].map((m) => m[1]!.toLowerCase());
    if (!series.length) continue;
    lineCharts++;
    assert.ok(series.length <= 7, `${series.length} curves (6 attack families + the published line at most)`);
    const colors = [...series, ...named];
    assert.is(new Set(colors).size, colors.length, `a color repeats: ${colors.join(' ')}`);
  }
  assert.ok(lineCharts >= 2 * 4, `${lineCharts} line charts`);
  for (const legend of ['NN attack (shadow model, naive)', 'NN attack (defense-aware)', 'metric attacks (shadow-calibrated thresholds)',
    'best threshold in hindsight (upper bound)', 'label-only floor (gap)']) {
    assert.ok(html.includes(legend), `legend ${legend}`);
  }
  // Every attack is still in the accuracy table.
  for (const a of ALL_ATTACKS) assert.ok(html.includes(`<td class="name">${a}</td>`), `table row ${a}`);
});

t('repeated runs: mean ± half-width in the tables, an interval band in the plots', () => {
  const a = makeResults(['nn', 'gap']), b = makeResults(['nn', 'gap']);
  b.runs.forEach((x) => { x.attacks['nn']!.accuracy += 0.02; });
  const html = renderReport(combineRepeats([a, b]));
  assert.match(html, /mean of 2 runs, ± 95% interval/);
  assert.match(html, /\d\.\d{3} ± 0\.127/, 'half-width 12.706 x 0.01');
  assert.ok(html.includes('fill-opacity="0.15"'), 'band');
});

t.run();
