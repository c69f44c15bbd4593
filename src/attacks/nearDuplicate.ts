// The near-duplicate query attack (design §7): MemGuard's keyed coin makes a repeated query get the
// same answer, but a query that differs in one feature is another query. For each evaluation record
// the attacker asks m perturbed copies (one random binary feature flipped each), gets each answer
// defended, scores every answer with its membership attack and keeps the most member-looking one
// (or the median). With a coin keyed on the exact content, each copy draws an independent coin, so
// one clean (undefended) vector among m copies turns up with probability 1 - p^m.
import { auc, accuracy } from './metrics.js';
import { membershipProbability } from '../memguard/defenseClassifier.js';
import type { MemGuard, SearchResult } from '../memguard/memguard.js';
import type { Mlp } from '../nn/mlp.js';
import { Random } from '../random.js';

/**
 * One perturbed copy per (record, copy): row-major `records x copies` rows of `d` binary features,
 * each copy with one feature flipped (distinct features within a record when copies <= d).
 *
 * @example
 * const { queries, flipped } = nearDuplicateQueries(Float32Array.of(1, 0, 0, 1), 4, 2, 7);
 * console.log(queries.length, flipped); // 8, the two flipped feature indices
 */
export function nearDuplicateQueries(features: Float32Array, d: number, copies: number, seed: number): { queries: Float32Array; flipped: Int32Array } {
  const records = features.length / d;
  const rng = new Random(seed);
  const queries = new Float32Array(records * copies * d);
  const flipped = new Int32Array(records * copies);
  const order = Int32Array.from({ length: d }, (_, i) => i);
  for (let r = 0; r < records; r++) {
    rng.shuffle(order); // distinct features across one record's copies (copies <= d)
    for (let c = 0; c < copies; c++) {
      const o = (r * copies + c) * d;
      queries.set(features.subarray(r * d, (r + 1) * d), o);
      const f = order[c % d]!;
      queries[o + f] = 1 - queries[o + f]!; // binary features: flip
      flipped[r * copies + c] = f;
    }
  }
  return { queries, flipped };
}

/**
 * How the attacker folds its m answers into one membership score.
 *
 * @example
 * const aggregate: NearDuplicateAggregate = 'max'; // the most member-looking answer
 */
export type NearDuplicateAggregate = 'max' | 'median';

/**
 * The attack's figures for one m and aggregate.
 *
 * @example
 * const s: NearDuplicateScore = { m: 10, aggregate: 'median', accuracy: 0.55, auc: 0.58 };
 */
export interface NearDuplicateScore {
  m: number;
  aggregate: NearDuplicateAggregate;
  /** Accuracy of "member iff the score >= 0.5", and the AUC of the score (member = positive). */
  accuracy: number;
  auc: number;
}

/**
 * The attack's result for the released copies of `records` records (`copies` each, record-major):
 * for every m in `ms` (m <= copies) and both aggregates, accuracy and AUC of the attack classifier.
 *
 * @example
 * const attack = Mlp.create([2, 1], { head: 'sigmoid', seed: 1 });
 * const released = Float32Array.of(0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.5, 0.5); // 2 records x 2 copies, k = 2
 * console.log(nearDuplicateScores(attack, released, 2, 2, 2, Uint8Array.of(1, 0), [1, 2]));
 */
export function nearDuplicateScores(
  attack: Mlp, released: Float32Array, k: number, records: number, copies: number, isMember: Uint8Array, ms: readonly number[],
): NearDuplicateScore[] {
  const p = membershipProbability(attack, released);
  const out: NearDuplicateScore[] = [];
  const buf = new Float64Array(copies);
  for (const m of ms) {
    if (m > copies) throw new RangeError(`nearDuplicateScores: m = ${m} > ${copies} copies`);
    for (const aggregate of ['max', 'median'] as const) {
      const score = new Float64Array(records);
      for (let r = 0; r < records; r++) {
        for (let c = 0; c < m; c++) buf[c] = p[r * copies + c]!;
        const first = buf.subarray(0, m).sort();
        score[r] = aggregate === 'max' ? first[m - 1]! : m % 2 ? first[(m - 1) / 2]! : (first[m / 2 - 1]! + first[m / 2]!) / 2;
      }
      out.push({ m, aggregate, accuracy: accuracy(Array.from(score, (s) => (s >= 0.5 ? 1 : 0)), isMember), auc: auc(score, isMember) });
    }
  }
  return out;
}

/**
 * Fraction of copies whose coin is the one of the record's own query: the coin's uniform of each
 * copy equals the record's. `uniforms` are `records x (1 + copies)` values, the record's own first.
 *
 * @example
 * console.log(sharedCoinFraction(Float64Array.of(0.1, 0.1, 0.2, 0.5, 0.5, 0.5), 2, 2)); // 0.75
 */
export function sharedCoinFraction(uniforms: Float64Array, records: number, copies: number): number {
  let same = 0;
  for (let r = 0; r < records; r++) {
    const own = uniforms[r * (copies + 1)]!;
    for (let c = 1; c <= copies; c++) same += Number(uniforms[r * (copies + 1) + c] === own);
  }
  return same / (records * copies);
}

