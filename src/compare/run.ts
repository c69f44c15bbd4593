// `memguard compare` end to end (design §11): the undefended reference model, every training-time
// defense over its grid, the post-hoc rivals on the reference model, and MemGuard on the reference
// model and on the strongest training-time defenses; each attacked with an undefended shadow and a
// defense-aware one; the utility axes and the seed floor. Every training goes through `fitMany`
// (worker pool, and the resumable store of store.ts).
import { labelAccuracy, predictedLabels, type LabeledConfidenceSet } from '../attacks/confidence.js';
import type { LiraAttack } from '../attacks/lira.js';
import type { AttackResult } from '../attacks/metricAttacks.js';
import { trainAdversarialNnAttack, NN_AT_DEFAULTS } from '../attacks/nnAdversarial.js';
import { roundedNnAttack, roundScores } from '../attacks/nnRounded.js';
import { calibrateNoiseRobustness, noiseRobustnessAttack } from '../attacks/noiseRobustness.js';
import { runAttackSuite, type ReleasedSet } from '../attacks/suite.js';
import type { AttackSummary } from '../attacks/summary.js';
import type { ScoresTable } from '../data/csv/scores.js';
import { LOCATION_NAME, loadLocation, type Dataset } from '../data/datasets.js';
import { rowsAt, scaledRanges, scaledSplits, take, type Splits } from '../data/splits.js';
import { MemGuardInputError } from '../errors.js';
import { trainLiraAttack } from '../experiment/lira.js';
import { PAPER_CONFIG, REPEAT_SEED_STRIDE, type TrainingConfig } from '../experiment/run.js';
import { membershipClassifierJob, membershipTrainingSet } from '../memguard/defenseClassifier.js';
import { MemGuard } from '../memguard/memguard.js';
import type { Phase1Method } from '../memguard/phase1.js';
import type { MixingMode } from '../memguard/phase2.js';
import type { FitJob } from '../nn/mlp.js';
import { Mlp } from '../nn/mlp.js';
import { isUpperBound, VERDICT_METRICS, verdictValue } from '../experiment/verdict.js';
import type { Predictor } from '../defenses/predictor.js';
import { loadPredictor, serializePredictor } from '../defenses/predictor.js';
import { trainTarget } from '../defenses/train.js';
import { POSTHOC_DEFENSES, recipeFit, TRAINING_DEFENSES, type DefenseParams, type RecipeRunner, type Rows, type TrainContext, type TrainedModel } from './defenses.js';
import { combineCompareRepeats, LABEL_ONLY_ATTACKS, type CompareEntry, type CompareResults, type LabelOnlyFloor } from './results.js';
import { keyOf, type FitMany, type ModelStore } from './store.js';
import { distortionAndLabelLoss, type Release } from './utility.js';

type Net = TrainingConfig & { hidden: number[] };

/**
 * Everything the comparison sweeps and trains.
 *
 * @example
 * const config: CompareConfig = { ...COMPARE_QUICK, defenses: ['none', 'memguard'] };
 */
export interface CompareConfig {
  seed: number;
  /** Most rows per role (Infinity: all). */
  rowsPerSplit: number;
  target: Net;
  /** MemGuard's defense classifier g (and the defense-aware attacker's g'). */
  defense: Net;
  attack: Net;
  /** NN attacks trained with this many seeds, reported as the mean of their metrics. */
  attackSeeds: number;
  /** MemGuard's budgets and mixing rules. */
  epsilons: number[];
  mixingModes: MixingMode[];
  method: Phase1Method;
  /** Defense names to run ('none' is always run: it is the reference). */
  defenses: string[];
  /** MemGuard is also run on top of this many of the strongest training-time defenses. */
  stackOn: number;
  /** Offline LiRA shadow models (0: no LiRA). */
  lira: number;
  /** The knob grids: design §10's, or the quick run's few settings. */
  grids: 'full' | 'quick';
  /** NN-AT (design §11) with this many search steps, one network per radius (rho = MemGuard's epsilon, 0.3 otherwise); null: skip. */
  nnAt: { steps: number } | null;
  /** NN-R: the NN attack on scores rounded to these decimals (naive and defense-aware). */
  nnRounded: number[];
  /** The label-only noise-robustness attack: noisy copies per record and shadow rows it is calibrated on; null: skip. */
  noiseRobustness: { copies: number; calibrationRows: number } | null;
}

/**
 * design §11 on Location with the paper's models.
 *
 * @example
 * console.log(COMPARE_PAPER.epsilons); // [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1]
 */
export const COMPARE_PAPER: CompareConfig = Object.freeze({
  seed: 1,
  rowsPerSplit: 1000,
  target: PAPER_CONFIG.target,
  defense: PAPER_CONFIG.defense,
  attack: PAPER_CONFIG.attack,
  attackSeeds: 1,
  epsilons: [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1],
  mixingModes: ['paper', 'exact'] as MixingMode[],
  method: 'logits' as Phase1Method,
  defenses: [...TRAINING_DEFENSES.map((d) => d.name), ...POSTHOC_DEFENSES.map((d) => d.name), 'memguard'],
  stackOn: 2,
  lira: 8,
  grids: 'full' as const,
  nnAt: { steps: NN_AT_DEFAULTS.steps },
  nnRounded: [1, 2],
  noiseRobustness: { copies: 100, calibrationRows: 250 },
});

/**
 * The minutes-long smoke version: the same code on fewer rows, small nets, few epochs, small grids.
 *
 * @example
 * const out = await runCompare({ config: { ...COMPARE_QUICK, rowsPerSplit: 60 } });
 */
export const COMPARE_QUICK: CompareConfig = Object.freeze({
  ...COMPARE_PAPER,
  rowsPerSplit: 300,
  target: { hidden: [256, 128], epochs: 30, learningRate: 0.05, batchSize: 64, milestones: [], gamma: 1 },
  defense: { hidden: [64, 32], epochs: 40, learningRate: 0.05, batchSize: 64, milestones: [], gamma: 1 },
  attack: { hidden: [64, 32], epochs: 40, learningRate: 0.05, batchSize: 64, milestones: [], gamma: 1 },
  epsilons: [0.1, 0.3, 0.5, 1],
  stackOn: 1,
  lira: 4,
  grids: 'quick' as const,
  noiseRobustness: { copies: 20, calibrationRows: 100 },
});

/**
 * Progress: the stage (with its number) and how far it is.
 *
 * @example
 * const onProgress = (e: CompareProgress) => console.error(e.stage, e.done, e.total);
 */
export interface CompareProgress {
  stage: string;
  done: number;
  total: number;
  /** The share of the whole run done (0 to 1): an estimate from the stages' measured shares. */
  overall: number;
}

/**
 * Each stage's share of a run's wall time, measured on Location on 2026-12-05
 * (docs/benchmarks/comparison.md): the full run (88 min: 43.1, 13.4, 3.2, 6.8, 7.0, 0.7, 12.5 and
 * 1.4 min) and the quick run (78 s, 67 of them training the targets); other datasets and options are
 * near enough for a time-left estimate.
 */
const STAGE_SHARES = {
  full: [0.49, 0.15, 0.04, 0.08, 0.08, 0.01, 0.14, 0.01],
  quick: [0.88, 0.01, 0.01, 0.04, 0.01, 0.01, 0.02, 0.02],
} as const;

/**
 * What `runCompare` runs on.
 *
 * @example
 * const options: CompareOptions = { config: COMPARE_QUICK, repeats: 1 };
 */
export interface CompareOptions {
  config?: Partial<CompareConfig>;
  dataset?: Dataset;
  splits?: Splits;
  repeats?: number;
  /** Trains independent models (worker pool, resumable store); default one after another here. */
  fitMany?: FitMany;
  /** Runs one training-time defense (default: `trainTarget` in this thread, its sub-models through `fitMany`). */
  runRecipe?: RecipeRunner;
  /** Where whole defense trainings and NN-AT are kept for a resumed run (FitJobs go through `fitMany`). */
  store?: ModelStore;
  onProgress?: (e: CompareProgress) => void;
}

/**
 * A released-vector CSV: its path under the output folder and its rows.
 *
 * @example
 * const e: CompareExport = { path: 'released/none.csv', table };
 */
export interface CompareExport {
  path: string;
  table: ScoresTable;
}

/**
 * The comparison's results and the released-vector exports (the first run's with repeats).
 *
 * @example
 * const { results, exports } = await runCompare({ config: COMPARE_QUICK });
 */
export interface CompareOutput {
  results: CompareResults;
  exports: CompareExport[];
  timings: Record<string, number>;
}

const sequentialFit: FitMany = async (jobs) => {
  for (const job of jobs) job.model.fit(job.x, job.y, job.options);
};

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function membershipFlags(members: number, nonMembers: number): Uint8Array {
  return new Uint8Array(members + nonMembers).fill(1, 0, members);
}

function joinRows(a: Rows, b: Rows): Rows {
  return { features: concat(a.features, b.features), labels: Int32Array.from([...a.labels, ...b.labels]), n: a.n + b.n };
}

/** A setting's id: the defense name and its knob values, e.g. `early-stopping-epochs10`. */
export function settingId(defense: string, params: DefenseParams): string {
  return [defense, ...Object.entries(params).map(([k, v]) => `${k}${v}`)].join('-').replace(/[^A-Za-z0-9.+_-]/g, '_');
}

/** The rows no role of the target uses (the test-accuracy rows): the attacker's g' non-members and every row in no role. */
export function testRows(splits: Splits, n: number): Int32Array {
  const used = new Uint8Array(n);
  for (const [role, rows] of Object.entries(splits)) if (role !== 'shadowDefenseNonMembers') for (const r of rows) used[r] = 1;
  const out: number[] = [];
  for (const r of splits.shadowDefenseNonMembers) out.push(r);
  const inRole = new Uint8Array(n);
  for (const rows of Object.values(splits)) for (const r of rows) inRole[r] = 1;
  for (let r = 0; r < n; r++) if (!inRole[r]) out.push(r);
  return Int32Array.from(out);
}

/** The strongest label-only attack of a setting, per metric. */
export function labelOnlyFloor(attacks: Record<string, AttackSummary>): LabelOnlyFloor {
  const present = LABEL_ONLY_ATTACKS.filter((a) => attacks[a]);
  if (!present.length) return { attack: 'none', accuracy: NaN, auc: NaN, tprAt1Fpr: NaN, tprAt01Fpr: NaN };
  const best = (m: (typeof VERDICT_METRICS)[number]) => Math.max(...present.map((a) => verdictValue(attacks[a]!, m)));
  const strongest = present.reduce((a, b) => (attacks[b]!.accuracy > attacks[a]!.accuracy ? b : a));
  return { attack: strongest, accuracy: best('accuracy'), auc: best('auc'), tprAt1Fpr: best('tprAt1Fpr'), tprAt01Fpr: best('tprAt01Fpr') };
}

/** The accuracy of the strongest attack (upper bounds left out). */
export function strongestAccuracy(attacks: Record<string, AttackSummary>): number {
  return Math.max(...Object.entries(attacks).filter(([a]) => !isUpperBound(a)).map(([, s]) => s.accuracy));
}

/** Runs the comparison (`repeats` times with independent seeds, combined) and returns results and exports. */
export async function runCompare(options: CompareOptions = {}): Promise<CompareOutput> {
  const repeats = options.repeats ?? 1;
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new MemGuardInputError(`runCompare: repeats must be a positive integer, got ${repeats}`);
  const cfg: CompareConfig = { ...COMPARE_PAPER, ...options.config };
  const known = new Set([...TRAINING_DEFENSES.map((d) => d.name), ...POSTHOC_DEFENSES.map((d) => d.name), 'memguard']);
  for (const name of cfg.defenses) {
    if (!known.has(name)) throw new MemGuardInputError(`runCompare: unknown defense ${JSON.stringify(name)}; available: ${[...known].join(', ')}`);
  }
  const outs: CompareOutput[] = [];
  let stackBases: string[] | undefined;
  for (let r = 0; r < repeats; r++) {
    const onProgress = options.onProgress;
    const out = await runOnce({
      ...options,
      onProgress: onProgress && repeats > 1 ? (e) => onProgress({ ...e, stage: `run ${r + 1}/${repeats}: ${e.stage}`, overall: (r + e.overall) / repeats }) : onProgress,
    },
      { ...cfg, seed: cfg.seed + REPEAT_SEED_STRIDE * r }, stackBases);
    stackBases = out.stackBases;
    outs.push(out);
  }
  const timings: Record<string, number> = {};
  for (const o of outs) for (const [k, v] of Object.entries(o.timings)) timings[k] = (timings[k] ?? 0) + v;
  const results = combineCompareRepeats(outs.map((o) => o.results));
  results.config = { ...results.config, seed: cfg.seed };
  return { results, exports: outs[0]!.exports, timings };
}

interface Evaluation {
  k: number;
  evalSet: LabeledConfidenceSet & { vectors: Float32Array };
  shadowSet: LabeledConfidenceSet;
  nn: Mlp[];
  lira?: LiraAttack;
}

function scoresTable(vectors: Float32Array, k: number, isMember: Uint8Array, labels: Int32Array): ScoresTable {
  return { vectors, n: isMember.length, k, member: isMember, label: labels, passthrough: { columns: [], values: [] } };
}

async function runOnce(options: CompareOptions, cfg: CompareConfig, fixedBases?: string[]): Promise<CompareOutput & { stackBases: string[] }> {
  const onProgress = options.onProgress ?? (() => {});
  // Events of stage N count the shares of the stages before it and part of N's own (stages run one after another).
  const progress = (e: Omit<CompareProgress, 'overall'>) => {
    const shares = STAGE_SHARES[cfg.grids];
    const at = Math.min(stageNo, shares.length) - 1;
    const before = shares.slice(0, Math.max(0, at)).reduce((a, b) => a + b, 0);
    onProgress({ ...e, overall: Math.min(1, before + (at >= 0 ? shares[at]! * Math.min(1, e.total > 0 ? e.done / e.total : 0) : 0)) });
  };
  const fitMany = options.fitMany ?? sequentialFit;
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => { const now = performance.now(); timings[name] = (now - clock) / 1000; clock = now; };
  const s = cfg.seed;
  const seeds = {
    target: s, shadow: s + 1, seedFloor: s + 2, defense: s + 3, attackerDefense: s + 4, attack: s + 5, awareAttack: s + 6,
    releaseCoin: s + 7, attackerCoin: s + 8, lira: s + 9, nnRounded: s + 30, nnAt: s + 31, noiseRobustness: s + 32, posthoc: s + 40,
  };
  const attackSeeds = Array.from({ length: Math.max(1, cfg.attackSeeds) }, (_, j) => j * 100);
  const STAGES = 8;
  let stageNo = 0;
  const stage = (name: string) => `stage ${++stageNo}/${STAGES}: ${name}`;

  // Data and roles (design §6), each cut to rowsPerSplit rows.
  const data = options.dataset ?? loadLocation();
  const k = data.classes;
  const splits = options.splits ?? scaledSplits(data.shuffle);
  const part = (rows: Int32Array): Rows => take(data.features, data.labels, rows.subarray(0, Math.min(cfg.rowsPerSplit, rows.length)));
  const members = part(splits.targetTrain), reference = part(splits.targetTest), evalNon = part(splits.evalNonMembers);
  const shadowIn = part(splits.shadowTrain), shadowRef = part(splits.shadowDefenseNonMembers), shadowOut = part(splits.shadowTest);
  const tests = take(data.features, data.labels, testRows(splits, data.n));
  const evalRows = joinRows(members, evalNon);
  const evalIsMember = membershipFlags(members.n, evalNon.n);
  const shadowRows = joinRows(shadowIn, shadowOut);
  const shadowIsMember = membershipFlags(shadowIn.n, shadowOut.n);
  const sizes = [data.d, ...cfg.target.hidden, k];
  lap('data');

  // Training-time settings: the target and the defense-aware shadow of each, trained at once.
  const trainingSettings = TRAINING_DEFENSES.filter((d) => d.name === 'none' || cfg.defenses.includes(d.name))
    .flatMap((d) => (cfg.grids === 'full' ? d.grid : d.quickGrid).map((params) => ({ defense: d, params, id: settingId(d.name, params) })));
  // Trainings report to one stage counter; jobs may arrive while others run (multi-round recipes).
  const tracked = (name: string): FitMany => {
    let done = 0, total = 0;
    return async (jobs) => {
      total += jobs.reduce((n, j) => n + j.options.epochs, 0);
      progress({ stage: name, done, total });
      await fitMany(jobs.map((job) => {
        let seen = 0;
        return {
          ...job, options: { ...job.options, onEpoch: (e) => { done += e.epoch - seen; seen = e.epoch; progress({ stage: name, done, total }); } },
        };
      }));
    };
  };
  const train = (name: string, jobs: FitJob[]) => tracked(name)(jobs);
  const stage1 = stage(`train ${2 * trainingSettings.length + 1} target-sized models${cfg.lira ? ` and ${cfg.lira} LiRA shadows` : ''}`);
  // Stage 1 counts models: every defense's target and shadow, the seed floor, the LiRA shadows.
  let modelsDone = 0;
  const modelsTotal = 2 * trainingSettings.length + 1 + cfg.lira;
  const oneDone = () => progress({ stage: stage1, done: ++modelsDone, total: modelsTotal });
  progress({ stage: stage1, done: 0, total: modelsTotal });
  const fitStage1: FitMany = async (jobs) => { await fitMany(jobs); for (const _ of jobs) oneDone(); };
  const inThread: RecipeRunner = async (task) => {
    const t = await trainTarget({ ...task, fitMany });
    return { model: t.model, params: t.params, ...(t.dp ? { dp: { ...t.dp } } : {}) };
  };
  const runner = options.runRecipe ?? inThread;
  const run: RecipeRunner = async (task) => {
    const produce = async () => {
      const t = await runner(task);
      const text = JSON.stringify({ model: serializePredictor(t.model), params: t.params, dp: t.dp });
      t.model.dispose();
      return text;
    };
    const key = keyOf('recipe', task.defense, task.params ?? {}, task.training, task.seed ?? 0, task.d, task.classes ?? 0,
      task.members.x as Float32Array, task.members.y as Int32Array, (task.reference?.x ?? null) as Float32Array | null, (task.reference?.y ?? null) as Int32Array | null);
    const text = options.store ? await options.store.cachedText(key, produce) : await produce();
    const saved = JSON.parse(text) as { model: unknown; params: TrainedModel['params']; dp?: Record<string, number> };
    oneDone();
    return { model: loadPredictor(saved.model), params: saved.params, ...(saved.dp ? { dp: saved.dp } : {}) };
  };
  const ctx = (seed: number, m: Rows, ref: Rows): TrainContext => ({ d: data.d, classes: k, training: cfg.target, seed, members: m, reference: ref, run });
  const modelPromises = trainingSettings.map(({ defense, params }) => Promise.all([
    defense.train(ctx(seeds.target, members, reference), params),
    defense.train(ctx(seeds.shadow, shadowIn, shadowRef), params),
  ]));
  const seedFloorModel = Mlp.create(sizes, { seed: seeds.seedFloor });
  const seedFloorTrained = fitStage1([{ model: seedFloorModel, x: members.features, y: members.labels, options: recipeFit(cfg.target, seeds.seedFloor) }]);
  const liraPromise = cfg.lira > 0
    ? trainLiraAttack({
      pool: take(data.features, data.labels, (options.splits
        ? Int32Array.from([...splits.shadowTrain, ...splits.shadowDefenseNonMembers, ...splits.shadowTest])
        : rowsAt(data.shuffle, scaledRanges(data.shuffle.length).shadowTrain[0], data.shuffle.length)).subarray(0, 2 * Math.min(cfg.rowsPerSplit, data.n))),
      evaluation: evalRows, sizes, count: cfg.lira, seed: seeds.lira,
      fit: (seed) => recipeFit(cfg.target, seed),
      train: fitStage1,
    })
    : undefined;
  // Every training settles before any error is thrown, so none is left running (or unhandled) behind it.
  const settled = await Promise.allSettled([...modelPromises, seedFloorTrained, ...(liraPromise ? [liraPromise] : [])]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const trained = await Promise.all(modelPromises);
  const models = trained.map(([target, shadow]) => ({ target: target.model, shadow: shadow.model, dp: target.dp }));
  await seedFloorTrained;
  const lira: LiraAttack | undefined = await liraPromise;
  lap('target-sized models');

  const refModel = models[0]!.target, shadowModel = models[0]!.shadow;
  const refEval = refModel.predict(evalRows.features);
  const predictTest = (m: Predictor) => labelAccuracy(m.predict(tests.features), k, tests.labels);
  const refTest = predictTest(refModel);
  const shadowSet: LabeledConfidenceSet = { vectors: shadowModel.predict(shadowRows.features), labels: shadowRows.labels, k, isMember: shadowIsMember };
  const evalSet = { vectors: refEval, labels: evalRows.labels, k, isMember: evalIsMember };

  // Membership classifiers: the NN attack on the undefended shadow and a defense-aware one per training-time setting.
  const attackJob = (mem: Float32Array, non: Float32Array, seed: number, net: Net): FitJob => {
    const { x, y } = membershipTrainingSet(mem, non, k);
    const { model, fit } = membershipClassifierJob(k, { ...recipeFit(net, seed), hidden: net.hidden });
    return { model, x, y, options: fit };
  };
  const nShadowIn = shadowIn.n * k;
  const shadowOutputs = models.map((m) => m.shadow.predict(shadowRows.features));
  const shadowVectors = shadowSet.vectors as Float32Array;
  const nnJobs = attackSeeds.map((j) => attackJob(shadowVectors.subarray(0, nShadowIn), shadowVectors.subarray(nShadowIn), seeds.attack + j, cfg.attack));
  // NN-R: the NN attack on rounded scores, per number of decimals.
  const roundedJobs = (v: Float32Array) => cfg.nnRounded.map((decimals) =>
    attackJob(roundScores(v.subarray(0, nShadowIn), decimals), roundScores(v.subarray(nShadowIn), decimals), seeds.nnRounded, cfg.attack));
  const nnRJobs = roundedJobs(shadowVectors);
  const awareJobs = shadowOutputs.slice(1).map((v) => attackSeeds.map((j) => attackJob(v.subarray(0, nShadowIn), v.subarray(nShadowIn), seeds.awareAttack + j, cfg.attack)));
  const awareRJobs = shadowOutputs.slice(1).map((v) => roundedJobs(v));
  await train(stage(`train ${nnJobs.length + nnRJobs.length + awareJobs.flat().length + awareRJobs.flat().length} NN attacks`),
    [...nnJobs, ...nnRJobs, ...awareJobs.flat(), ...awareRJobs.flat()]);
  const nn = nnJobs.map((j) => j.model);
  lap('NN attacks');

  // NN-AT (undefended shadow), one network per radius: design §11's rho = the defense's epsilon for MemGuard, 0.3 for the others.
  const budgeted = cfg.defenses.some((d) => ['memguard', 'uniform', 'temperature'].includes(d));
  const radii = cfg.nnAt ? [...new Set([NN_AT_DEFAULTS.rho, ...(budgeted ? cfg.epsilons : [])])] : [];
  const nnAt = new Map<number, Mlp>();
  const nnAtStage = stage(`train ${radii.length} NN-AT attacks (in this thread)`);
  radii.forEach((rho, i) => {
    progress({ stage: nnAtStage, done: i, total: radii.length });
    const { epochs, learningRate, batchSize, schedule, seed } = recipeFit(cfg.attack, seeds.nnAt);
    const settings = { hidden: cfg.attack.hidden, epochs, learningRate, batchSize, schedule, seed, rho, steps: cfg.nnAt!.steps };
    const mem = shadowVectors.subarray(0, nShadowIn), non = shadowVectors.subarray(nShadowIn);
    const trainIt = () => trainAdversarialNnAttack(mem, non, k, settings);
    nnAt.set(rho, options.store ? options.store.cached(keyOf('nn-at', mem, non, k, settings), trainIt, (layers) => Mlp.fromParameters(layers)) : trainIt());
  });
  progress({ stage: nnAtStage, done: radii.length, total: radii.length });
  lap('NN-AT');

  const oracle = (m: Predictor) => (m instanceof Mlp ? m : (x: Float32Array) => predictedLabels(m.predict(x), k));
  // Label-only noise robustness: calibrated on the undefended shadow model, then run on each deployed model.
  const noise = cfg.noiseRobustness;
  const calibration = noise ? (() => {
    const c = Math.min(noise.calibrationRows, shadowIn.n, shadowOut.n);
    return calibrateNoiseRobustness(oracle(shadowModel), {
      features: concat(shadowIn.features.subarray(0, c * data.d), shadowOut.features.subarray(0, c * data.d)),
      labels: Int32Array.from([...shadowIn.labels.subarray(0, c), ...shadowOut.labels.subarray(0, c)]), d: data.d, isMember: membershipFlags(c, c),
    }, { copies: noise.copies, seed: seeds.noiseRobustness });
  })() : undefined;
  const noiseOn = (m: Predictor): AttackResult[] => (calibration
    ? [noiseRobustnessAttack(oracle(m), calibration, { features: evalRows.features, labels: evalRows.labels, d: data.d }, { seed: seeds.noiseRobustness + 1 })]
    : []);
  const ev: Evaluation = { k, evalSet, shadowSet, nn, lira };

  const rounded = (jobs: FitJob[], suffix: string) => Object.fromEntries(jobs.map((j, i) =>
    [`nn-r${cfg.nnRounded[i]}${suffix}`, (v: Float32Array) => roundedNnAttack({ model: j.model, decimals: cfg.nnRounded[i]! }, v)]));
  /** Every attack on one release: naive (undefended shadow) and defense-aware; `labelOnly`: the label-only results of the deployed model; `rho`: NN-AT's radius. */
  const attacksOn = (released: ReleasedSet, labelOnly: AttackResult[], rho: number, aware?: { shadow: LabeledConfidenceSet; nn: Mlp[]; rounded: FitJob[] }): Record<string, AttackSummary> => {
    const at = nnAt.get(rho);
    const out = runAttackSuite(ev.shadowSet, released, { nn: ev.nn, ...(at ? { 'nn-at': [at] } : {}) }, ev.lira, { vectorAttacks: rounded(nnRJobs, ''), labelOnly });
    const a = aware ? runAttackSuite(aware.shadow, released, { 'nn/defense-aware': aware.nn }, undefined, { vectorAttacks: rounded(aware.rounded, '') }) : undefined;
    for (const [id, summary] of Object.entries(a ?? out)) {
      if (isUpperBound(id) || LABEL_ONLY_ATTACKS.includes(id) || id === 'lira' || id === 'nn-at') continue;
      out[id === 'nn' || id === 'nn/defense-aware' ? 'nn/defense-aware' : `${id}/defense-aware`] = summary;
    }
    return out;
  };
  const entries: CompareEntry[] = [];
  const exports: CompareExport[] = [
    { path: 'released/reference.csv', table: scoresTable(refEval, k, evalIsMember, evalRows.labels) },
    { path: 'released/shadow-reference.csv', table: scoresTable(shadowSet.vectors as Float32Array, k, shadowIsMember, shadowRows.labels) },
  ];
  const addEntry = (entry: CompareEntry, released: Float32Array) => {
    entries.push(entry);
    exports.push({ path: `released/${entry.id}.csv`, table: scoresTable(released, k, evalIsMember, evalRows.labels) });
  };

  // Training-time settings (the first is 'none', the undefended reference itself).
  progress({ stage: stage('attack the training-time defenses'), done: 0, total: trainingSettings.length });
  const evalOutputs = models.map((m) => m.target.predict(evalRows.features));
  const labelOnlyOf = new Map<string, AttackResult[]>();
  trainingSettings.forEach((setting, i) => {
    const vectors = evalOutputs[i]!;
    const aware = i === 0 ? undefined : { shadow: { ...shadowSet, vectors: shadowOutputs[i]! }, nn: awareJobs[i - 1]!.map((j) => j.model), rounded: awareRJobs[i - 1]! };
    const labelOnly = noiseOn(models[i]!.target);
    labelOnlyOf.set(setting.id, labelOnly);
    const attacks = attacksOn({ clean: { ...evalSet, vectors } }, labelOnly, NN_AT_DEFAULTS.rho, aware);
    addEntry({
      id: setting.id, defense: setting.defense.name, params: setting.params,
      utility: { ...distortionAndLabelLoss({ vectors }, refEval, k), testAccuracy: predictTest(models[i]!.target) }, attacks,
      ...(models[i]!.dp ? { dp: models[i]!.dp } : {}),
    }, vectors);
    progress({ stage: `stage ${stageNo}/${STAGES}: attack the training-time defenses`, done: i + 1, total: trainingSettings.length });
  });
  const seedVectors = seedFloorModel.predict(evalRows.features);
  const seedFloor = {
    ...distortionAndLabelLoss({ vectors: seedVectors }, refEval, k), testAccuracy: predictTest(seedFloorModel), referenceTestAccuracy: refTest,
    attacks: attacksOn({ clean: { ...evalSet, vectors: seedVectors } }, noiseOn(seedFloorModel), NN_AT_DEFAULTS.rho),
  };
  lap('training-time defenses');

  // Post-hoc rivals on the reference model; the defense-aware attacker post-processes its shadow the same way.
  const refLogits = refModel.logits(evalRows.features), shadowLogits = shadowModel.logits(shadowRows.features);
  const posthoc = POSTHOC_DEFENSES.filter((d) => cfg.defenses.includes(d.name))
    .flatMap((d) => (cfg.grids === 'full' ? d.grid(cfg.epsilons) : d.quickGrid(cfg.epsilons)).map((params) => ({ d, params })));
  const refTestLogits = refModel.logits(tests.features);
  // The attacker post-processes its own shadow model's outputs the same way (HAMP: with its shadow model and data).
  const shadowMlp = shadowModel instanceof Mlp ? shadowModel : undefined, refMlp = refModel instanceof Mlp ? refModel : undefined;
  const posthocCtx = (logits: Float32Array, model: Mlp | undefined, marginals: Float32Array, seed: number) => ({ logits, k, seed, model: model!, marginals });
  const posthocShadow = posthoc.map(({ d, params }) => d.release(posthocCtx(shadowLogits, shadowMlp, shadowIn.features, seeds.posthoc + 1), params));
  const posthocAware: FitJob[][] = posthocShadow.map((v) => attackSeeds.map((j) => attackJob(v.subarray(0, nShadowIn), v.subarray(nShadowIn), seeds.awareAttack + j, cfg.attack)));
  const posthocAwareR = posthocShadow.map((v) => roundedJobs(v));
  if (posthoc.length) await train(stage(`post-hoc rivals: train ${posthocAware.flat().length + posthocAwareR.flat().length} defense-aware attacks`), [...posthocAware.flat(), ...posthocAwareR.flat()]);
  else stageNo++;
  posthoc.forEach(({ d, params }, i) => {
    const vectors = d.release(posthocCtx(refLogits, refMlp, members.features, seeds.posthoc), params);
    const rho = typeof params.epsilon === 'number' && nnAt.has(params.epsilon) ? params.epsilon : NN_AT_DEFAULTS.rho;
    const attacks = attacksOn({ clean: { ...evalSet, vectors } }, labelOnlyOf.get('none')!, rho,
      { shadow: { ...shadowSet, vectors: posthocShadow[i]! }, nn: posthocAware[i]!.map((j) => j.model), rounded: posthocAwareR[i]! });
    const testReleased = d.release(posthocCtx(refTestLogits, refMlp, members.features, seeds.posthoc + 2), params);
    addEntry({
      id: settingId(d.name, params), defense: d.name, params,
      utility: { ...distortionAndLabelLoss({ vectors }, refEval, k), testAccuracy: labelAccuracy(testReleased, k, tests.labels) }, attacks,
    }, vectors);
  });
  lap('post-hoc rivals');

  // MemGuard on the reference model and on top of the strongest training-time defenses.
  const stackBases = fixedBases ?? (cfg.defenses.includes('memguard') ? pickStackBases(entries, refTest, cfg.stackOn) : []);
  const bases = cfg.defenses.includes('memguard') ? ['none', ...stackBases] : [];
  const baseIndex = bases.map((id) => trainingSettings.findIndex((t) => t.id === id));
  const gJobs = baseIndex.map((i) => {
    const t = models[i]!.target, sh = models[i]!.shadow;
    const own = attackJob(t.predict(members.features), t.predict(reference.features), seeds.defense, cfg.defense);
    const attackers = attackJob(sh.predict(shadowIn.features), sh.predict(shadowRef.features), seeds.attackerDefense, cfg.defense);
    return { own, attackers };
  });
  if (gJobs.length) await train(stage(`MemGuard: train ${2 * gJobs.length} defense classifiers`), gJobs.flatMap((g) => [g.own, g.attackers]));
  else stageNo++;
  const searches = baseIndex.map((i, b) => {
    progress({ stage: `stage ${stageNo}/${STAGES}: MemGuard: Phase I`, done: b, total: baseIndex.length });
    const t = models[i]!.target, sh = models[i]!.shadow;
    const g = gJobs[b]!.own.model, g2 = gJobs[b]!.attackers.model;
    const search = new MemGuard({ defenseClassifier: g, epsilon: 0, method: cfg.method, coin: { mode: 'expectation' } }).search(t.logits(evalRows.features), 'logits');
    const attackerSearch = new MemGuard({ defenseClassifier: g2, epsilon: 0, method: cfg.method, coin: { mode: 'expectation' } }).search(sh.logits(shadowRows.features), 'logits');
    return { search, attackerSearch, g, g2 };
  });
  const grid = cfg.mixingModes.flatMap((mixing) => cfg.epsilons.map((epsilon) => ({ mixing, epsilon })));
  const defendedShadows = searches.map(({ attackerSearch, g2 }) => grid.map(({ mixing, epsilon }) =>
    new MemGuard({ defenseClassifier: g2, epsilon, mixing, method: cfg.method, coin: { mode: 'seed', seed: seeds.attackerCoin } }).releaseSearch(attackerSearch, { epsilon }).released));
  const mgAware = defendedShadows.map((list) => list.map((v) => attackSeeds.map((j) => attackJob(v.subarray(0, nShadowIn), v.subarray(nShadowIn), seeds.awareAttack + j, cfg.attack))));
  const mgAwareR = defendedShadows.map((list) => list.map((v) => roundedJobs(v)));
  if (mgAware.length) await train(stage(`MemGuard: train ${mgAware.flat(2).length + mgAwareR.flat(2).length} defense-aware attacks`), [...mgAware.flat(2), ...mgAwareR.flat(2)]);
  else stageNo++;
  const releaseStage = stage('MemGuard: release and attack every setting');
  searches.forEach(({ search, g }, b) => {
    progress({ stage: releaseStage, done: b, total: searches.length });
    const i = baseIndex[b]!;
    const base = trainingSettings[i]!;
    const testAccuracy = predictTest(models[i]!.target);
    grid.forEach(({ mixing, epsilon }, j) => {
      const expectation = new MemGuard({ defenseClassifier: g, epsilon, mixing, method: cfg.method, coin: { mode: 'expectation' } }).releaseSearch(search, { epsilon });
      const sampled = new MemGuard({ defenseClassifier: g, epsilon, mixing, method: cfg.method, coin: { mode: 'seed', seed: seeds.releaseCoin } }).releaseSearch(search, { epsilon });
      const clean = { ...evalSet, vectors: search.scores };
      // MemGuard keeps every label, so a label-only attack sees its base model exactly.
      const attacks = attacksOn({ clean, noisy: expectation.noisy, p: expectation.mixProbability, sampled: sampled.released }, labelOnlyOf.get(base.id)!, epsilon,
        { shadow: { ...shadowSet, vectors: defendedShadows[b]![j]! }, nn: mgAware[b]![j]!.map((x) => x.model), rounded: mgAwareR[b]![j]! });
      const release: Release = { vectors: search.scores, noisy: expectation.noisy, p: expectation.mixProbability };
      const defense = base.id === 'none' ? 'memguard' : `memguard+${base.defense.name}`;
      const params: DefenseParams = { ...base.params, mixing, epsilon };
      addEntry({
        id: settingId(defense, params), defense, params,
        utility: {
          ...distortionAndLabelLoss(release, refEval, k), testAccuracy,
          sampledDistortion: distortionAndLabelLoss({ vectors: sampled.released }, refEval, k).distortion,
        },
        attacks,
      }, sampled.released);
    });
  });
  lap('MemGuard');

  const none = entries[0]!;
  const results: CompareResults = {
    kind: 'compare', version: 1,
    title: data.name === LOCATION_NAME ? 'MemGuard against every rival at matched utility, on Location' : `MemGuard against every rival at matched utility, on ${data.name ?? 'a user dataset'}`,
    createdAt: new Date().toISOString(),
    config: {
      dataset: data.name ?? 'user dataset', seed: cfg.seed, seeds, rowsPerSplit: cfg.rowsPerSplit, target: cfg.target, defense: cfg.defense, attack: cfg.attack,
      attackSeeds: attackSeeds.length, epsilons: cfg.epsilons, mixingModes: cfg.mixingModes, method: cfg.method, defenses: cfg.defenses,
      stackOn: stackBases, lira: cfg.lira, grids: cfg.grids, nnAt: cfg.nnAt, nnRounded: cfg.nnRounded, noiseRobustness: cfg.noiseRobustness,
      ...(calibration ? { noiseRobustnessCalibration: { level: calibration.level, threshold: calibration.threshold, shadowAccuracy: calibration.shadowAccuracy } } : {}), testRows: tests.n, engine: seedFloorModel.engine.build,
      splitSizes: Object.fromEntries(Object.entries(splits).map(([role, rows]) => [role, Math.min(cfg.rowsPerSplit, rows.length)])),
    },
    reference: { trainAccuracy: labelAccuracy(refModel.predict(members.features), k, members.labels), testAccuracy: refTest },
    defenses: entries,
    seedFloor,
    labelOnlyFloor: labelOnlyFloor(none.attacks),
    notes: [
      `Distortion: mean ||s_released - s_ref||_1 over the ${evalIsMember.length} evaluation queries against one undefended reference model (MemGuard: in expectation over its coin; released/<id>.csv holds one sampled release, its distortion is utility.sampledDistortion). Test accuracy on ${tests.n} rows no role of the target uses.`,
      `Attack ids ending in /defense-aware use a shadow model defended the same way (trained with the same defense and knob, or post-processed the same way; MemGuard: the attacker's own defense classifier). Metric attacks are calibrated on the shadow's outputs; NN attacks are the mean of ${attackSeeds.length} seed${attackSeeds.length === 1 ? '' : 's'}.`,
      ...(cfg.lira > 0 ? [`lira: offline LiRA with ${cfg.lira} undefended shadow models (not defense-aware).`] : []),
    ],
  };
  for (const m of models) { m.target.dispose(); m.shadow.dispose(); }
  seedFloorModel.dispose();
  for (const j of [...nnJobs, ...nnRJobs, ...awareJobs.flat(), ...awareRJobs.flat(), ...posthocAware.flat(), ...posthocAwareR.flat(),
    ...gJobs.flatMap((g) => [g.own, g.attackers]), ...mgAware.flat(2), ...mgAwareR.flat(2)]) j.model.dispose();
  for (const m of nnAt.values()) m.dispose();
  return { results, exports, timings, stackBases };
}

/**
 * The strongest training-time settings MemGuard is stacked on: distinct defenses, each its setting
 * with the weakest strongest attack among those losing at most 3 points of test accuracy.
 */
export function pickStackBases(entries: CompareEntry[], referenceTest: number, count: number): string[] {
  const best = new Map<string, CompareEntry>();
  for (const e of entries) {
    if (e.defense === 'none' || e.utility.testAccuracy < referenceTest - 0.03) continue;
    const cur = best.get(e.defense);
    if (!cur || strongestAccuracy(e.attacks) < strongestAccuracy(cur.attacks)) best.set(e.defense, e);
  }
  return [...best.values()].sort((a, b) => strongestAccuracy(a.attacks) - strongestAccuracy(b.attacks)).slice(0, count).map((e) => e.id);
}
