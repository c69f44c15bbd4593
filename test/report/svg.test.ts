import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { barChart, escapeXml, histogramOverlay, linePlot, logTicks, niceTicks, PALETTE } from '../../src/report/svg.js';
import { assertBalanced, HOSTILE } from './markup.js';

const t = suite('report/svg');

t('svg helpers: ticks, escaping, log axes', () => {
  assert.equal(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(niceTicks(0, 7, 5), [0, 2, 4, 6]);
  assert.equal(logTicks(1e-3, 1), [0.001, 0.01, 0.1, 1]);
  assert.is(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const svg = linePlot({
    id: 'roc', title: 'ROC', x: { log: true, min: 1e-3, max: 1, label: 'FPR' }, y: { log: true, min: 1e-3, max: 1, label: 'TPR' },
    series: [{ name: HOSTILE, x: [0, 0.01, 0.1, 1], y: [0.05, 0.2, 0.5, 1] }, { name: 'b', x: [0.001, 1], y: [0.001, 1] }],
  });
  assert.ok(svg.startsWith('<svg ') && svg.endsWith('</svg>'));
  for (const label of ['>0.001<', '>0.01<', '>0.1<', '>1<']) assert.ok(svg.includes(label), `tick ${label}`);
  assert.not.ok(svg.includes('<script'));
  assert.ok(svg.includes('&lt;script&gt;'));
  assert.not.ok(/NaN|Infinity/.test(svg), 'no non-finite coordinates');
  assertBalanced(svg, 'linePlot');
  const h = histogramOverlay({ id: 'h', edges: [0, 0.5, 1], series: [{ name: 'a', counts: [1, 3] }, { name: 'b', counts: [2, 2] }] });
  assert.is((h.match(/<path /g) ?? []).length, 2);
  assertBalanced(h, 'histogramOverlay');
  assert.throws(() => histogramOverlay({ edges: [0, 1], series: [{ name: 'a', counts: [1, 2] }] }), /2 counts for 1 bins/);
});

t('linePlot: colors never repeat on one chart; bands and named references', () => {
  const line = (name: string, color?: string) => ({ name, x: [0, 1], y: [0.5, 0.6], color });
  assert.throws(() => linePlot({ x: {}, y: {}, series: [line('a', '#000000'), line('b', '#000000')] }), /color #000000 is used twice/);
  assert.throws(() => linePlot({ x: {}, y: {}, series: [line('a'), line('b', PALETTE[0])] }), /color #0072B2 is used twice/);
  assert.throws(() => linePlot({ x: {}, y: {}, series: [line('a')], references: [{ name: 'floor', x: [0, 1], y: [0, 1], color: PALETTE[0], dash: '' }] }), /used twice/);
  // The same color with another dash pattern is a different line.
  assert.ok(linePlot({ x: {}, y: {}, series: [line('a'), { ...line('b', PALETTE[0]), dash: '6 3' }] }).startsWith('<svg'));
  assert.throws(() => linePlot({ x: {}, y: {}, series: PALETTE.concat('x').map((_, i) => line(`s${i}`)) }), /only 7 distinguishable colors/);
  const svg = linePlot({
    x: {}, y: {}, series: [{ ...line('a'), band: { lo: [0.4, 0.5], hi: [0.6, 0.7] } }],
    references: [{ name: 'the floor', x: [0, 1], y: [0.55, 0.55], color: '#000000', dash: '7 4' }],
  });
  assert.ok(svg.includes('fill-opacity="0.15"'), 'band drawn');
  assert.ok(svg.includes('>the floor</text>'), 'named reference in the legend');
  assertBalanced(svg, 'band plot');
});

t('one bar per category and series, bar heights on the y scale, the highlight band and its label', () => {
  const svg = barChart({
    id: 'b', width: 400, height: 200, categories: ['a', 'b', 'c'],
    series: [{ name: 's', values: [0.2, 0.8, 0], color: '#111111' }, { name: 't', values: [0.4, NaN, 1], color: '#222222' }],
    highlight: [1], highlightLabel: 'label', y: { min: 0, max: 1 },
  });
  const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="(#111111|#222222)">/g)];
  assert.is(bars.length, 5, 'the NaN value draws no bar');
  const heights = bars.map((m) => Number(m[4]));
  // frame: top 12, bottom 46 -> plot height 142; a value v is 142 v tall.
  assert.equal(heights.map((h) => Math.round(h)), [28, 114, 0, 57, 142]);
  const first = bars.filter((m) => m[5] === '#111111').map((m) => Number(m[1]));
  assert.ok(first[0]! < first[1]! && first[1]! < first[2]!, 'categories left to right');
  assert.match(svg, /fill="#f5e6a8"/);
  assert.match(svg, />label<\/text>/);
  assert.match(svg, /<title>t, a: 0.4<\/title>/);
});

t('category names are escaped; a series of the wrong length is an error', () => {
  const svg = barChart({ categories: ['<b>'], series: [{ name: 'x', values: [1] }] });
  assert.not.match(svg, /<b>/);
  assert.match(svg, /&lt;b&gt;/);
  assert.throws(() => barChart({ categories: ['a', 'b'], series: [{ name: 'x', values: [1] }] }), /series "x" has 1 values for 2 categories/);
});

t.run();
