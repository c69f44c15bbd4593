// Makes the demo page's data file once: page/data/location-demo.json (shipped in the repository).
// Runs the design §6 pipeline at the paper's settings (target, shadow, defense classifier, NN attack;
// no defense-aware attacker, which the page does not show), then Phase I on the evaluation rows.
//
//   node --import tsx scripts/make-page-data.ts [--out page/data/location-demo.json] [--workers 2] [--quick]
//
// Takes several minutes on two cores. Deterministic: seeds are the experiment's (PAPER_CONFIG.seed).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MemGuard } from '../src/memguard/memguard.js';
import { Mlp } from '../src/nn/mlp.js';
import { loadEngine, simdSupported } from '../src/wasm/engine.js';
import { membershipProbability } from '../src/memguard/defenseClassifier.js';
import { loadLocation } from '../src/data/datasets.js';
import { runExperiment, PAPER_CONFIG, PUBLISHED_LOCATION, QUICK_CONFIG } from '../src/experiment/run.js';
import { locationSplits, take } from '../src/data/splits.js';
import { topConfidence } from '../src/attacks/confidence.js';
import { fitParallel } from '../src/parallel/protect.js';
import { encodeArray, quantizeLogits, dequantizeLogits, PAGE_DATA_FORMAT, PAGE_DATA_VERSION, type PageDataFile } from '../src/page/data.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'page/data/location-demo.json' }, workers: { type: 'string', default: '2' }, quick: { type: 'boolean', default: false } } });
const workers = Number(values.workers);
const started = performance.now();
// --quick: the seconds-long smoke settings (QUICK_CONFIG), to check this script, not for shipping.
// Only what the page shows: one NN attack seed, no defense-aware attacker, no deployment-threat runs.
const config = {
  ...(values.quick ? QUICK_CONFIG : PAPER_CONFIG), epsilons: [0], mixingModes: ['paper' as const], defenseAware: false,
  attackSeeds: 1, nearDuplicates: null, timing: false,
};
let last = '';
const { results, models } = await runExperiment({
  config,
  fitMany: (jobs) => fitParallel(jobs, { workers }),
  onProgress: (e) => {
    const line = `${e.stage}: ${e.done}/${e.total}`;
    if (e.stage !== last || e.done === e.total) console.error(line);
    last = e.stage;
  },
});

// The evaluation rows (design §6): members [0,1000), non-members [2000,3000).
const data = loadLocation();
const k = data.classes;
const splits = locationSplits(data.shuffle);
const members = take(data.features, data.labels, splits.targetTrain);
const nonMembers = take(data.features, data.labels, splits.evalNonMembers);
const logits = new Float32Array((members.n + nonMembers.n) * k);
logits.set(models.target.logits(members.features));
logits.set(models.target.logits(nonMembers.features), members.n * k);
const quantized = quantizeLogits(logits);
const z = dequantizeLogits(quantized.int16, quantized.scale);

// Phase I once, on exactly what the page will load, on the build the page runs (SIMD, or scalar:
// the same bits; never relaxed, whose fused multiply-adds round differently), so the page can
// check its candidates bit for bit whatever runtime made this file.
const pageEngine = loadEngine({ build: simdSupported() ? 'simd' : 'scalar' });
const guard = new MemGuard({ defenseClassifier: Mlp.fromParameters(models.defense.parameters(), pageEngine), epsilon: Infinity, coin: { mode: 'expectation' } });
const found = guard.search(z, 'logits');
const release = guard.releaseSearch(found);
const rows = found.rows;

// Three rows to draw: a member the model is sure of, a non-member it gets right, one it gets wrong;
// each with a Phase I candidate (noise found).
const labels = Int32Array.from([...members.labels, ...nonMembers.labels]);
const top = topConfidence(release.scores, k);
const predicted = (r: number) => { let b = 0; for (let j = 1; j < k; j++) if (release.scores[r * k + j]! > release.scores[r * k + b]!) b = j; return b; };
// The row in [from, to) with noise found that passes `ok` and minimizes `cost`.
const pick = (from: number, to: number, ok: (r: number) => boolean, cost: (r: number) => number, note: string) => {
  let best = -1;
  for (let r = from; r < to; r++) if (release.noiseL1[r]! > 0 && ok(r) && (best < 0 || cost(r) < cost(best))) best = r;
  if (best < 0) throw new Error(`no row for: ${note}`);
  return { row: best, note };
};
const right = (r: number) => predicted(r) === labels[r];
const queries = [
  pick(0, members.n, right, (r) => -top[r]!, 'a member: the model is sure of it, as of most of its training rows'),
  pick(members.n, rows, right, (r) => Math.abs(top[r]! - 0.65), 'a non-member the model classifies right, less sure'),
  pick(members.n, rows, (r) => !right(r), (r) => -top[r]!, 'a non-member the model gets wrong: MemGuard keeps even a wrong label'),
];

const file: PageDataFile = {
  format: PAGE_DATA_FORMAT, version: PAGE_DATA_VERSION,
  provenance: {
    command: 'node --import tsx scripts/make-page-data.ts',
    createdAt: new Date().toISOString(),
    pipeline: 'runExperiment (src/experiment/run.ts) at PAPER_CONFIG, defenseAware off',
    seeds: results.config.seeds, target: config.target, defense: config.defense, attack: config.attack,
    engine: results.config.engine,
    accuracies: results.models,
    undefendedNnAttackAccuracy: results.runs[0]!.attacks['nn']!.accuracy,
    logitsNote: `target logits rounded to multiples of ${quantized.scale} (int16) to keep the file small; everything here was computed from the rounded logits`,
    seconds: Math.round((performance.now() - started) / 1000),
  },
  k, members: members.n, nonMembers: nonMembers.n, labels: Array.from(labels),
  logits: { scale: quantized.scale, int16: encodeArray(quantized.int16) },
  defenseClassifier: {
    layers: models.defense.parameters().map((l) => ({ in: l.in, out: l.out, activation: l.activation, weight: encodeArray(l.weight), bias: encodeArray(l.bias) })),
  },
  nnAttack: {
    onScores: encodeArray(membershipProbability(models.attack, release.scores)),
    onCandidates: encodeArray(membershipProbability(models.attack, release.noisy)),
  },
  candidateNoiseL1: encodeArray(Float32Array.from(release.noiseL1)),
  queries,
  published: PUBLISHED_LOCATION.points,
};
const text = JSON.stringify(file);
writeFileSync(values.out!, text + '\n');
console.error(`wrote ${values.out} (${Math.round(text.length / 1024)} KB) in ${file.provenance.seconds} s; ` +
  `undefended NN attack accuracy ${(file.provenance.undefendedNnAttackAccuracy as number).toFixed(3)}, queries ${queries.map((q) => q.row).join(', ')}`);
