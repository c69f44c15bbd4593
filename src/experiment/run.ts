// The paper's experiment (design §6), end to end, on Location or any labelled dataset: target, defense
// classifier, shadow and NN attack; Phase I once, Phase II at every epsilon and mixing mode; the
// honest attack suite; the defense-aware attacker. Returns everything the report and the exports
// need. Seeded throughout; `runRepeated` reruns it with independent seeds.
import { labelAccuracy, predictedLabels, topConfidenceHistogram, type LabeledConfidenceSet } from '../attacks/confidence.js';
import { accuracy } from '../attacks/metrics.js';
import { adversarialTraining, NN_AT_DEFAULTS } from '../attacks/nnAdversarial.js';
import { roundedNnAttack, roundScores, type RoundedNnAttack } from '../attacks/nnRounded.js';
import { calibrateNoiseRobustness, noiseRobustnessAttack, type NoiseRobustnessCalibration } from '../attacks/noiseRobustness.js';
import type { AttackResult } from '../attacks/metricAttacks.js';
import { runAttackSuite } from '../attacks/suite.js';
import type { ScoresTable } from '../data/csv/scores.js';
import { LOCATION_NAME, loadLocation, type Dataset } from '../data/datasets.js';
import { rowsAt, scaledRanges, scaledSplits, take, type Splits } from '../data/splits.js';
import { MemGuardInputError } from '../errors.js';
import type { LiraAttack } from '../attacks/lira.js';
import { trainLiraAttack } from './lira.js';
import { MemGuard } from '../memguard/memguard.js';
import { membershipClassifierJob, membershipProbability, membershipTrainingSet, type MembershipClassifierOptions } from '../memguard/defenseClassifier.js';
import type { Phase1Method, Phase1Options } from '../memguard/phase1.js';
import { Mlp, type FitJob, type FitOptions } from '../nn/mlp.js';
import { NEAR_DUPLICATE_DEFAULTS, runNearDuplicates, type NearDuplicateConfig, type NearDuplicateResult } from './nearDuplicates.js';
import { runTimingLeakage, type TimingResult } from './timing.js';
import { combineRepeats } from './repeats.js';
import type { EpsilonResult, EvaluationResults, MixingMode, PublishedResult } from './results.js';

/**
 * How one model of the experiment is trained (SGD with step decay).
 *
 * @example
 * const target: TrainingConfig & { hidden: number[] } = { hidden: [64], epochs: 10, learningRate: 0.05, batchSize: 64, milestones: [], gamma: 1 };
 * const config: Partial<ExperimentConfig> = { target };
 */
export interface TrainingConfig {
  epochs: number;
  learningRate: number;
  batchSize: number;
  /** Step decay (rate x gamma from each milestone epoch on). */
  milestones: number[];
  gamma: number;
}

/**
 * The whole experiment of design §6: epsilons, mixing rules, seeds, sizes and each model's training.
 *
 * @example
 * const config: ExperimentConfig = { ...PAPER_CONFIG, epsilons: [0, 0.5, 1], mixingModes: ['exact'] };
 */
export interface ExperimentConfig {
  seed: number;
  epsilons: number[];
  mixingModes: MixingMode[];
  method: Phase1Method;
  /** Phase I search settings (MemGuardOptions.search) for the defender and the defense-aware attacker; default the library's. */
  search?: Phase1Options;
  /** Train a defense-aware attacker per (epsilon, mixing) (the costliest part). */
  defenseAware: boolean;
  /**
   * NN attacks (naive and defense-aware) are trained with this many seeds and reported as the mean
   * of their metrics, as the reference evaluations do (one attack seed is noisy).
   */
  attackSeeds: number;
  /**
   * Offline LiRA shadow models (0 = no LiRA): each of the target's architecture and training,
   * on a random half of the attacker's pool, the first 2 x rowsPerSplit positions from the
   * shadow model's start ([3000, 5000) at paper settings; with explicit splits, the attacker's
   * three roles).
   */
  lira: number;
  /** Most rows used per role (design §6 sizes unless smaller, for --quick; Infinity: every row of the split). */
  rowsPerSplit: number;
  target: TrainingConfig & { hidden: number[] };
  defense: TrainingConfig & { hidden: number[] };
  attack: TrainingConfig & { hidden: number[] };
  /** The near-duplicate query attack (design §7), or null to skip it. */
  nearDuplicates: NearDuplicateConfig | null;
  /** Measure the timing channel (design §7) of the default, literal and fixed-work searches. */
  timing: boolean;
  /**
   * NN-AT (design §11), one attack seed: the NN attack adversarially trained with rho = epsilon at
   * each epsilon > 0 (at most 2) and rho = `NN_AT_DEFAULTS.rho` undefended; `steps` per search. null: skip.
   */
  nnAt: { steps: number } | null;
  /** NN-R (design §11), one attack seed per entry: the NN attack on scores rounded to these decimals. */
  nnRounded: number[];
  /**
   * The label-only noise-robustness attack (design §11), or null to skip it: `copies` noisy queries
   * per record; calibrated on up to `calibrationRows` shadow members and as many non-members.
   */
  noiseRobustness: { copies: number; calibrationRows: number } | null;
}

/**
 * design §6 with paper hyperparameters.
 *
 * @example
 * console.log(PAPER_CONFIG.epsilons, PAPER_CONFIG.target.epochs); // [0, 0.1, 0.3, 0.5, 0.7, 1] 200
 */
export const PAPER_CONFIG: ExperimentConfig = Object.freeze({
  seed: 1,
  epsilons: [0, 0.1, 0.3, 0.5, 0.7, 1.0],
  mixingModes: ['paper', 'exact'] as MixingMode[],
  method: 'logits' as Phase1Method,
  defenseAware: true,
  attackSeeds: 3,
  lira: 0,
  rowsPerSplit: 1000,
  target: { hidden: [1024, 512, 256, 128], epochs: 200, learningRate: 0.01, batchSize: 64, milestones: [150], gamma: 0.1 },
  defense: { hidden: [256, 128, 64], epochs: 400, learningRate: 0.001, batchSize: 64, milestones: [], gamma: 1 },
  attack: { hidden: [512, 256, 128], epochs: 400, learningRate: 0.01, batchSize: 64, milestones: [300], gamma: 0.1 },
  nearDuplicates: NEAR_DUPLICATE_DEFAULTS,
  timing: true,
  nnAt: { steps: NN_AT_DEFAULTS.steps },
  nnRounded: [1, 2],
  noiseRobustness: { copies: 100, calibrationRows: 250 },
});

/** The MemGuard paper's NN-attack accuracy on Location (design §6), not defense-aware. */
export const PUBLISHED_LOCATION: PublishedResult = Object.freeze({
  attack: 'nn',
  source: 'Jia et al., MemGuard (CCS 2019), NN attack on Location; reproduction target ±0.03 (docs/evaluating.md)',
  points: [[0, 0.73], [0.1, 0.69], [0.3, 0.62], [0.5, 0.55], [0.7, 0.52], [1.0, 0.50]].map(([epsilon, accuracy]) => ({ epsilon: epsilon!, accuracy: accuracy! })),
  tolerance: 0.03,
});

/**
 * A small smoke version (seconds, not minutes): same pipeline, fewer rows, epochs and epsilons.
 *
 * @example
 * const config = { ...QUICK_CONFIG, epsilons: [0.5], mixingModes: ['paper' as const], defenseAware: false, rowsPerSplit: 60 }; // a toy run
 * const { results } = await runExperiment({ config }); // seconds: the same pipeline, smaller
 */
export const QUICK_CONFIG: ExperimentConfig = Object.freeze({
  ...PAPER_CONFIG,
  epsilons: [0, 0.5, 1],
  rowsPerSplit: 200,
  target: { hidden: [256, 128], epochs: 30, learningRate: 0.05, batchSize: 64, milestones: [], gamma: 1 },
  defense: { hidden: [64, 32], epochs: 40, learningRate: 0.05, batchSize: 64, milestones: [], gamma: 1 },
  attack: { hidden: [64, 32], epochs: 40, learningRate: 0.05, batchSize: 64, milestones: [], gamma: 1 },
  nearDuplicates: { ...NEAR_DUPLICATE_DEFAULTS, records: 20, copies: [1, 10] },
  noiseRobustness: { copies: 20, calibrationRows: 100 },
});

/** Seeds of the repeated trainings of one NN attack are this far apart. */
const ATTACK_SEED_STRIDE = 100;

/**
 * Progress of `runExperiment`: a stage name and how far it is.
 *
 * @example
 * const config = { ...QUICK_CONFIG, epsilons: [0.5], mixingModes: ['paper' as const], defenseAware: false, rowsPerSplit: 60 }; // a toy run
 * await runExperiment({ config, onProgress: (e: ProgressEvent) => console.log(e.stage, e.done, e.total) });
 */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
}

/**
 * What `runExperiment` runs on: config overrides, the dataset, progress, how to train models.
 *
 * @example
 * const config = { ...QUICK_CONFIG, epsilons: [0.5], mixingModes: ['paper' as const], defenseAware: false, rowsPerSplit: 60 }; // a toy run
 * // fitMany: how to train independent models; e.g. (jobs) => fitParallel(jobs) from 'memguard/node' (worker threads)
 * const fitMany = async (jobs: FitJob[]) => { for (const job of jobs) job.model.fit(job.x, job.y, job.options); };
 * const options: ExperimentOptions = { config, fitMany };
 * const out = await runExperiment(options);
 */
export interface ExperimentOptions {
  config?: Partial<ExperimentConfig>;
  /** The dataset (default: the bundled Location). */
  dataset?: Dataset;
  /**
   * Row indices per role (default: the design §6 positions scaled to the dataset's size, read through
   * its shuffle permutation; exactly design §6 on Location).
   */
  splits?: Splits;
  /** Called as each stage advances (training epochs, Phase I rows, attacks). */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Trains independent models concurrently (e.g. `fitParallel` over worker threads); resolves when
   * every model is trained in place, each exactly as `job.model.fit(job.x, job.y, job.options)`
   * would. Default: one after another in this thread.
   */
  fitMany?: (jobs: FitJob[]) => Promise<unknown>;
}

/**
 * One CSV export: its path under the output folder and its rows.
 *
 * @example
 * const config = { ...QUICK_CONFIG, epsilons: [0.5], mixingModes: ['paper' as const], defenseAware: false, rowsPerSplit: 60 }; // a toy run
 * const { exports } = await runExperiment({ config });
 * for (const e of exports as ReleasedExport[]) console.log(e.path, e.table.n); // released/*.csv and their rows
 */
export interface ReleasedExport {
  path: string;
  table: ScoresTable;
}

/**
 * What `runExperiment` returns: the results, the trained models, the released-vector exports, timings.
 *
 * @example
 * const config = { ...QUICK_CONFIG, epsilons: [0.5], mixingModes: ['paper' as const], defenseAware: false, rowsPerSplit: 60 }; // a toy run
 * const out: ExperimentOutput = await runExperiment({ config });
 * console.log(out.results.runs.length, Object.keys(out.models), out.exports.length, out.timings);
 */
export interface ExperimentOutput {
  results: EvaluationResults;
  models: { target: Mlp; shadow: Mlp; defense: Mlp; attack: Mlp };
  exports: ReleasedExport[];
  /** Wall-clock seconds per stage. */
  timings: Record<string, number>;
}

const sequentialFit: NonNullable<ExperimentOptions['fitMany']> = async (jobs) => {
  for (const job of jobs) job.model.fit(job.x, job.y, job.options);
};

/** A membership classifier (defense classifier or NN attack) as a FitJob. */
function membershipJob(members: Float32Array, nonMembers: Float32Array, k: number, t: TrainingConfig & { hidden: number[] }, seed: number): FitJob {
  const { x, y } = membershipTrainingSet(members, nonMembers, k);
  const { model, fit } = membershipClassifierJob(k, membershipOptions(t, seed));
  return { model, x, y, options: fit };
}

function fitOptions(t: TrainingConfig, seed: number): FitOptions {
  return {
    epochs: t.epochs, learningRate: t.learningRate, batchSize: t.batchSize, seed, optimizer: 'sgd',
    schedule: t.milestones.length ? { milestones: t.milestones, gamma: t.gamma } : undefined,
  };
}

function membershipOptions(t: TrainingConfig & { hidden: number[] }, seed: number): MembershipClassifierOptions {
  return { ...fitOptions(t, seed), hidden: t.hidden };
}

/** Concatenates row-major blocks. */
function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function concatFlags(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function membership(nMembers: number, nNonMembers: number): Uint8Array {
  return new Uint8Array(nMembers + nNonMembers).fill(1, 0, nMembers);
}

function scoresTable(vectors: Float32Array, k: number, isMember: Uint8Array, labels: Int32Array): ScoresTable {
  return { vectors, n: isMember.length, k, member: isMember, label: labels, passthrough: { columns: [], values: [] } };
}

/**
 * Runs the whole experiment.
 *
 * @example
 * const config = { ...QUICK_CONFIG, epsilons: [0.5], mixingModes: ['paper' as const], defenseAware: false, rowsPerSplit: 60 }; // a toy run
 * const out = await runExperiment({ config });            // the bundled Location data by default
 * console.log(formatConsoleTable(out.results));
 */
export async function runExperiment(options: ExperimentOptions = {}): Promise<ExperimentOutput> {
  const cfg: ExperimentConfig = { ...PAPER_CONFIG, ...options.config };
  const progress = options.onProgress ?? (() => {});
  const fitMany = options.fitMany ?? sequentialFit;
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => { const now = performance.now(); timings[name] = (now - clock) / 1000; clock = now; };
  const seeds = {
    target: cfg.seed, shadow: cfg.seed + 1, defense: cfg.seed + 2, attack: cfg.seed + 3,
    attackerDefense: cfg.seed + 4, defenseAwareAttack: cfg.seed + 5, releaseCoin: cfg.seed + 6, attackerCoin: cfg.seed + 7,
    lira: cfg.seed + 8, nnRounded: cfg.seed + 10, nnAt: cfg.seed + 11, noiseRobustness: cfg.seed + 12,
  };
  // Attack seed j of an NN attack: its base seed + ATTACK_SEED_STRIDE * j (clear of the other seeds).
  const attackSeeds = Array.from({ length: Math.max(1, cfg.attackSeeds) }, (_, j) => j * ATTACK_SEED_STRIDE);

  // Data and splits (design §6), each role cut to rowsPerSplit rows.
  const data = options.dataset ?? loadLocation();
  const k = data.classes;
  const splits = options.splits ?? scaledSplits(data.shuffle);
  const part = (rows: Int32Array) => take(data.features, data.labels, rows.subarray(0, Math.min(cfg.rowsPerSplit, rows.length)));
  const members = part(splits.targetTrain), targetTest = part(splits.targetTest), evalNon = part(splits.evalNonMembers);
  const shadowIn = part(splits.shadowTrain), shadowDefNon = part(splits.shadowDefenseNonMembers), shadowOut = part(splits.shadowTest);
  lap('data');

  // Target and shadow models: independent, so trained concurrently when fitMany allows.
  // `alongside`: trainings that run in this thread, an epoch at a time, while fitMany trains the jobs
  // (on the worker pool when there is one), so neither waits for the other.
  const train = async (stage: string, jobs: FitJob[], alongside: Array<{ epochs: number; run: Generator<number, Mlp, void> }> = []) => {
    const epochs = [...jobs, ...alongside].map(() => 0);
    const total = jobs.reduce((n, j) => n + j.options.epochs, 0) + alongside.reduce((n, a) => n + a.epochs, 0);
    const report = () => progress({ stage, done: epochs.reduce((a, b) => a + b, 0), total });
    report();
    const pooled = fitMany(jobs.map((job, i) => ({
      ...job,
      options: { ...job.options, onEpoch: (e) => { epochs[i] = e.epoch; report(); } },
    })));
    const here: Mlp[] = [];
    for (const [i, a] of alongside.entries()) {
      for (let step = a.run.next(); ; step = a.run.next()) {
        if (step.done) { here.push(step.value); break; }
        epochs[jobs.length + i] = step.value;
        report();
        await new Promise((resolve) => setImmediate(resolve)); // let the pool's messages through
      }
    }
    await pooled;
    return here;
  };
  const sizes = [data.d, ...cfg.target.hidden, k];
  const target = Mlp.create(sizes, { seed: seeds.target });
  const shadow = Mlp.create(sizes, { seed: seeds.shadow });
  await train('train target and shadow models', [
    { model: target, x: members.features, y: members.labels, options: fitOptions(cfg.target, seeds.target) },
    { model: shadow, x: shadowIn.features, y: shadowIn.labels, options: fitOptions(cfg.target, seeds.shadow) },
  ]);
  lap('target and shadow models');

  // Offline LiRA: the attacker's N shadow models, queried on the evaluation records.
  let lira: LiraAttack | undefined;
  if (cfg.lira > 0) {
    // The attacker's data: from the shadow model's first position to the end of the shuffle, or the
    // attacker's own roles when the split is given explicitly.
    const poolRows = options.splits
      ? Int32Array.from([...splits.shadowTrain, ...splits.shadowDefenseNonMembers, ...splits.shadowTest])
      : rowsAt(data.shuffle, scaledRanges(data.shuffle.length).shadowTrain[0], data.shuffle.length);
    const pool = take(data.features, data.labels, poolRows.subarray(0, Math.min(poolRows.length, 2 * cfg.rowsPerSplit)));
    const evaluation = { features: concat(members.features, evalNon.features), labels: Int32Array.from([...members.labels, ...evalNon.labels]), n: members.n + evalNon.n };
    lira = await trainLiraAttack({
      pool, evaluation, sizes, count: cfg.lira, seed: seeds.lira,
      fit: (seed) => fitOptions(cfg.target, seed),
      train: (jobs) => train(`train ${cfg.lira} LiRA shadow models`, jobs),
    });
    lap('LiRA shadow models');
  }

  const sMembers = target.predict(members.features), sTargetTest = target.predict(targetTest.features);
  const sEvalNon = target.predict(evalNon.features);
  const zEval = concat(target.logits(members.features), target.logits(evalNon.features));
  const shMembers = shadow.predict(shadowIn.features), shDefNon = shadow.predict(shadowDefNon.features);
  const shOut = shadow.predict(shadowOut.features);
  const zShadow = concat(shadow.logits(shadowIn.features), shadow.logits(shadowOut.features));

  // The defender's classifier g, the attacker's NN attack, and (defense-aware) the attacker's own g'.
  const classifierJobs = [membershipJob(sMembers, sTargetTest, k, cfg.defense, seeds.defense)];
  if (cfg.defenseAware) classifierJobs.push(membershipJob(shMembers, shDefNon, k, cfg.defense, seeds.attackerDefense));
  const attackJobs = attackSeeds.map((j) => membershipJob(shMembers, shOut, k, cfg.attack, seeds.attack + j));
  const roundedJobs = cfg.nnRounded.map((decimals) =>
    membershipJob(roundScores(shMembers, decimals), roundScores(shOut, decimals), k, cfg.attack, seeds.nnRounded));
  await train('train defense classifier and NN attack', [...classifierJobs, ...attackJobs, ...roundedJobs]);
  const rounded: RoundedNnAttack[] = roundedJobs.map((job, i) => ({ model: job.model, decimals: cfg.nnRounded[i]! }));
  const defense = classifierJobs[0]!.model, attackerDefense = classifierJobs[1]?.model;
  const nnModels = attackJobs.map((job) => job.model), attack = nnModels[0]!;
  lap('defense classifier and NN attack');

  // Evaluation set: members then non-members, in split order.
  const evalS = concat(sMembers, sEvalNon);
  const evalLabels = Int32Array.from([...members.labels, ...evalNon.labels]);
  const evalIsMember = membership(members.n, evalNon.n);
  const clean: LabeledConfidenceSet & { vectors: Float32Array } = { vectors: evalS, labels: evalLabels, k, isMember: evalIsMember };
  const shadowS = concat(shMembers, shOut);
  const shadowLabels = Int32Array.from([...shadowIn.labels, ...shadowOut.labels]);
  const shadowIsMember = membership(shadowIn.n, shadowOut.n);
  const shadowSet: LabeledConfidenceSet = { vectors: shadowS, labels: shadowLabels, k, isMember: shadowIsMember };

  // Label-only noise robustness: calibrated on the shadow model, run on the target model itself. It
  // sees labels only, and MemGuard releases every query's label unchanged (label loss 0), so its
  // result holds at every epsilon and mixing rule.
  let noiseResult: AttackResult | undefined;
  let noiseCalibration: NoiseRobustnessCalibration | undefined;
  if (cfg.noiseRobustness) {
    progress({ stage: 'label-only noise robustness', done: 0, total: 2 });
    const c = Math.min(cfg.noiseRobustness.calibrationRows, shadowIn.n, shadowOut.n);
    const calibrationSet = {
      features: concat(shadowIn.features.subarray(0, c * data.d), shadowOut.features.subarray(0, c * data.d)),
      labels: Int32Array.from([...shadowIn.labels.subarray(0, c), ...shadowOut.labels.subarray(0, c)]),
      d: data.d, isMember: membership(c, c),
    };
    noiseCalibration = calibrateNoiseRobustness(shadow, calibrationSet, { copies: cfg.noiseRobustness.copies, seed: seeds.noiseRobustness });
    progress({ stage: 'label-only noise robustness', done: 1, total: 2 });
    noiseResult = noiseRobustnessAttack(target, noiseCalibration,
      { features: concat(members.features, evalNon.features), labels: evalLabels, d: data.d }, { seed: seeds.noiseRobustness + 1 });
    progress({ stage: 'label-only noise robustness', done: 2, total: 2 });
    lap('label-only noise robustness');
  }

  // Phase I once (the defender's, on the target's logits).
  progress({ stage: 'Phase I on the evaluation set', done: 0, total: 1 });
  const defender = (mixing: MixingMode, coinSeed: number) =>
    new MemGuard({ defenseClassifier: defense, epsilon: 0, mixing, method: cfg.method, search: cfg.search, coin: { mode: 'seed', seed: coinSeed } });
  const search = defender('paper', seeds.releaseCoin).search(zEval, 'logits');
  progress({ stage: 'Phase I on the evaluation set', done: 1, total: 1 });
  lap('phase I');

  // The defense-aware attacker defends its shadow outputs with its own g' (Phase I once, its own coin
  // at each setting) and trains an attack on them: one attack per (mixing, epsilon > 0).
  const awareAttacks = new Map<string, Mlp[]>();
  const defendedShadow = new Map<string, Float32Array>();
  // NN-AT: one network per radius (rho = epsilon, NN_AT_DEFAULTS.rho at epsilon 0; at most 2, the
  // simplex's L1 diameter, so epsilon = Infinity searches the whole simplex), trained in this thread
  // alongside the defense-aware attacks.
  const nnAtRho = (epsilon: number) => (epsilon > 0 ? Math.min(epsilon, 2) : NN_AT_DEFAULTS.rho);
  const radii = cfg.nnAt ? [...new Set(cfg.epsilons.map(nnAtRho))] : [];
  const nnAtTrainings = radii.map((rho) => ({
    epochs: cfg.attack.epochs,
    run: adversarialTraining(shMembers, shOut, k, { ...membershipOptions(cfg.attack, seeds.nnAt), rho, steps: cfg.nnAt!.steps }),
  }));
  const nnAtModels = new Map<number, Mlp>();
  if (attackerDefense) {
    progress({ stage: "Phase I on the attacker's shadow set", done: 0, total: 1 });
    const attackerSearch = new MemGuard({ defenseClassifier: attackerDefense, epsilon: 0, method: cfg.method, search: cfg.search, coin: { mode: 'expectation' } })
      .search(zShadow, 'logits');
    const jobs: FitJob[] = [];
    const keys: string[] = [];
    for (const mixing of cfg.mixingModes) {
      for (const epsilon of cfg.epsilons) {
        const defended = new MemGuard({ defenseClassifier: attackerDefense, epsilon, mixing, method: cfg.method, search: cfg.search, coin: { mode: 'seed', seed: seeds.attackerCoin } })
          .releaseSearch(attackerSearch, { epsilon }).released;
        defendedShadow.set(`${mixing}/${epsilon}`, defended);
        if (epsilon === 0) continue; // undefended: the attack is the paper's NN attack itself
        const nm = shadowIn.n * k;
        for (const j of attackSeeds) {
          jobs.push(membershipJob(defended.subarray(0, nm), defended.subarray(nm), k, cfg.attack, seeds.defenseAwareAttack + j));
          keys.push(`${mixing}/${epsilon}`);
        }
      }
    }
    const trained = await train(nnAtTrainings.length ? 'train defense-aware attacks and NN-AT' : 'train defense-aware attacks', jobs, nnAtTrainings);
    trained.forEach((model, i) => nnAtModels.set(radii[i]!, model));
    jobs.forEach((job, i) => awareAttacks.set(keys[i]!, [...(awareAttacks.get(keys[i]!) ?? []), job.model]));
    lap(nnAtTrainings.length ? 'defense-aware attacks and NN-AT' : 'defense-aware attacks');
  } else if (nnAtTrainings.length) {
    (await train('train NN-AT', [], nnAtTrainings)).forEach((model, i) => nnAtModels.set(radii[i]!, model));
    lap('NN-AT');
  }

  const exports: ReleasedExport[] = [
    { path: 'released/eval-clean.csv', table: scoresTable(evalS, k, evalIsMember, evalLabels) },
    { path: 'released/shadow-clean.csv', table: scoresTable(shadowS, k, shadowIsMember, shadowLabels) },
  ];
  const runs: EpsilonResult[] = [];
  const total = cfg.epsilons.length * cfg.mixingModes.length;
  let done = 0;
  for (const mixing of cfg.mixingModes) {
    const guard = defender(mixing, seeds.releaseCoin);
    for (const epsilon of cfg.epsilons) {
      const start = performance.now();
      progress({ stage: `evaluate (${mixing} mixing)`, done, total });
      const expectation = new MemGuard({ defenseClassifier: defense, epsilon, mixing, method: cfg.method, search: cfg.search, coin: { mode: 'expectation' } })
        .releaseSearch(search, { epsilon });
      const sampled = guard.releaseSearch(search, { epsilon });
      if (mixing === cfg.mixingModes[0] && epsilon === cfg.epsilons[0]) {
        exports.push({ path: 'released/eval-phase1.csv', table: scoresTable(expectation.noisy, k, evalIsMember, evalLabels) });
      }
      const suffix = mixing === 'paper' ? '' : `-${mixing}`;
      exports.push({ path: `released/eval-eps${epsilon}${suffix}.csv`, table: scoresTable(sampled.released, k, evalIsMember, evalLabels) });

      const nnAttacks: Record<string, Mlp[]> = { nn: nnModels };
      const nnAt = nnAtModels.get(nnAtRho(epsilon));
      if (nnAt) nnAttacks['nn-at'] = [nnAt];
      if (attackerDefense) {
        nnAttacks['nn/defense-aware'] = awareAttacks.get(`${mixing}/${epsilon}`) ?? nnModels;
        if (mixing === 'paper') {
          exports.push({ path: `released/shadow-eps${epsilon}.csv`, table: scoresTable(defendedShadow.get(`${mixing}/${epsilon}`)!, k, shadowIsMember, shadowLabels) });
        }
      }
      const vectorAttacks = Object.fromEntries(rounded.map((r) => [`nn-r${r.decimals}`, (v: Float32Array) => roundedNnAttack(r, v)]));
      const attacks = runAttackSuite(shadowSet, { clean, noisy: expectation.noisy, p: expectation.mixProbability, sampled: sampled.released }, nnAttacks, lira,
        { vectorAttacks, labelOnly: noiseResult ? [noiseResult] : [] });

      const n = evalIsMember.length;
      const original = predictedLabels(evalS, k), released = predictedLabels(sampled.released, k), noisyLabels = predictedLabels(expectation.noisy, k);
      let lost = 0, l1 = 0, meanP = 0, releasedL1 = 0;
      for (let i = 0; i < n; i++) {
        lost += Number(original[i] !== released[i] || original[i] !== noisyLabels[i]);
        l1 += expectation.noiseL1[i]!;
        meanP += expectation.mixProbability[i]!;
        releasedL1 += expectation.mixProbability[i]! * expectation.noiseL1[i]!;
      }
      const weights = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) { weights[i] = 1 - expectation.mixProbability[i]!; weights[n + i] = expectation.mixProbability[i]!; }
      runs.push({
        epsilon, mixing, attacks, labelLoss: lost / n, meanPhase1Distortion: l1 / n, meanP: meanP / n,
        meanReleasedDistortion: releasedL1 / n,
        topConfidence: topConfidenceHistogram(concat(evalS, expectation.noisy), k, concatFlags(evalIsMember, evalIsMember), weights),
        seconds: (performance.now() - start) / 1000,
      });
      done++;
    }
  }
  progress({ stage: 'evaluate', done: total, total });
  lap('evaluation');

  let nearDuplicates: NearDuplicateResult | undefined;
  if (cfg.nearDuplicates) {
    progress({ stage: 'near-duplicate queries', done: 0, total: 1 });
    nearDuplicates = runNearDuplicates({
      target, defense, attack, members: members.features, nonMembers: evalNon.features, d: data.d,
      config: { ...cfg.nearDuplicates, records: Math.min(cfg.nearDuplicates.records, members.n, evalNon.n) },
      method: cfg.method, seed: cfg.seed + 8,
    });
    progress({ stage: 'near-duplicate queries', done: 1, total: 1 });
    lap('near-duplicate queries');
  }

  let timing: TimingResult | undefined;
  if (cfg.timing) {
    progress({ stage: 'timing channel', done: 0, total: 1 });
    timing = runTimingLeakage({ defense, z: zEval, isMember: evalIsMember, method: cfg.method, search: cfg.search, repeats: 1, seed: cfg.seed + 9 });
    progress({ stage: 'timing channel', done: 1, total: 1 });
    lap('timing channel');
  }

  const defenseScores = membershipProbability(defense, concat(sMembers, sTargetTest));
  const attackScores = membershipProbability(attack, shadowS);
  const isLocation = data.name === LOCATION_NAME;
  const results: EvaluationResults = {
    version: 1,
    title: isLocation ? "MemGuard on Location (the paper's experiment)" : `MemGuard on ${data.name ?? 'a user dataset'} (the paper's evaluation protocol)`,
    createdAt: new Date().toISOString(),
    config: {
      dataset: data.name ?? 'user dataset', epsilons: cfg.epsilons, mixingModes: cfg.mixingModes, seeds,
      method: cfg.method, search: cfg.search ?? {}, rowsPerSplit: cfg.rowsPerSplit, target: cfg.target, defense: cfg.defense, attack: cfg.attack,
      defenseAware: cfg.defenseAware, attackSeeds: attackSeeds.length, lira: cfg.lira, engine: target.engine.build,
      nnAt: cfg.nnAt, nnRounded: cfg.nnRounded, noiseRobustness: cfg.noiseRobustness,
      ...(noiseCalibration ? { noiseRobustnessCalibration: { level: noiseCalibration.level, threshold: noiseCalibration.threshold, shadowAccuracy: noiseCalibration.shadowAccuracy } } : {}),
      splitSizes: Object.fromEntries(Object.entries(splits).map(([role, rows]) => [role, Math.min(cfg.rowsPerSplit, rows.length)])),
    },
    models: {
      targetTrain: labelAccuracy(sMembers, k, members.labels),
      targetTest: labelAccuracy(sTargetTest, k, targetTest.labels),
      shadowTrain: labelAccuracy(shMembers, k, shadowIn.labels),
      shadowTest: labelAccuracy(shOut, k, shadowOut.labels),
      defenseClassifier: accuracy(Array.from(defenseScores, (p) => (p >= 0.5 ? 1 : 0)), membership(members.n, targetTest.n)),
      attackModel: accuracy(Array.from(attackScores, (p) => (p >= 0.5 ? 1 : 0)), shadowIsMember),
    },
    runs,
    // The published figures apply to the paper's protocol only, not to the scaled-down --quick run.
    published: isLocation && cfg.rowsPerSplit === PAPER_CONFIG.rowsPerSplit && cfg.mixingModes[0] === 'paper' ? PUBLISHED_LOCATION : undefined,
    undefendedTopConfidence: topConfidenceHistogram(evalS, k, evalIsMember),
    nearDuplicates,
    timing,
    notes: [
      'Attack accuracy is in expectation over the Phase II coin unless marked "sampled".',
      `nn = the paper's NN attack (trained on undefended shadow outputs); nn/defense-aware = trained on shadow outputs defended with the attacker's own defense classifier; each the mean of ${attackSeeds.length} attack seed${attackSeeds.length === 1 ? '' : 's'}.`,
      'Metric attacks (Song & Mittal 2021) are calibrated on undefended shadow outputs; /hindsight picks the best threshold on the evaluation set itself (an upper bound).',
      ...(cfg.nnAt ? [`nn-at = NN-AT: the NN attack adversarially trained (${cfg.nnAt.steps}-step label-preserving L1 search on the simplex, rho = epsilon, ${NN_AT_DEFAULTS.rho} at epsilon 0), one attack seed.`] : []),
      ...(cfg.nnRounded.length ? [`${cfg.nnRounded.map((d) => `nn-r${d}`).join(', ')} = NN-R: the NN attack on scores rounded to ${cfg.nnRounded.join(' and ')} decimals, one attack seed.`] : []),
      ...(noiseCalibration ? [`label-only/noise = label-only noise robustness (Choquette-Choo et al. 2021): ${noiseCalibration.copies} noisy copies per record queried on the target model (labels only), level f = ${noiseCalibration.level.flips} flips${noiseCalibration.binary.some((b) => !b) ? `, tau = ${noiseCalibration.level.tau}` : ''} and threshold ${noiseCalibration.threshold.toFixed(2)} calibrated on the shadow model; the label-only floor is the stronger of it and gap.`] : []),
      ...(cfg.lira > 0 ? [`lira = offline LiRA (Carlini et al. 2022): ${cfg.lira} shadow models on random halves of the attacker's pool, one-sided Gaussian test on log(p_y / (1 - p_y)) of the released vector; its decision threshold is calibrated on undefended shadow outputs.`] : []),
    ],
  };
  attackerDefense?.dispose();
  for (const model of nnModels.slice(1)) model.dispose();
  for (const models of awareAttacks.values()) for (const model of models) model.dispose();
  for (const model of nnAtModels.values()) model.dispose();
  for (const r of rounded) r.model.dispose();
  return { results, models: { target, shadow, defense, attack }, exports, timings };
}

/** Repeat r runs with seed `seed + REPEAT_SEED_STRIDE * r` (clear of the seeds one run derives from its own). */
export const REPEAT_SEED_STRIDE = 1000;

/**
 * Runs the experiment `repeats` times with independent seeds (every model, the defense, the
 * attacks and the coin; the split stays) and combines the results (`combineRepeats`). The models
 * and released CSVs returned are the first run's; the timings are summed over the runs.
 */
export async function runRepeated(options: ExperimentOptions, repeats: number): Promise<ExperimentOutput> {
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new MemGuardInputError(`runRepeated: repeats must be a positive integer, got ${repeats}`);
  const seed = options.config?.seed ?? PAPER_CONFIG.seed;
  const outs: ExperimentOutput[] = [];
  for (let r = 0; r < repeats; r++) {
    const onProgress = options.onProgress;
    const out = await runExperiment({
      ...options,
      config: { ...options.config, seed: seed + REPEAT_SEED_STRIDE * r },
      onProgress: onProgress && repeats > 1 ? (e) => onProgress({ ...e, stage: `run ${r + 1}/${repeats}: ${e.stage}` }) : onProgress,
    });
    if (r > 0) for (const m of Object.values(out.models)) m.dispose();
    outs.push(out);
  }
  const timings: Record<string, number> = {};
  for (const o of outs) for (const [k, v] of Object.entries(o.timings)) timings[k] = (timings[k] ?? 0) + v;
  return { ...outs[0]!, results: combineRepeats(outs.map((o) => o.results)), timings };
}
