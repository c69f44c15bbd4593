// Browser test of the demo page (a check of `npm run test:runtimes`; also runnable alone:
// `node test/runtimes/demo-page.mjs [--chromium /usr/bin/chromium]`, after `npm run build`).
//
// Builds the page, serves it on 127.0.0.1 under the strict CSP, opens it in Debian's Chromium via
// playwright-core, polls it while Phase I runs in the page's Web Worker (the page must answer and
// show intermediate progress), then for three settings
// (slider moved twice, mixing rule switched) checks that the shown numbers and the SVG change and
// match MemGuard.protect run here in Node on the same data: the mean released distortion, the NN
// attack accuracy and AUC, the three queries' candidate vectors, and their keyed-coin releases under
// the page's demo key. Any console error or page error fails it. Screenshot: test-output/page.png.
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPage, PAGE_CSP, ROOT } from '../../scripts/build-page.mjs';
import { startStaticServer } from '../../scripts/static-server.mjs';

export const SCREENSHOT = join(ROOT, 'test-output', 'page.png');
const SETTINGS = [{ epsilon: 0.3, mixing: 'paper' }, { epsilon: 0.8, mixing: 'paper' }, { epsilon: 0.8, mixing: 'exact' }];

/**
 * Runs the page check. `pageDir`: serve an already built page instead of building one.
 * Resolves to `{ ok, detail }` (detail: one line on success, the failures otherwise).
 */
export async function checkPage({ chromiumPath = '/usr/bin/chromium', pageDir, timeoutMs = 600_000 } = {}) {
  const failures = [];
  const fail = (msg) => failures.push(msg);
  const near = (a, b, tol, what) => { if (!(Math.abs(a - b) <= tol)) fail(`${what}: page ${a}, node ${b}`); };
  const { chromium } = await import('playwright-core');
  const lib = await import(new URL('../../dist/node.js', import.meta.url).href);
  const pageLib = {
    data: await import(new URL('../../dist/page/data.js', import.meta.url).href),
    defense: await import(new URL('../../dist/page/defense.js', import.meta.url).href),
  };
  const root = pageDir ?? buildPage(join(ROOT, 'test-output', 'page-dist'));
  const data = pageLib.data.parsePageData(readFileSync(join(root, 'data', 'location-demo.json'), 'utf8'));
  const server = await startStaticServer({ root, headers: { 'Content-Security-Policy': PAGE_CSP } });
  const browser = await chromium.launch({ executablePath: chromiumPath });
  let summary = '';
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('console', (m) => { if (m.type() === 'error') fail(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => fail(`page error: ${e.message}`));
    page.on('response', (r) => { if (r.status() >= 400) fail(`HTTP ${r.status()} for ${r.url()}`); });
    await page.goto(server.url);
    // Poll the page while Phase I runs: it must answer (the search is in the worker) and show
    // progress between none and all rows.
    const progressSeen = new Set();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await page.evaluate(() => ({ state: globalThis.memguardDemo?.state, value: document.getElementById('progress').value, max: document.getElementById('progress').max }));
      if (now.state === 'searching') progressSeen.add(`${now.value}/${now.max}`);
      if (now.state === 'ready' || now.state === 'error') break;
      if (Date.now() > deadline) throw new Error(`Phase I did not finish within ${timeoutMs} ms`);
      await page.waitForTimeout(200);
    }
    const partial = [...progressSeen].filter((v) => { const [a, b] = v.split('/').map(Number); return a > 0 && a < b; });
    if (partial.length === 0) fail(`no intermediate Phase I progress was shown (saw ${[...progressSeen].join(', ') || 'nothing'})`);
    const ready = await page.evaluate(() => ({
      state: memguardDemo.state, error: memguardDemo.error, reproduced: memguardDemo.ready?.reproduced,
      build: memguardDemo.ready?.build, seconds: memguardDemo.ready?.seconds,
    }));
    if (ready.state !== 'ready') throw new Error(`page did not get ready: ${ready.error}`);
    if (ready.reproduced !== data.rows) fail(`Phase I in the page reproduced ${ready.reproduced} of ${data.rows} shipped candidates`);

    const g = lib.loadModel(data.defenseClassifier);
    const members = lib.stack(data.isMember, data.isMember);
    const attackScores = lib.stack(data.attackOnScores, data.attackOnCandidates);
    const seen = new Set();
    const lines = [];
    let nodeSeconds; // protect() on all rows in this Node process, for a same-machine ratio
    for (const { epsilon, mixing } of SETTINGS) {
      await page.locator('#epsilon').fill(String(epsilon));
      await page.locator(`input[name="mixing"][value="${mixing}"]`).check();
      const shown = await page.evaluate(() => ({
        epsilon: document.getElementById('epsilon-value').textContent,
        accuracy: document.getElementById('attack-accuracy').textContent,
        auc: document.getElementById('attack-auc').textContent,
        distortion: document.getElementById('distortion').textContent,
        labelChanges: document.getElementById('label-changes').textContent,
        svg: ['plot-after', 'plot-attack', 'plot-query-0', 'plot-query-1', 'plot-query-2'].map((id) => document.querySelector(`#${id} svg`)?.outerHTML ?? ''),
        view: { epsilon: memguardDemo.view.epsilon, mixing: memguardDemo.view.mixing, accuracy: memguardDemo.view.attackAccuracy, auc: memguardDemo.view.attackAuc, meanDistortion: memguardDemo.view.meanDistortion },
        queries: memguardDemo.queries,
      }));
      const where = `ε = ${epsilon}, ${mixing}`;
      if (shown.view.epsilon !== epsilon || shown.view.mixing !== mixing) fail(`${where}: the page shows ε = ${shown.view.epsilon}, ${shown.view.mixing}`);
      if (shown.epsilon !== epsilon.toFixed(2)) fail(`${where}: slider label reads ${shown.epsilon}`);
      if (shown.labelChanges !== '0') fail(`${where}: ${shown.labelChanges} labels changed`);
      shown.svg.forEach((svg, i) => { if (!svg.startsWith('<svg')) fail(`${where}: figure ${i} has no SVG`); });
      const key = shown.svg.slice(0, 2).join('');
      if (seen.has(key)) fail(`${where}: the histogram and attack plots did not change from an earlier setting`);
      seen.add(key);

      // The same inputs through the library in Node: expectation coin for the numbers, the demo key
      // for the released vectors.
      const t0 = performance.now();
      const node = new lib.MemGuard({ defenseClassifier: g, epsilon, mixing, coin: { mode: 'expectation' } }).protect(data.logits, { input: 'logits' });
      nodeSeconds ??= (performance.now() - t0) / 1000;
      // A row's result does not depend on its batch, so the keyed run takes only the shown rows.
      const shownRows = shown.queries.map((q) => q.row);
      const keyed = new lib.MemGuard({ defenseClassifier: g, epsilon, mixing, coin: { mode: 'key', key: pageLib.defense.DEMO_KEY } })
        .protect(lib.takeRows(data.logits, data.k, shownRows), { input: 'logits' });
      let spent = 0;
      for (let i = 0; i < data.rows; i++) spent += node.mixProbability[i] * node.noiseL1[i];
      spent /= data.rows;
      const weights = lib.coinWeights(node.mixProbability);
      const accuracy = lib.accuracy(lib.thresholdDecisions(attackScores, 0.5), members, weights);
      const auc = lib.auc(attackScores, members, weights);
      near(shown.view.meanDistortion, spent, 1e-9, `${where}: mean released distortion`);
      near(shown.view.accuracy, accuracy, 1e-9, `${where}: attack accuracy`);
      near(shown.view.auc, auc, 1e-9, `${where}: attack AUC`);
      if (shown.distortion !== spent.toFixed(3)) fail(`${where}: distortion shown ${shown.distortion}, node ${spent.toFixed(3)}`);
      if (shown.accuracy !== accuracy.toFixed(3)) fail(`${where}: accuracy shown ${shown.accuracy}, node ${accuracy.toFixed(3)}`);
      if (spent > epsilon + 1e-12) fail(`${where}: spent ${spent} > ε`);
      for (const [n, q] of shown.queries.entries()) {
        near(q.p, node.mixProbability[q.row], 1e-12, `${where}: row ${q.row} p`);
        for (let j = 0; j < data.k; j++) {
          near(q.noisy[j], node.noisy[q.row * data.k + j], 1e-6, `${where}: row ${q.row} s + r [${j}]`);
          near(q.released[j], keyed.released[n * data.k + j], 1e-6, `${where}: row ${q.row} released [${j}]`);
        }
      }
      lines.push(`${where}: accuracy ${shown.accuracy}, AUC ${shown.auc}, spent ${shown.distortion}`);
    }
    // Leave the screenshot at the paper's headline setting.
    await page.locator('input[name="mixing"][value="paper"]').check();
    await page.locator('#epsilon').fill('0.5');
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    summary = `progress shown at ${partial.length} intermediate points; protect() on ${data.rows} rows: page worker ${ready.seconds.toFixed(1)} s (${ready.build}, chunks of 50), Node ${nodeSeconds.toFixed(1)} s `
      + `(ratio ${(ready.seconds / nodeSeconds).toFixed(2)}); ${ready.reproduced}/${data.rows} rows reproduced; ${lines.join('; ')}; screenshot ${SCREENSHOT}`;
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  } finally {
    await browser.close();
    await server.close();
  }
  return failures.length ? { ok: false, detail: failures.slice(0, 12).join('\n') } : { ok: true, detail: summary };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = (flag) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
  if (!existsSync(join(ROOT, 'dist', 'page', 'main.js'))) {
    console.error('page test: dist/ is not built; run `npm run build` first');
    process.exit(1);
  }
  const result = await checkPage({ chromiumPath: at('--chromium') ?? '/usr/bin/chromium', pageDir: at('--page-dir') });
  console.log(`${result.ok ? 'ok' : 'FAILED'}  page: ${result.detail}`);
  process.exit(result.ok ? 0 : 1);
}
