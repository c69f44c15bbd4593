// Validation and setup shared by Mlp.fit and Trainer for the design §10 training options: weight
// decay, dropout, entropy penalty, soft targets, DP-SGD, and the seeded WASM generator state.
import { check, MemGuardInputError } from '../errors.js';
import { Random } from '../random.js';
import type { Ptr } from '../wasm/abi.js';
import type { Engine } from '../wasm/engine.js';
import { toRows, type MatrixInput } from './matrix.js';
import type { DpOptions, FitOptions, Mlp } from './mlp.js';

/** The regularizer options, checked; 0 means off. */
export interface TrainingOptions { weightDecay: number; dropout: number; entropyWeight: number }

export function checkTrainingOptions(
  model: Mlp, options: Pick<FitOptions, 'weightDecay' | 'dropout' | 'entropyWeight'>, what: string,
): TrainingOptions {
  const weightDecay = options.weightDecay ?? 0, dropout = options.dropout ?? 0, entropyWeight = options.entropyWeight ?? 0;
  check(typeof weightDecay === 'number' && Number.isFinite(weightDecay) && weightDecay >= 0,
    () => `${what}: weightDecay (lambda) must be a finite number >= 0, got ${weightDecay}`);
  check(typeof dropout === 'number' && dropout >= 0 && dropout < 1, () => `${what}: dropout rate must be in [0, 1), got ${dropout}`);
  check(dropout === 0 || model.layers.slice(0, -1).every((l) => l.activation !== 'softmax'),
    () => `${what}: dropout needs relu, sigmoid or linear hidden layers (a softmax hidden layer has no elementwise mask)`);
  check(typeof entropyWeight === 'number' && Number.isFinite(entropyWeight) && entropyWeight >= 0,
    () => `${what}: entropyWeight (alpha) must be a finite number >= 0, got ${entropyWeight}`);
  check(entropyWeight === 0 || model.head === 'softmax', () => `${what}: entropyWeight needs a softmax head, this model has "${model.head}"`);
  return { weightDecay, dropout, entropyWeight };
}

export function checkDp(dp: DpOptions): DpOptions {
  check(typeof dp === 'object' && dp !== null, () => 'fit: dp must be { noiseMultiplier, clip, sampleRate }');
  const { noiseMultiplier, clip, sampleRate } = dp;
  check(typeof sampleRate === 'number' && sampleRate > 0 && sampleRate <= 1, () => `fit: dp.sampleRate must be in (0, 1], got ${sampleRate}`);
  check(typeof clip === 'number' && clip > 0, () => `fit: dp.clip must be positive (Infinity: no clipping), got ${clip}`);
  check(typeof noiseMultiplier === 'number' && Number.isFinite(noiseMultiplier) && noiseMultiplier >= 0,
    () => `fit: dp.noiseMultiplier must be a finite number >= 0, got ${noiseMultiplier}`);
  check(noiseMultiplier === 0 || Number.isFinite(clip), () => `fit: dp.noiseMultiplier ${noiseMultiplier} needs a finite dp.clip (noise is noiseMultiplier * clip)`);
  return { noiseMultiplier, clip, sampleRate };
}

export function isSoft(y: unknown): y is { soft: MatrixInput } {
  return typeof y === 'object' && y !== null && 'soft' in y;
}

/** Soft targets: rows x classes, each row non-negative and summing to 1 (within 1e-3). */
export function toSoftTargets(input: MatrixInput, rows: number, classes: number, head: string): Float32Array {
  check(head === 'softmax', () => `fit: soft targets need a softmax head, this model has "${head}"`);
  const { data, rows: given } = toRows(input, classes, 'fit y.soft');
  check(given === rows, () => `fit: y.soft has ${given} rows, x has ${rows}`);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      const v = data[r * classes + j]!;
      if (v < 0) throw new MemGuardInputError(`fit: y.soft row ${r}, column ${j} is ${v} (a distribution has no negative entries)`);
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) throw new MemGuardInputError(`fit: y.soft row ${r} sums to ${sum}, expected 1 (a distribution over the classes)`);
  }
  return data;
}

/**
 * Seeds the WASM-side sfc32 state (4 words at `ptr`) from the library's generator. A stream of its
 * own, derived from the seed, so turning dropout or DP on leaves the shuffle stream as it was.
 */
export function seedWasmRandom(e: Engine, ptr: Ptr, seed: number): void {
  const rng = new Random(seed).fork();
  // Int32Array stores keep the 32 bits of each word (ToInt32 wraps), which is all sfc32 reads.
  e.i32.set([rng.uint32(), rng.uint32(), rng.uint32(), rng.uint32()], ptr >>> 2);
}
