// The timing channel in the experiment (design §7): how well the time of a response, or the Phase I
// work behind it, tells members from non-members, for the default search, the paper-literal search
// and the fixed-work search that is its mitigation. The measurement itself is attacks/timing.ts.
import { timingLeakage } from '../attacks/timing.js';
import type { Flags } from '../attacks/metrics.js';
import { MemGuard } from '../memguard/memguard.js';
import type { Phase1Method, Phase1Options } from '../memguard/phase1.js';
import type { Mlp } from '../nn/mlp.js';

/**
 * The searches compared: the library's default, the paper's loop, and equal work for every row.
 *
 * @example
 * console.log(Object.keys(TIMING_SEARCHES)); // ['default', 'literal', 'fixed-work']
 */
export const TIMING_SEARCHES = {
  default: {},
  literal: { literal: true },
  'fixed-work': { fixedWork: true },
} as const satisfies Record<string, Phase1Options>;

/**
 * Which search a timing row measured.
 *
 * @example
 * const search: TimingSearch = 'fixed-work';
 */
export type TimingSearch = keyof typeof TIMING_SEARCHES;

/**
 * Timing-channel AUCs (member = positive) of one search on the evaluation rows.
 *
 * @example
 * const row: TimingRow = { search: 'default', stepsAuc: 0.49, ticksAuc: 0.49, wallTimeAuc: 0.5, meanMs: { members: 1.7, nonMembers: 1.7 } };
 */
export interface TimingRow {
  search: TimingSearch;
  stepsAuc: number;
  ticksAuc: number;
  /** NaN where wall time was not measured (the literal search: its work AUC is the signal, and timing it one query at a time costs minutes). */
  wallTimeAuc: number;
  meanMs: { members: number; nonMembers: number };
}

/**
 * The experiment's timing section.
 *
 * @example
 * const timing: TimingResult = { rows: [], queries: 2000, repeats: 1 };
 */
export interface TimingResult {
  rows: TimingRow[];
  /** Evaluation queries measured (members and non-members). */
  queries: number;
  /** Single-query calls per row; the row's time is their median. */
  repeats: number;
}

/** Measures the three searches on the evaluation logits (`z`, rows x k). */
export function runTimingLeakage(input: {
  defense: Mlp; z: Float32Array; isMember: Flags; method: Phase1Method; search?: Phase1Options; repeats: number; seed: number;
}): TimingResult {
  const rows: TimingRow[] = [];
  for (const [name, search] of Object.entries(TIMING_SEARCHES) as [TimingSearch, Phase1Options][]) {
    const guard = new MemGuard({
      defenseClassifier: input.defense, epsilon: 1, method: input.method, search: { ...input.search, ...search }, coin: { mode: 'expectation' },
    });
    const leak = timingLeakage(guard, input.z, input.isMember, { input: 'logits', repeats: name === 'literal' ? 0 : input.repeats, seed: input.seed });
    rows.push({ search: name, stepsAuc: leak.stepsAuc, ticksAuc: leak.ticksAuc, wallTimeAuc: leak.wallTimeAuc, meanMs: leak.meanMs });
  }
  return { rows, queries: input.isMember.length, repeats: input.repeats };
}
