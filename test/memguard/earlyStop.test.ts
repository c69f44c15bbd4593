// The early-stopping Phase I search (the default) against the paper-literal search (`search:
// { literal: true }`, the reference): the same status, c3 and noise bit for bit on real Location
// vectors with the paper's defense classifier and on random vectors; and fixed-work mode (design §7):
// every row takes the same number of passes and the released vectors keep design §5.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import { MemGuard, type SearchResult } from '../../src/memguard/memguard.js';
import { PHASE1_DEFAULTS, type Phase1Options } from '../../src/memguard/phase1.js';
import { loadModel } from '../../src/nn/modelFile.js';
import { Mlp } from '../../src/nn/mlp.js';
import { Random } from '../../src/random.js';
import { assertReleaseInvariants, propertySet, randomVectors } from './invariants.js';

interface Fixture { logits: number[][]; isMember: number[]; defense: unknown }
/** scripts/location-phase1-data.ts --fixture: the paper's g and 200 evaluation rows (logits). */
const fixture = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/location-phase1.json.gz', import.meta.url))).toString('utf8')) as Fixture;
const defense = loadModel(fixture.defense);
const locationLogits = Float32Array.from(fixture.logits.flat());

function sameSearch(got: SearchResult, want: SearchResult, what: string): void {
  const k = want.k;
  for (let r = 0; r < want.rows; r++) {
    assert.is(got.status[r], want.status[r], `${what} row ${r}: status`);
    assert.is(got.c3[r], want.c3[r], `${what} row ${r}: c3`);
    for (let j = 0; j < k; j++) assert.ok(Object.is(got.noise[r * k + j], want.noise[r * k + j]), `${what} row ${r}: noise[${j}] ${got.noise[r * k + j]} vs ${want.noise[r * k + j]}`);
    assert.is(got.gNoisy[r], want.gNoisy[r], `${what} row ${r}: g(s + r)`);
  }
}

const guard = (g: Mlp, search: Phase1Options, method: 'logits' | 'projected' = 'logits') =>
  new MemGuard({ defenseClassifier: g, epsilon: 1, coin: { mode: 'expectation' }, method, search, batchSize: 64 });

const same = suite('early stop (default) = literal search');

same('200 Location rows, paper defense classifier: identical noise, status, c3; far fewer steps', () => {
  const want = guard(defense, { literal: true }).search(locationLogits, 'logits');
  const got = guard(defense, {}).search(locationLogits, 'logits');
  sameSearch(got, want, 'Location');
  const stopped = got.stop.filter((s) => s !== 'none').length;
  assert.ok(stopped > 150, `the early stop ended only ${stopped} of 200 searches: the comparison would be vacuous`);
  assert.ok(got.stop.filter((s) => s === 'deep-stall').length > 50, 'the deep-stall rule fired');
  const steps = (x: Int32Array) => x.reduce((a, v) => a + v, 0);
  assert.ok(steps(got.steps) * 2 < steps(want.steps), `${steps(got.steps)} vs ${steps(want.steps)} steps`);
  assert.ok(want.stop.every((s) => s === 'none'), 'the literal search never stops early');
  // Each stall rule on its own is exact too, and the deep one is what makes the default cheaper.
  const shallow = guard(defense, { deepStallSteps: Infinity }).search(locationLogits, 'logits');
  sameSearch(shallow, want, 'Location, stall rule alone');
  sameSearch(guard(defense, { stallSteps: Infinity }).search(locationLogits, 'logits'), want, 'Location, deep-stall rule alone');
  assert.ok(steps(got.steps) * 1.1 < steps(shallow.steps), `with the deep-stall rule ${steps(got.steps)} steps, without ${steps(shallow.steps)}`);
});

same('random vectors, k in {2, 3, 10, 30, 100}, both methods: identical', () => {
  const rng = new Random(77);
  let cycles = 0, stalls = 0, deep = 0;
  for (const k of [2, 3, 10, 30, 100]) {
    const g = Mlp.create([k, 32, 16, 1], { head: 'sigmoid', seed: 100 + k });
    for (const kind of ['peaked', 'flat', 'tied', 'one-hot', 'uniform']) {
      const s = randomVectors(kind, 40, k, rng);
      const method = kind === 'flat' ? 'projected' : 'logits';
      const got = guard(g, {}, method).search(s);
      sameSearch(got, guard(g, { literal: true }, method).search(s), `k=${k} ${kind}`);
      cycles += got.stop.filter((v) => v === 'cycle').length;
      stalls += got.stop.filter((v) => v === 'stall').length;
      deep += got.stop.filter((v) => v === 'deep-stall').length;
    }
    g.dispose();
  }
  assert.ok(cycles > 20 && stalls > 5 && deep > 20, `every rule fired (cycle ${cycles}, stall ${stalls}, deep stall ${deep}): the comparison is not vacuous`);
});

interface HardRows {
  location: { index: number; longestStall: number; longestDeepStall: number; logits: number[] }[];
  random: { seed: number; k: number; kind: string; index: number; longestStall: number; longestDeepStall: number }[];
}
/** scripts/phase1-early-stop.ts --hard-rows: of the 2,000 Location and 70,000 random rows, those whose successful rounds stalled longest. */
const hardRows = JSON.parse(readFileSync(new URL('../fixtures/phase1-hard-rows.json', import.meta.url), 'utf8')) as HardRows;

same('the rows that stalled longest before succeeding: default = literal, and a window at their stall would not be', () => {
  const cases: { what: string; g: Mlp; s: Float32Array; input: 'logits' | 'probabilities'; method: 'logits' | 'projected'; stall: number; deep: number }[] = [];
  for (const h of hardRows.location) {
    cases.push({ what: `Location row ${h.index}`, g: defense, s: Float32Array.from(h.logits), input: 'logits', method: 'logits', stall: h.longestStall, deep: h.longestDeepStall });
  }
  const sets = new Map<number, ReturnType<typeof propertySet>>();
  for (const h of hardRows.random) {
    if (!sets.has(h.seed)) sets.set(h.seed, propertySet(h.seed));
    const group = sets.get(h.seed)!.find((x) => x.k === h.k && x.kind === h.kind)!;
    cases.push({ what: `random seed ${h.seed} k=${h.k} ${h.kind} row ${h.index}`, g: group.g(), s: group.rows.slice(h.index * h.k, (h.index + 1) * h.k), input: 'probabilities', method: group.method, stall: h.longestStall, deep: h.longestDeepStall });
  }
  const { stallSteps, deepStallSteps } = PHASE1_DEFAULTS;
  let tooShort = 0;
  for (const c of cases) {
    const want = guard(c.g, { literal: true }, c.method).search(c.s, c.input);
    assert.is(want.longestStall[0], c.stall, `${c.what}: the fixture's stall is this build's`);
    assert.is(want.longestDeepStall[0], c.deep, `${c.what}: the fixture's deep stall is this build's`);
    assert.ok(c.stall < stallSteps && c.deep < deepStallSteps, `${c.what}: stalled ${c.stall} / ${c.deep} steps, windows ${stallSteps} / ${deepStallSteps}`);
    sameSearch(guard(c.g, {}, c.method).search(c.s, c.input), want, c.what);
    // The same rules with a window at the observed stall end that successful round early.
    for (const search of [{ stallSteps: c.stall, deepStallSteps: Infinity }, { stallSteps: Infinity, deepStallSteps: c.deep }]) {
      if (Math.min(search.stallSteps, search.deepStallSteps) < 8) continue;
      const got = guard(c.g, search, c.method).search(c.s, c.input);
      if (got.c3[0] !== want.c3[0]) tooShort++;
    }
  }
  assert.ok(tooShort >= 3, `a window at the observed stall changed only ${tooShort} of these rows: they are not the tight cases`);
});

same('the repeated-state rule alone (no stall rule) is exact and fires (k = 2, both methods)', () => {
  const rng = new Random(5);
  const g = Mlp.create([2, 32, 16, 1], { head: 'sigmoid', seed: 9 });
  let cycles = 0;
  for (const [kind, method] of [['uniform', 'logits'], ['flat', 'projected']] as const) {
    const s = randomVectors(kind, 100, 2, rng);
    const got = guard(g, { stallSteps: Infinity, deepStallSteps: Infinity }, method).search(s);
    sameSearch(got, guard(g, { literal: true }, method).search(s), `cycle only, ${method}`);
    assert.ok(got.stop.every((v) => v === 'cycle' || v === 'none'));
    cycles += got.stop.filter((v) => v === 'cycle').length;
  }
  assert.ok(cycles > 50, `the repeated-state rule fired on ${cycles} rows`);
  g.dispose();
});

same.run();

const fixed = suite('fixed work per row (design §7 timing)');

fixed('every row takes exactly the budget in passes; results are the default search where it finished in time', () => {
  for (const budget of [40, 512]) {
    const res = new MemGuard({ defenseClassifier: defense, epsilon: 0.5, coin: { mode: 'seed', seed: 3 }, search: { fixedWork: budget } })
      .protect(locationLogits, { input: 'logits' });
    assert.ok(Array.from(res.ticks).every((t) => t === budget), `budget ${budget}: ticks ${[...new Set(res.ticks)].join(',')}`);
    const def = guard(defense, {}).search(locationLogits, 'logits');
    const fix = guard(defense, { fixedWork: budget }).search(locationLogits, 'logits');
    let finished = 0;
    for (let r = 0; r < def.rows; r++) {
      if (fix.stop[r] === 'budget') continue;
      finished++;
      assert.is(fix.c3[r], def.c3[r], `row ${r}`);
      assert.equal(Array.from(fix.noise.subarray(r * 30, r * 30 + 30)), Array.from(def.noise.subarray(r * 30, r * 30 + 30)));
    }
    if (budget === 512) assert.ok(finished >= 195, `${finished}/200 rows finished within 512 passes`);
    if (budget === 40) assert.ok(finished < 200, 'a 40-pass budget cuts some searches (the check above is not vacuous)');
    assertReleaseInvariants(res.scores, res, 30, 0.5, `fixedWork ${budget}`);
  }
});

fixed('random vectors: equal passes per row at every k, invariants kept', () => {
  const rng = new Random(8);
  for (const k of [2, 3, 10, 30, 100]) {
    const g = Mlp.create([k, 32, 16, 1], { head: 'sigmoid', seed: k });
    const s = randomVectors('uniform', 50, k, rng);
    const res = new MemGuard({ defenseClassifier: g, epsilon: Infinity, coin: { mode: 'seed', seed: 1 }, search: { fixedWork: 100 }, batchSize: 17 }).protect(s);
    assert.ok(Array.from(res.ticks).every((t) => t === 100), `k=${k}`);
    assertReleaseInvariants(s, res, k, Infinity, `fixedWork k=${k}`);
    g.dispose();
  }
});

fixed.run();

const fast = suite("mode: 'fast' (the plain stall test: not exact, measured in BENCHMARKS.md)");

fast('fewer steps than the default, the same final round on almost every Location row, design §5 kept', () => {
  const def = guard(defense, {}).search(locationLogits, 'logits');
  const got = guard(defense, { mode: 'fast' }).search(locationLogits, 'logits');
  const steps = (x: Int32Array) => x.reduce((a, v) => a + v, 0);
  assert.ok(steps(got.steps) * 1.5 < steps(def.steps), `${steps(got.steps)} vs ${steps(def.steps)} steps`);
  const sameRound = Array.from(got.c3).filter((c, r) => c === def.c3[r]).length;
  assert.ok(sameRound >= 195, `${sameRound}/200 rows end on the default's round`);
  const res = new MemGuard({ defenseClassifier: defense, epsilon: Infinity, coin: { mode: 'seed', seed: 2 }, search: { mode: 'fast' } }).protect(locationLogits, { input: 'logits' });
  assertReleaseInvariants(res.scores, res, 30, Infinity, 'fast');
});

fast('bad search options are typed errors naming the option', () => {
  for (const [search, message] of [
    [{ mode: 'quick' }, /mode must be 'lossless' or 'fast'/], [{ literal: 1 }, /literal must be a boolean/],
    [{ stallSteps: 0 }, /stallSteps must be an integer >= 1 or Infinity/], [{ fixedWork: 2.5 }, /fixedWork must be false, true or a tick budget/],
    [{ stallBand: -1 }, /stallBand must be a finite number >= 0/], [{ deepStallSteps: 2.5 }, /deepStallSteps must be an integer >= 1 or Infinity/],
    [{ deepStallDominance: NaN }, /deepStallDominance must be a finite number >= 0/],
  ] as const) {
    try {
      guard(defense, search as unknown as Phase1Options);
      assert.unreachable(`accepted ${JSON.stringify(search)}`);
    } catch (err) {
      assert.instance(err, MemGuardInputError);
      assert.match((err as Error).message, message);
    }
  }
});

fast.run();
