// The label-only noise-robustness attack (Choquette-Choo et al., "Label-Only Membership Inference
// Attacks", ICML 2021; design §11): a model is more robust to small input noise around the records it
// was trained on. Query the model's label on m noisy copies of each record; the score is the share
// of copies still given the true label. It needs the model and the records, and sees labels only,
// so no label-preserving defense (MemGuard included) changes it: it is part of the label-only floor.
//
// Noise: a binary feature (0/1 on every calibration row) is flipped with probability f/d (d = the
// number of features), a continuous one gets N(0, (tau sd_j)^2), sd_j its standard deviation over
// the calibration rows. The level (f, tau) and the threshold are calibrated on the attacker's shadow
// model (shadow members vs shadow non-members), then applied to the target's rows.
import { check } from '../errors.js';
import type { Mlp } from '../nn/mlp.js';
import { Random } from '../random.js';
import { predictedLabels } from './confidence.js';
import type { AttackResult } from './metricAttacks.js';
import { bestThreshold, type Flags } from './metrics.js';

/**
 * One noise level: `flips` f (each binary feature flipped with probability f/d) and `tau` (the
 * standard deviation of the Gaussian noise on continuous features, in units of each feature's own).
 *
 * @example
 * const level: NoiseLevel = { flips: 3, tau: 0.2 };
 */
export interface NoiseLevel {
  flips: number;
  tau: number;
}

/**
 * The levels tried by default: f in {1, 2, 3, 5, 10} (design §11), paired with tau from 0.05 to 0.5.
 *
 * @example
 * console.log(NOISE_LEVELS.map((l) => l.flips)); // [1, 2, 3, 5, 10]
 */
export const NOISE_LEVELS: readonly NoiseLevel[] = Object.freeze([
  { flips: 1, tau: 0.05 }, { flips: 2, tau: 0.1 }, { flips: 3, tau: 0.2 }, { flips: 5, tau: 0.3 }, { flips: 10, tau: 0.5 },
]);

/**
 * A model as this attack sees it: rows x d features in, one predicted label per row out. An `Mlp`
 * (its argmax) or any function, e.g. a defended API that returns labels only.
 *
 * @example
 * const constant: LabelOracle = (features) => new Int32Array(features.length / 4); // always class 0, d = 4
 */
export type LabelOracle = Mlp | ((features: Float32Array) => ArrayLike<number>);

/**
 * Records to attack: features (rows x d), true labels and, for calibration, membership.
 *
 * @example
 * const records: LabeledRecords = { features: new Float32Array([0, 1, 1, 0]), labels: [0, 1], d: 2, isMember: [1, 0] };
 */
export interface LabeledRecords {
  features: Float32Array;
  labels: ArrayLike<number>;
  d: number;
  isMember?: Flags;
}

/**
 * Attack settings: copies per record, the levels to calibrate over, the seed.
 *
 * @example
 * const options: NoiseRobustnessOptions = { copies: 100, levels: NOISE_LEVELS, seed: 7 };
 */
export interface NoiseRobustnessOptions {
  /** Noisy copies per record (default 100, design §11). */
  copies?: number;
  levels?: readonly NoiseLevel[];
  /** Seeds the noise (default 0). */
  seed?: number;
}

/**
 * What calibration on the shadow model chose: the level, the threshold on the score (member iff
 * score >= threshold), the feature kinds and scales, and every level's shadow accuracy.
 *
 * @example
 * const calibration: NoiseRobustnessCalibration = {
 *   level: { flips: 1, tau: 0.05 }, threshold: 0.9, binary: [1, 1], sd: [0, 0], copies: 100,
 *   shadowAccuracy: [0.6],
 * };
 */
export interface NoiseRobustnessCalibration {
  level: NoiseLevel;
  threshold: number;
  /** 1 where the feature is binary (0/1 on every calibration row). */
  binary: number[];
  /** Standard deviation of each continuous feature over the calibration rows (0 for binary ones). */
  sd: number[];
  copies: number;
  /** Shadow accuracy at each level tried, in the order tried. */
  shadowAccuracy: number[];
}

/**
 * The attack id in results and reports.
 *
 * @example
 * console.log(NOISE_ROBUSTNESS_ID); // 'label-only/noise'
 */
export const NOISE_ROBUSTNESS_ID = 'label-only/noise';

// Rows of noisy copies per model query: bounds the copy buffer (rows x d floats) to a few MB.
const COPY_ROWS = 8192;

function oracleLabels(model: LabelOracle, features: Float32Array, d: number): ArrayLike<number> {
  if (typeof model === 'function') return model(features);
  check(model.inputSize === d, () => `noise robustness: the model takes ${model.inputSize} features, the records have ${d}`);
  return predictedLabels(model.predict(features), model.outputSize);
}

function checkRecords(r: LabeledRecords, what: string): number {
  check(Number.isInteger(r.d) && r.d >= 1, () => `noise robustness: ${what}: d must be a positive integer, got ${r.d}`);
  check(r.features.length % r.d === 0, () => `noise robustness: ${what}: ${r.features.length} feature values are not rows of ${r.d}`);
  const n = r.features.length / r.d;
  check(r.labels.length === n, () => `noise robustness: ${what}: ${r.labels.length} labels for ${n} rows`);
  for (let i = 0; i < r.features.length; i++) {
    check(Number.isFinite(r.features[i]!), () => `noise robustness: ${what}: row ${Math.floor(i / r.d)}, feature ${i % r.d} is ${r.features[i]} (must be finite)`);
  }
  return n;
}

function checkLevel(level: NoiseLevel, d: number): void {
  check(Number.isFinite(level.flips) && level.flips >= 0 && level.flips <= d,
    () => `noise robustness: flips must be in [0, d = ${d}], got ${level.flips}`);
  check(Number.isFinite(level.tau) && level.tau >= 0, () => `noise robustness: tau must be a finite number >= 0, got ${level.tau}`);
}

/**
 * The score of each record: the share of `copies` noisy copies (at `level`) that `model` still
 * labels with the record's true label. `binary` and `sd` describe the features (see
 * `NoiseRobustnessCalibration`). Deterministic for a seed.
 *
 * @example
 * const constant: LabelOracle = (features) => new Int32Array(features.length / 2); // always class 0
 * const records = { features: new Float32Array([0, 1, 1, 1]), labels: [0, 1], d: 2 };
 * const scores = noiseRobustnessScores(constant, records, { flips: 1, tau: 0 }, { binary: [1, 1], sd: [0, 0] }, { copies: 10 });
 * console.log(scores); // Float64Array [1, 0]
 */
export function noiseRobustnessScores(
  model: LabelOracle, records: LabeledRecords, level: NoiseLevel, features: { binary: ArrayLike<number>; sd: ArrayLike<number> },
  options: { copies?: number; seed?: number } = {},
): Float64Array {
  const n = checkRecords(records, 'records');
  const { d } = records;
  checkLevel(level, d);
  const copies = options.copies ?? 100;
  check(Number.isInteger(copies) && copies >= 1, () => `noise robustness: copies must be a positive integer, got ${copies}`);
  check(features.binary.length === d && features.sd.length === d,
    () => `noise robustness: feature kinds describe ${features.binary.length} features, the records have ${d}`);
  const rng = new Random(options.seed ?? 0);
  const flipP = level.flips / d;
  // Flips by geometric gaps between flipped positions: about f random draws per copy instead of d.
  const logKeep = flipP > 0 && flipP < 1 ? Math.log(1 - flipP) : 0;
  const binaryAt: number[] = [], continuousAt: number[] = [];
  for (let j = 0; j < d; j++) (features.binary[j] ? binaryAt : continuousAt).push(j);
  const scores = new Float64Array(n);
  const perQuery = Math.max(1, Math.floor(COPY_ROWS / copies));
  const buffer = new Float32Array(Math.min(n, perQuery) * copies * d);
  for (let first = 0; first < n; first += perQuery) {
    const count = Math.min(perQuery, n - first);
    const x = buffer.subarray(0, count * copies * d);
    for (let i = 0; i < count; i++) {
      const row = records.features.subarray((first + i) * d, (first + i + 1) * d);
      for (let c = 0; c < copies; c++) {
        const off = (i * copies + c) * d;
        x.set(row, off);
        if (flipP >= 1) {
          for (const j of binaryAt) x[off + j] = 1 - x[off + j]!;
        } else if (flipP > 0) {
          for (let at = Math.floor(Math.log(1 - rng.next()) / logKeep); at < binaryAt.length; at += 1 + Math.floor(Math.log(1 - rng.next()) / logKeep)) {
            const j = binaryAt[at]!;
            x[off + j] = 1 - x[off + j]!;
          }
        }
        if (level.tau > 0) for (const j of continuousAt) x[off + j]! += level.tau * features.sd[j]! * gaussian(rng);
      }
    }
    const labels = oracleLabels(model, x, d);
    check(labels.length === count * copies, () => `noise robustness: the model returned ${labels.length} labels for ${count * copies} rows`);
    for (let i = 0; i < count; i++) {
      let same = 0;
      const y = records.labels[first + i]!;
      for (let c = 0; c < copies; c++) same += labels[i * copies + c] === y ? 1 : 0;
      scores[first + i] = same / copies;
    }
  }
  return scores;
}

// Box-Muller; one normal per call keeps the stream simple to reproduce.
function gaussian(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Calibrates the attack on the attacker's shadow model: for each level, the scores of the shadow
 * members and non-members (`shadow.isMember` required) and the threshold with the best shadow
 * accuracy; keeps the level whose best accuracy is highest (the first on ties). The default levels
 * are `NOISE_LEVELS` with at most d flips.
 *
 * @example
 * const shadowModel = Mlp.create([4, 8, 3], { seed: 1 });
 * const shadow = { features: new Float32Array(24).map((_, i) => i % 3 === 0 ? 1 : 0), labels: [0, 1, 2, 0, 1, 2], d: 4, isMember: [1, 1, 1, 0, 0, 0] };
 * const calibration = calibrateNoiseRobustness(shadowModel, shadow, { copies: 20, seed: 3 });
 * console.log(calibration.level, calibration.threshold);
 */
export function calibrateNoiseRobustness(shadowModel: LabelOracle, shadow: LabeledRecords, options: NoiseRobustnessOptions = {}): NoiseRobustnessCalibration {
  const n = checkRecords(shadow, 'shadow records');
  check(shadow.isMember !== undefined && shadow.isMember.length === n,
    () => `noise robustness: the shadow records need isMember, one per row (${n})`);
  const { d } = shadow;
  // The default levels that fit d (f <= d: a flip probability f/d of at most 1); given levels must all fit.
  const levels = options.levels ?? NOISE_LEVELS.filter((l) => l.flips <= d);
  check(levels.length > 0, () => 'noise robustness: no noise levels to calibrate over');
  const binary: number[] = [], sd: number[] = [];
  for (let j = 0; j < d; j++) {
    let isBinary = 1, sum = 0, sum2 = 0;
    for (let i = 0; i < n; i++) {
      const v = shadow.features[i * d + j]!;
      if (v !== 0 && v !== 1) isBinary = 0;
      sum += v; sum2 += v * v;
    }
    binary.push(isBinary);
    const mean = sum / n;
    sd.push(isBinary ? 0 : Math.sqrt(Math.max(0, sum2 / n - mean * mean)));
  }
  const copies = options.copies ?? 100;
  const seed = options.seed ?? 0;
  let best: { level: NoiseLevel; threshold: number; value: number } | undefined;
  const shadowAccuracy: number[] = [];
  levels.forEach((level, i) => {
    const scores = noiseRobustnessScores(shadowModel, shadow, level, { binary, sd }, { copies, seed: seed + i });
    const { threshold, value } = bestThreshold(scores, shadow.isMember!);
    shadowAccuracy.push(value);
    if (!best || value > best.value) best = { level: { ...level }, threshold, value };
  });
  return { level: best!.level, threshold: best!.threshold, binary, sd, copies, shadowAccuracy };
}

/**
 * Runs the calibrated attack on the target model and its records: score = the share of noisy
 * copies labelled with the true label, member iff score >= the calibrated threshold.
 *
 * @example
 * const shadowModel = Mlp.create([4, 8, 3], { seed: 1 }), target = Mlp.create([4, 8, 3], { seed: 2 });
 * const shadow = { features: new Float32Array(24).map((_, i) => i % 3 === 0 ? 1 : 0), labels: [0, 1, 2, 0, 1, 2], d: 4, isMember: [1, 1, 1, 0, 0, 0] };
 * const calibration = calibrateNoiseRobustness(shadowModel, shadow, { copies: 20, seed: 3 });
 * const result = noiseRobustnessAttack(target, calibration, { features: shadow.features, labels: shadow.labels, d: 4 }, { seed: 4 });
 * console.log(result.attack, result.scores.length); // 'label-only/noise' 6
 */
export function noiseRobustnessAttack(
  target: LabelOracle, calibration: NoiseRobustnessCalibration, records: LabeledRecords, options: { seed?: number } = {},
): AttackResult {
  const scores = noiseRobustnessScores(target, records, calibration.level, calibration, { copies: calibration.copies, seed: options.seed });
  const decisions = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) decisions[i] = scores[i]! >= calibration.threshold ? 1 : 0;
  return { attack: NOISE_ROBUSTNESS_ID, scores, decisions };
}
