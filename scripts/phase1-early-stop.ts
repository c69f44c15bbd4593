// Phase I early stop against the paper-literal search (issue 8 item 1): on the 2,000 Location
// evaluation queries with the paper's defense classifier (design §6; scripts/location-phase1-data.ts),
// on the 10,000-row random property set of test/memguard/protect.test.ts (k in {2, 3, 10, 30, 100},
// untrained g, at the default 299 steps) and on 60,000 rows of five independent random sets the
// rules were not tuned on, every row of the default search must have the literal search's status,
// c3 and noise (bit for bit). Prints the agreement, which rule ended the failing rounds, the steps
// saved, and the longest stall each rule counted inside a successful round (its margin).
//
//   node --import tsx scripts/phase1-early-stop.ts [--stall N] [--dominance D] [--band B] [--deep N] [--hard-rows]
import { writeFileSync } from 'node:fs';
import { MemGuard } from '../src/memguard/memguard.js';
import type { Mlp } from '../src/nn/mlp.js';
import { PHASE1_DEFAULTS, type Phase1Options } from '../src/memguard/phase1.js';
import { INDEPENDENT_SEEDS, PROPERTY_SEED, propertySet } from '../test/memguard/invariants.js';
import { phase1Workload } from './location-phase1-data.js';

const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const stallSteps = arg('--stall') ? Number(arg('--stall')) : undefined;
const stallDominance = arg('--dominance') ? Number(arg('--dominance')) : undefined;
const stallBand = arg('--band') ? Number(arg('--band')) : undefined;
const deepStallSteps = arg('--deep') ? Number(arg('--deep')) : undefined;
const searchOptions: Phase1Options = {
  ...(stallSteps === undefined ? {} : { stallSteps }), ...(stallDominance === undefined ? {} : { stallDominance }),
  ...(stallBand === undefined ? {} : { stallBand }),
  ...(deepStallSteps === undefined ? {} : { deepStallSteps }),
};

interface Workload { name: string; seed?: number; k?: number; kind?: string; guard: (search: Phase1Options) => MemGuard; rows: Float32Array; input: 'logits' | 'probabilities' }

function workloads(defense: Mlp, logits: Float32Array): Workload[][] {
  const loc: Workload = {
    name: 'Location 2,000 (paper g)', rows: logits, input: 'logits',
    guard: (search) => new MemGuard({ defenseClassifier: defense, epsilon: 0, coin: { mode: 'expectation' }, search }),
  };
  const random = (seed: number): Workload[] => propertySet(seed).map(({ k, kind, rows, method, g: makeG }) => {
    const g = makeG();
    return {
      name: `random seed ${seed} k=${k} ${kind}`, seed, k, kind, rows, input: 'probabilities' as const,
      guard: (search: Phase1Options) => new MemGuard({ defenseClassifier: g, epsilon: 0, coin: { mode: 'expectation' }, method, search, batchSize: 128 }),
    };
  });
  return [[loc], random(PROPERTY_SEED), INDEPENDENT_SEEDS.flatMap(random)];
}

const { defense, logits, k: K } = await phase1Workload(console.log);
/** Per set, the rows whose successful rounds came closest to a stall rule's window (literal search). */
interface HardRow { workload: Workload; row: number; longestStall: number; longestDeepStall: number }
const hard: HardRow[][] = [];
for (const [i, set] of workloads(defense, logits).entries()) {
  const tally = { rows: 0, agree: 0, literalSteps: 0, steps: 0, literalSec: 0, sec: 0, cycle: 0, stall: 0, 'deep-stall': 0, none: 0, saved: 0, failedRounds: 0, longestStall: 0, longestDeepStall: 0, stallFire: [] as number[], deepFire: [] as number[] };
  const rowsOfSet: HardRow[] = [];
  hard.push(rowsOfSet);
  for (const w of set) {
    let t = performance.now();
    const lit = w.guard({ literal: true }).search(w.rows, w.input);
    tally.literalSec += (performance.now() - t) / 1000;
    t = performance.now();
    const def = w.guard(searchOptions).search(w.rows, w.input);
    tally.sec += (performance.now() - t) / 1000;
    const k = lit.k;
    for (let r = 0; r < lit.rows; r++) {
      tally.rows++;
      let same = lit.status[r] === def.status[r] && lit.c3[r] === def.c3[r];
      for (let j = 0; j < k && same; j++) same = Object.is(lit.noise[r * k + j], def.noise[r * k + j]);
      if (same) tally.agree++;
      else console.log(`  DIFFERS: ${w.name} row ${r}: literal ${lit.status[r]} c3 ${lit.c3[r]} steps ${lit.steps[r]}; default ${def.status[r]} c3 ${def.c3[r]} steps ${def.steps[r]} stop ${def.stop[r]}@${def.stopStep[r]}`);
      tally.literalSteps += lit.steps[r]!;
      tally.steps += def.steps[r]!;
      tally.longestStall = Math.max(tally.longestStall, lit.longestStall[r]!);
      tally.longestDeepStall = Math.max(tally.longestDeepStall, lit.longestDeepStall[r]!);
      rowsOfSet.push({ workload: w, row: r, longestStall: lit.longestStall[r]!, longestDeepStall: lit.longestDeepStall[r]! });
      // A literal search whose last round failed ran it to maxSteps (or to a zero gradient).
      if (lit.status[r] !== 'at-half' && lit.c3[r]! < 1e5 * 0.999) tally.failedRounds++;
      const stop = def.stop[r]!;
      if (stop === 'cycle' || stop === 'stall' || stop === 'deep-stall') {
        tally[stop]++;
        tally.saved += lit.steps[r]! - def.steps[r]!;
        if (stop === 'stall') tally.stallFire.push(def.stopStep[r]!);
        if (stop === 'deep-stall') tally.deepFire.push(def.stopStep[r]!);
      }
    }
  }
  const name = [set[0]!.name, `random property set (${set.length} groups)`, `independent random sets, seeds ${INDEPENDENT_SEEDS.join(', ')} (${set.length} groups)`][i];
  console.log(`\n${name}: ${tally.agree}/${tally.rows} rows identical (status, c3, noise bits)`);
  console.log(`  steps: literal ${tally.literalSteps} (${(tally.literalSteps / tally.rows).toFixed(1)}/row), default ${tally.steps} (${(tally.steps / tally.rows).toFixed(1)}/row), ratio ${(tally.literalSteps / tally.steps).toFixed(2)}x`);
  console.log(`  seconds: literal ${tally.literalSec.toFixed(2)}, default ${tally.sec.toFixed(2)} (${(tally.literalSec / tally.sec).toFixed(2)}x; shared machine)`);
  console.log(`  rows whose last round failed: ${tally.failedRounds}; ended early by cycle ${tally.cycle}, deep stall ${tally['deep-stall']}, stall ${tally.stall}; steps saved ${tally.saved}`);
  for (const [rule, fire] of [['deep stall', tally.deepFire], ['stall', tally.stallFire]] as const) {
    fire.sort((a, b) => a - b);
    const q = (p: number) => fire[Math.min(fire.length - 1, Math.floor(p * fire.length))];
    if (fire.length) console.log(`  ${rule} rule fired at in-round step p50 ${q(0.5)}, p90 ${q(0.9)}, max ${q(1)}`);
  }
  console.log(`  longest stall counted inside a successful round (literal search): stall ${tally.longestStall} steps (window ${searchOptions.stallSteps ?? PHASE1_DEFAULTS.stallSteps}), deep stall ${tally.longestDeepStall} (window ${searchOptions.deepStallSteps ?? PHASE1_DEFAULTS.deepStallSteps})`);
}

// The fast mode (not exact) against the default, on Location: same final round, distortion, steps.
{
  const make = (search: Phase1Options) => new MemGuard({ defenseClassifier: defense, epsilon: 0, coin: { mode: 'expectation' }, search });
  const d = make({}).search(logits, 'logits'), f = make({ mode: 'fast' }).search(logits, 'logits');
  let sameRound = 0, l1d = 0, l1f = 0;
  for (let r = 0; r < d.rows; r++) {
    sameRound += Number(d.c3[r] === f.c3[r] && d.status[r] === f.status[r]);
    for (let j = 0; j < d.k; j++) { l1d += Math.abs(d.noise[r * d.k + j]!); l1f += Math.abs(f.noise[r * d.k + j]!); }
  }
  const total = (x: Int32Array) => x.reduce((a, v) => a + v, 0);
  console.log(`\nfast mode vs default, Location: ${sameRound}/${d.rows} rows end on the same round; mean ||r||_1 ${(l1f / d.rows).toFixed(4)} vs ${(l1d / d.rows).toFixed(4)}; ` +
    `steps ${total(f.steps)} vs ${total(d.steps)} (${(total(d.steps) / total(f.steps)).toFixed(2)}x fewer)`);
}

// --hard-rows: test/fixtures/phase1-hard-rows.json, the 5 rows per set and rule whose successful
// rounds stalled longest (the cases a shorter window or a weaker guard would get wrong), so that
// test/memguard/earlyStop.test.ts checks the rules where they are tight.
if (process.argv.includes('--hard-rows')) {
  const top = (rows: HardRow[], key: 'longestStall' | 'longestDeepStall') => [...rows].sort((a, b) => b[key] - a[key]).slice(0, 5);
  const pick = (rows: HardRow[]) => [...new Set([...top(rows, 'longestStall'), ...top(rows, 'longestDeepStall')])];
  const [loc, random] = [pick(hard[0]!), pick([...hard[1]!, ...hard[2]!])];
  const doc = {
    about: 'scripts/phase1-early-stop.ts --hard-rows: rows whose successful c3 rounds stalled longest in the literal search',
    location: loc.map((h) => ({ index: h.row, longestStall: h.longestStall, longestDeepStall: h.longestDeepStall, logits: Array.from(logits.subarray(h.row * K, (h.row + 1) * K)) })),
    random: random.map((h) => ({ seed: h.workload.seed, k: h.workload.k, kind: h.workload.kind, index: h.row, longestStall: h.longestStall, longestDeepStall: h.longestDeepStall })),
  };
  writeFileSync(new URL('../test/fixtures/phase1-hard-rows.json', import.meta.url), JSON.stringify(doc, null, 1) + '\n');
  console.log(`\nwrote test/fixtures/phase1-hard-rows.json (${loc.length} Location rows, ${random.length} random rows)`);
}
