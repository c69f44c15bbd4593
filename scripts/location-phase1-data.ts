// The Phase I workload of design §6 with the paper's models: the target model's logits for the 2,000
// Location evaluation queries (members [0, 1000), non-members [2000, 3000)) and the paper's defense
// classifier, trained exactly as `runExperiment` trains them (PAPER_CONFIG, seed 1). Training takes
// about a minute on two threads, so the result is cached (gitignored) and reused by the Phase I
// measurements (scripts/phase1-*.ts, bench/defense.bench.ts).
//
//   node --import tsx scripts/location-phase1-data.ts [--fixture]
//     --fixture  also (re)writes test/fixtures/location-phase1.json.gz: the defense classifier and
//                200 evaluation rows (100 members, 100 non-members) for the tests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadLocation } from '../src/data/datasets.js';
import { locationSplits, take } from '../src/data/splits.js';
import { fitParallel, PAPER_CONFIG, runExperiment } from '../src/node.js';
import { loadModel, serializeModel } from '../src/nn/modelFile.js';
import type { Mlp } from '../src/nn/mlp.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = process.env.MEMGUARD_PHASE1_CACHE ?? join(ROOT, '.cache', 'location-phase1');
export const FIXTURE = join(ROOT, 'test', 'fixtures', 'location-phase1.json.gz');

export interface Phase1Workload {
  /** The paper's defense classifier (30-256-128-64-1). */
  defense: Mlp;
  /** Target logits, 2,000 x 30: members [0, 1000) then non-members. */
  logits: Float32Array;
  isMember: Uint8Array;
  k: number;
}

/** Loads the cached workload, training it first (about a minute, 2 threads) when absent. */
export async function phase1Workload(log: (msg: string) => void = () => {}): Promise<Phase1Workload> {
  const defensePath = join(CACHE_DIR, 'defense.json'), logitsPath = join(CACHE_DIR, 'eval-logits.f32');
  if (!existsSync(defensePath) || !existsSync(logitsPath)) {
    log(`training the paper's target and defense classifier (cache: ${CACHE_DIR})`);
    const out = await runExperiment({
      config: { ...PAPER_CONFIG, epsilons: [0], mixingModes: ['paper'], defenseAware: false },
      fitMany: (jobs) => fitParallel(jobs, { workers: 2 }),
    });
    const { target, defense } = out.models;
    const x = evalFeatures();
    const logits = target.logits(x);
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(defensePath, serializeModel(defense));
    writeFileSync(logitsPath, new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
  }
  const defense = loadModel(readFileSync(defensePath, 'utf8'));
  const bytes = readFileSync(logitsPath);
  const logits = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const isMember = new Uint8Array(2000).fill(1, 0, 1000);
  return { defense, logits, isMember, k: 30 };
}

/** Features of the evaluation rows in order: members [0, 1000), then non-members [2000, 3000). */
function evalFeatures(): Float32Array {
  const data = loadLocation();
  const splits = locationSplits(data.shuffle);
  const m = take(data.features, data.labels, splits.targetTrain.subarray(0, 1000));
  const n = take(data.features, data.labels, splits.evalNonMembers.subarray(0, 1000));
  const x = new Float32Array((m.n + n.n) * data.d);
  x.set(m.features);
  x.set(n.features, m.features.length);
  return x;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const w = await phase1Workload(console.log);
  console.log(`workload: ${w.logits.length / w.k} rows x ${w.k}, defense ${w.defense.parameters().map((l) => l.in).join('-')}-1`);
  if (process.argv.includes('--fixture')) {
    const rows = [...Array.from({ length: 100 }, (_, i) => i * 10), ...Array.from({ length: 100 }, (_, i) => 1000 + i * 10)];
    const logits = rows.map((r) => Array.from(w.logits.subarray(r * w.k, (r + 1) * w.k)));
    const doc = { about: 'scripts/location-phase1-data.ts --fixture: the paper defense classifier and 200 target logits (100 members, 100 non-members) of design §6', rows, isMember: rows.map((r) => w.isMember[r]), logits, defense: JSON.parse(serializeModel(w.defense)) };
    mkdirSync(dirname(FIXTURE), { recursive: true });
    writeFileSync(FIXTURE, gzipSync(JSON.stringify(doc), { level: 9 }));
    console.log(`wrote ${FIXTURE}`);
  }
}
