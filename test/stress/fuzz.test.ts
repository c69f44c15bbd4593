// A smoke run of the protect fuzzer (stress/fuzzCases.ts; the long run is `npm run fuzz`), plus
// checks that the fuzzer itself can fail: a broken release and a misnamed row are caught.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuard } from '../../src/memguard/memguard.js';
import { checkRows, defenseFor, emptyTally, makeCase, runCase, type FuzzCase } from '../../stress/fuzzCases.js';

const t = suite('protect fuzzer (smoke: 20,000 vectors)');

t('20,000 random and adversarial vectors: no violation, every family exercised', () => {
  const tally = emptyTally();
  for (let index = 0; tally.vectors < 20000; index++) {
    const c = makeCase(9, index);
    if (c.rows <= 128) runCase(c, tally); // many small cases: every family; the largest shape has its own test
  }
  assert.equal(tally.examples, [], tally.examples.join('\n'));
  assert.is(tally.violations, 0);
  for (const kind of ['one-hot', 'uniform', 'tie-exact', 'tie-ulp', 'denormal', 'sum-edge-in', 'huge', 'extreme']) {
    assert.ok((tally.byKind[kind] ?? 0) > 0, `no ${kind} row was checked`);
  }
  assert.ok(tally.rejectedBatches > 10, `${tally.rejectedBatches} rejected batches`);
  assert.ok(tally.noiseReleased > 200, `noise released on ${tally.noiseReleased} rows only: the checks would be vacuous`);
});

t('the largest shape (k = 1,000, 4,096 rows) passes', () => {
  const tally = emptyTally();
  const c = makeCase(9, 499);
  assert.is(c.k, 1000);
  assert.is(c.rows, 4096);
  assert.equal(runCase(c, tally), []);
});

/** The first case of seed 9 that is valid probabilities with at least `rows` rows and k >= 3. */
function cleanCase(rows: number): FuzzCase {
  for (let i = 0; ; i++) {
    const c = makeCase(9, i);
    if (c.input === 'probabilities' && c.rows >= rows && c.k >= 3 && !c.badEpsilon && c.invalid.length === 0 && !c.kinds.includes('sum-edge-out')) return c;
  }
}

t('the checker reports a changed label, a negative entry and an over-budget p', () => {
  const base = cleanCase(100);
  // Settings under which some rows get noise larger than the budget.
  const c: FuzzCase = { ...base, options: { ...base.options, epsilon: 0.01, coin: { mode: 'expectation' }, search: {}, method: 'logits' }, protect: { input: 'probabilities' } };
  const results = [0, 1, 2, 3].map((v) => new MemGuard({ ...c.options, defenseClassifier: defenseFor(c.k, v) }).protect(c.data, c.protect));
  const res = results.find((r) => r.noiseL1.some((l1) => l1 > 0.01)) ?? results[0]!;
  const found = (edit: (r: typeof res) => void): string[] => {
    const copy = { ...res, released: (res.released as Float32Array).slice(), mixProbability: res.mixProbability.slice() };
    edit(copy);
    const out: string[] = [];
    checkRows(c, copy, (m) => out.push(m), emptyTally());
    return out;
  };
  assert.equal(found(() => {}), [], 'the untouched result passes');
  const k = c.k;
  assert.match(found((r) => { (r.released as Float32Array)[k + 1] = 2; }).join('\n'), /row 1 .*label/);
  assert.match(found((r) => { (r.released as Float32Array)[2 * k] = -1e-30; }).join('\n'), /row 2 .*invalid/);
  const over = res.noiseL1.findIndex((l1) => l1 > 0.01);
  assert.ok(over >= 0, 'no row with noise above the budget: the budget check would go untested');
  assert.match(found((r) => { r.mixProbability[over] = 1; }).join('\n'), new RegExp(`row ${over} .*> epsilon`));
});

t('protect names the first invalid row whatever the problems (a negative entry before a NaN)', () => {
  const c = cleanCase(3);
  const data = c.data.slice();
  data[c.k] = -0.25; // row 1
  data[2 * c.k + 1] = NaN; // row 2
  assert.equal(runCase({ ...c, data, invalid: [{ row: 1, kind: 'negative' }, { row: 2, kind: 'nan' }] }, emptyTally()), []);
});

t.run();
