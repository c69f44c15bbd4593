// The near-duplicate experiment (design §7) inside `runExperiment`: the attacker's m perturbed copies
// of each evaluation record, answered by MemGuard under three ways of keying the coin, and the NN
// attack's accuracy and AUC against m. Phase I runs once for all queries (records and copies); the
// coin variants and epsilons only re-run Phase II (cheap).
import { nearDuplicateQueries, nearDuplicateScores, sharedCoinFraction, type NearDuplicateScore } from '../attacks/nearDuplicate.js';
import { auc, accuracy } from '../attacks/metrics.js';
import { ReleaseCoin, type CoarseKeying } from '../memguard/coin.js';
import { membershipProbability } from '../memguard/defenseClassifier.js';
import { MemGuard, type MixingMode, type Phase1Method } from '../memguard/memguard.js';
import type { Mlp } from '../nn/mlp.js';
import { Random } from '../random.js';

/**
 * The near-duplicate query attack's settings in the experiment (design §7).
 *
 * @example
 * const config: NearDuplicateConfig = { records: 100, copies: [1, 10, 100], epsilons: [0.5, 1], resolution: 0.05 };
 */
export interface NearDuplicateConfig {
  /** Evaluation records per class (members, non-members) attacked with copies. */
  records: number;
  /** The numbers of copies m to report (the largest is how many are made). */
  copies: number[];
  epsilons: number[];
  /** Grid step of the coarse coin (see `CoarseKeying`). */
  resolution: number;
}

export const NEAR_DUPLICATE_DEFAULTS: NearDuplicateConfig = Object.freeze({ records: 100, copies: [1, 10, 100], epsilons: [0.5, 1], resolution: 0.05 });

/**
 * One way of keying the coin, as measured.
 *
 * @example
 * const coin: NearDuplicateCoinResult = { coin: 'query-id', sharedCoin: 1, single: [{ epsilon: 1, accuracy: 0.5, auc: 0.31 }], scores: [] };
 */
export interface NearDuplicateCoinResult {
  /** 'exact' (the query's content), 'coarse' (label + top score on a grid), 'query-id' (the record's id). */
  coin: 'exact' | 'coarse' | 'query-id';
  /** Fraction of copies whose coin is the record's own query's. */
  sharedCoin: number;
  /** The attack on the record's own query (no copies), per epsilon: the usual single-query figure. */
  single: Array<{ epsilon: number; accuracy: number; auc: number }>;
  scores: Array<NearDuplicateScore & { epsilon: number }>;
}

/**
 * The experiment's near-duplicate section: the copies made and the attack per way of keying the coin.
 *
 * @example
 * const result: NearDuplicateResult = { config: { records: 100, copies: [1, 10], epsilons: [1], resolution: 0.05 }, labelChanged: 0.01, meanL1Shift: 0.02, coins: [], phase1Seconds: 1.2 };
 */
export interface NearDuplicateResult {
  config: NearDuplicateConfig;
  /** Fraction of the copies whose predicted label differs from the record's (the flips that matter). */
  labelChanged: number;
  /** Mean L1 distance between a copy's confidence vector and its record's. */
  meanL1Shift: number;
  coins: NearDuplicateCoinResult[];
  phase1Seconds: number;
}

/**
 * Runs the attack. `members` and `nonMembers` are feature rows (d columns, binary); the first
 * `config.records` of each are used. `attack` scores sorted confidence vectors (the NN attack).
 */
export function runNearDuplicates(options: {
  target: Mlp; defense: Mlp; attack: Mlp; members: Float32Array; nonMembers: Float32Array; d: number;
  config: NearDuplicateConfig; method: Phase1Method; seed: number; mixing?: MixingMode;
}): NearDuplicateResult {
  const { target, defense, attack, d, config, method, seed } = options;
  const mixing = options.mixing ?? 'paper';
  const R = config.records;
  const k = defense.inputSize;
  const records = new Float32Array(2 * R * d);
  records.set(options.members.subarray(0, R * d));
  records.set(options.nonMembers.subarray(0, R * d), R * d);
  const isMember = new Uint8Array(2 * R).fill(1, 0, R);
  const copies = Math.max(...config.copies);
  const { queries } = nearDuplicateQueries(records, d, copies, seed);
  const zRecords = target.logits(records), zCopies = target.logits(queries);
  const all = new Float32Array(zRecords.length + zCopies.length);
  all.set(zRecords);
  all.set(zCopies, zRecords.length);
  const start = performance.now();
  const search = new MemGuard({ defenseClassifier: defense, epsilon: 0, method, coin: { mode: 'expectation' } }).search(all, 'logits');
  const phase1Seconds = (performance.now() - start) / 1000;
  const nRec = 2 * R;
  const sRec = search.scores.subarray(0, nRec * k), sCopies = search.scores.subarray(nRec * k);

  // How near the copies are: label changes and L1 shift of the confidence vector.
  let changed = 0, shift = 0;
  const argmax = (v: Float32Array, o: number) => { let b = 0; for (let j = 1; j < k; j++) if (v[o + j]! > v[o + b]!) b = j; return b; };
  for (let r = 0; r < nRec; r++) {
    for (let c = 0; c < copies; c++) {
      const o = (r * copies + c) * k;
      changed += Number(argmax(sCopies, o) !== argmax(sRec, r * k));
      for (let j = 0; j < k; j++) shift += Math.abs(sCopies[o + j]! - sRec[r * k + j]!);
    }
  }

  const rng = new Random(seed ^ 0x5eed);
  const key = Uint8Array.from({ length: 32 }, () => rng.int(256)); // an experiment's key, not a secret
  const ids = [...Array.from({ length: nRec }, (_, r) => `record-${r}`), ...Array.from({ length: nRec * copies }, (_, i) => `record-${Math.floor(i / copies)}`)];
  const variants: Array<{ coin: NearDuplicateCoinResult['coin']; keying: CoarseKeying; byId: boolean }> = [
    { coin: 'exact', keying: { content: 'exact' }, byId: false },
    { coin: 'coarse', keying: { content: 'coarse', resolution: config.resolution }, byId: false },
    { coin: 'query-id', keying: { content: 'exact' }, byId: true },
  ];
  const coins = variants.map(({ coin, keying, byId }): NearDuplicateCoinResult => {
    const guard = new MemGuard({ defenseClassifier: defense, epsilon: 1, method, mixing, coin: { mode: 'key', key, ...keying } });
    // The coin's uniform per query, record-major with the record's own query first.
    const u = new ReleaseCoin({ mode: 'key', key, ...keying }).uniforms(byId ? { ids } : { inputs: keying.content === 'coarse' ? search.scores : all, dim: k });
    const grouped = new Float64Array(nRec * (copies + 1));
    for (let r = 0; r < nRec; r++) {
      grouped[r * (copies + 1)] = u[r]!;
      for (let c = 0; c < copies; c++) grouped[r * (copies + 1) + 1 + c] = u[nRec + r * copies + c]!;
    }
    const single: NearDuplicateCoinResult['single'] = [];
    const scores: NearDuplicateCoinResult['scores'] = [];
    for (const epsilon of config.epsilons) {
      const released = guard.releaseSearch(search, { epsilon, queryIds: byId ? ids : undefined }).released;
      const own = membershipProbability(attack, released.slice(0, nRec * k));
      single.push({ epsilon, accuracy: accuracy(Array.from(own, (p) => (p >= 0.5 ? 1 : 0)), isMember), auc: auc(own, isMember) });
      for (const s of nearDuplicateScores(attack, released.slice(nRec * k), k, nRec, copies, isMember, config.copies)) scores.push({ ...s, epsilon });
    }
    return { coin, sharedCoin: sharedCoinFraction(grouped, nRec, copies), single, scores };
  });
  return { config: { ...config }, labelChanged: changed / (nRec * copies), meanL1Shift: shift / (nRec * copies), coins, phase1Seconds };
}
