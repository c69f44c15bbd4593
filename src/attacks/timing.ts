// The timing channel of a deployed MemGuard (design §7): Phase I's work depends on the query, so the
// time a response takes can tell members from non-members. `timingLeakage` measures it the way an
// attacker would use it: the AUC of a per-row cost as a membership score (member = positive), for
// the work itself (Phase I steps and passes of g, which a caller must never see) and for the wall
// time of answering one query at a time.
import type { MemGuard, ProtectOptions } from '../memguard/memguard.js';
import { Random } from '../random.js';
import { auc, type Flags } from './metrics.js';

/**
 * Options of `timingLeakage`.
 *
 * @example
 * const options: TimingLeakageOptions = { input: 'logits', repeats: 3, seed: 7 };
 */
export interface TimingLeakageOptions {
  /** What the rows are (default 'probabilities'). */
  input?: ProtectOptions['input'];
  /** Single-query calls per row; the row's time is their median (default 1). 0 skips wall time. */
  repeats?: number;
  /** Seed of the order in which single queries are timed (shuffled so drift of the machine's load hits both classes alike). */
  seed?: number;
}

/**
 * What `timingLeakage` measured.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 });
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const leak: TimingLeakage = timingLeakage(guard, Float32Array.of(0.7, 0.2, 0.1, 0.4, 0.35, 0.25), [1, 0], { repeats: 0 });
 * console.log(leak.stepsAuc);
 */
export interface TimingLeakage {
  /** AUC of Phase I gradient steps per row (higher = member). */
  stepsAuc: number;
  /** AUC of passes of g per row (`ticks`: with `fixedWork` equal for every row, so 0.5). */
  ticksAuc: number;
  /** AUC of the wall time of `guard.protect` on the row alone (NaN when `repeats` is 0). */
  wallTimeAuc: number;
  /** Mean single-query time in ms, members and non-members. */
  meanMs: { members: number; nonMembers: number };
  /** Per-row single-query times (ms) in row order. */
  wallMs: Float64Array;
}

/**
 * Measures the timing channel of `guard` on labelled rows (rows x k) with membership flags.
 *
 * @example
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 });
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 }, search: { fixedWork: 16 } });
 * const scores = Array.from({ length: 8 }, (_, i) => [0.5 + (i % 4) / 10, 0.3 - (i % 4) / 20, 0.2 - (i % 4) / 20]).flat();
 * const leak = timingLeakage(guard, Float32Array.from(scores), [1, 1, 1, 1, 0, 0, 0, 0]);
 * console.log(leak.ticksAuc, leak.wallTimeAuc); // 0.5 (equal work per row), wall time: about 0.5
 */
export function timingLeakage(guard: MemGuard, rows: Float32Array, isMember: Flags, options: TimingLeakageOptions = {}): TimingLeakage {
  const k = guard.k, n = rows.length / k;
  const input = options.input ?? 'probabilities';
  const repeats = options.repeats ?? 1;
  const search = guard.search(rows, input);
  const wallMs = new Float64Array(n).fill(NaN);
  if (repeats > 0) {
    const order = Array.from({ length: n }, (_, i) => i);
    new Random(options.seed ?? 1).shuffle(order);
    guard.protect(rows.subarray(0, k), { input }); // warm-up: first-call costs are nobody's signal
    const times = new Float64Array(repeats);
    for (const r of order) {
      const row = rows.subarray(r * k, (r + 1) * k);
      for (let i = 0; i < repeats; i++) {
        const t = performance.now();
        guard.protect(row, { input });
        times[i] = performance.now() - t;
      }
      wallMs[r] = times.sort()[repeats >> 1]!;
    }
  }
  let mSum = 0, mN = 0, nSum = 0, nN = 0;
  for (let r = 0; r < n; r++) {
    if (isMember[r]) { mSum += wallMs[r]!; mN++; } else { nSum += wallMs[r]!; nN++; }
  }
  return {
    stepsAuc: auc(search.steps, isMember),
    ticksAuc: auc(search.ticks, isMember),
    wallTimeAuc: repeats > 0 ? auc(wallMs, isMember) : NaN,
    meanMs: { members: mSum / mN, nonMembers: nSum / nN },
    wallMs,
  };
}
