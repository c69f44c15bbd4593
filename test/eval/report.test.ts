import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { histogram, summarize, toAttackSummary } from '../../src/attacks/metrics.js';
import { formatConsoleTable, renderReport } from '../../src/eval/report.js';
import { escapeXml, histogramOverlay, linePlot, logTicks, niceTicks } from '../../src/eval/svg.js';
import { parseResults, serializeResults, type EpsilonResult, type EvaluationResults, type MixingMode } from '../../src/experiment/results.js';
import { randomArray } from '../helpers.js';

const t = suite('eval/report');

const HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>';

/** Checks that every tag opened in `markup` is closed in order (void elements aside). */
function assertBalanced(markup: string, what: string): void {
  const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);
  const stack: string[] = [];
  const body = markup.replace(/<!DOCTYPE[^>]*>/i, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    const tag = name!.toLowerCase();
    if (self || (!close && VOID.has(tag))) continue;
    if (!close) stack.push(tag);
    else {
      const top = stack.pop();
      assert.is(top, tag, `${what}: </${tag}> closes <${top}>`);
    }
  }
  assert.equal(stack, [], `${what}: unclosed tags`);
}

function summaryFor(separation: number, seed: number, sampled?: number) {
  const n = 400;
  const m = Array.from({ length: n }, (_, i) => (i < n / 2 ? 1 : 0));
  const s = Array.from(randomArray(n, seed, 0, 1), (v, i) => v + (m[i] ? separation : 0));
  return toAttackSummary(summarize(s, m, { threshold: 0.5 + separation / 2 }), { sampledAccuracy: sampled, maxRocPoints: 64 });
}

function makeResults(attackNames: string[]): EvaluationResults {
  const runs: EpsilonResult[] = [];
  const epsilons = [0, 0.5, 1];
  const hist = (shift: number) => ({
    members: histogram(Array.from(randomArray(300, 3, 0.5 + shift, 1)), { bins: 20 }),
    nonMembers: histogram(Array.from(randomArray(300, 4, 0.2, 1)), { bins: 20 }),
  });
  for (const mixing of ['paper', 'exact'] as MixingMode[]) {
    epsilons.forEach((epsilon, e) => {
      const attacks: EpsilonResult['attacks'] = {};
      attackNames.forEach((a, j) => { attacks[a] = summaryFor(0.6 - 0.25 * e, 10 * e + j + (mixing === 'exact' ? 100 : 0), 0.6); });
      runs.push({
        epsilon, mixing, attacks, labelLoss: 0, meanPhase1Distortion: 0.33, meanP: Math.min(1, epsilon / 0.33),
        meanReleasedDistortion: Math.min(epsilon, 0.33), topConfidence: hist(-0.1 * e), seconds: 1.5,
      });
    });
  }
  return {
    version: 1,
    title: 'Location run',
    createdAt: '2025-01-01T00:00:00Z',
    config: { dataset: 'location', epsilons, mixingModes: ['paper', 'exact'], seeds: { target: 1, coin: 2 }, optimizer: 'paper' },
    models: { targetTrain: 1, targetTest: 0.62, shadowTrain: 1, shadowTest: 0.55 },
    runs,
    undefendedTopConfidence: hist(0),
    notes: ['synthetic results for the report test'],
  };
}

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

t('formatConsoleTable: one row per attack, one column per ε, per mode', () => {
  const r = makeResults(['nn', 'gap']);
  const text = formatConsoleTable(r);
  const lines = text.split('\n');
  assert.ok(lines.some((l) => l.startsWith('mixing = paper')));
  assert.ok(lines.some((l) => l.startsWith('mixing = exact')));
  const header = lines.find((l) => l.startsWith('attack'))!;
  assert.ok(/eps=0\s+eps=0\.5\s+eps=1$/.test(header), header);
  const gap = lines.find((l) => l.startsWith('gap'))!;
  const paperGap = r.runs.filter((x) => x.mixing === 'paper').map((x) => x.attacks['gap']!.accuracy.toFixed(3));
  assert.equal(gap.trim().split(/\s+/).slice(1), paperGap);
  assert.ok(lines.some((l) => /^label loss\s+0\.000\s+0\.000\s+0\.000$/.test(l)));
});

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
