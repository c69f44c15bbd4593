// The results of `memguard compare` (results.json): one entry per defense setting with its utility
// and every attack, the seed floor and the label-only floor; and how repeated runs combine into
// means with 95% intervals (the experiment's Student t interval, src/experiment/repeats.ts).
import { NOISE_ROBUSTNESS_ID } from '../attacks/noiseRobustness.js';
import type { AttackSummary } from '../attacks/summary.js';
import { meanSummary, SUMMARY_METRICS } from '../attacks/summary.js';
import { MemGuardInputError } from '../errors.js';
import { meanInterval } from '../experiment/repeats.js';
import type { DefenseParams } from './defenses.js';

/**
 * What a setting costs: distortion = mean ||s_released - s_ref||_1 over the evaluation queries (in
 * expectation over MemGuard's coin), label loss against s_ref, test accuracy on rows no role uses.
 *
 * @example
 * const u: Utility = { distortion: 0.3, labelLoss: 0, testAccuracy: 0.6 };
 */
export interface Utility {
  distortion: number;
  labelLoss: number;
  testAccuracy: number;
  /** The distortion of the one sampled release written to released/<id>.csv (MemGuard's coin drawn once). */
  sampledDistortion?: number;
}

/**
 * One defense setting.
 *
 * @example
 * const e: CompareEntry = { id: 'none', defense: 'none', params: {}, utility: { distortion: 0, labelLoss: 0, testAccuracy: 0.6 }, attacks: {} };
 */
export interface CompareEntry {
  id: string;
  /** The `memguard train` name, a post-hoc name, `memguard`, or `memguard+NAME`. */
  defense: string;
  params: DefenseParams;
  utility: Utility;
  /** Per attack id; `/defense-aware` ids use a shadow defended the same way. */
  attacks: Record<string, AttackSummary>;
  /** DP-SGD's accounting, when the defense has one. */
  dp?: Record<string, number>;
  /** Half-widths of the utility's 95% intervals over repeats. */
  halfWidth?: Partial<Record<keyof Utility, number>>;
}

/**
 * Two undefended models that differ only in their seed: what any retrained defense pays at least.
 *
 * @example
 * const f: SeedFloor = { distortion: 0.4, labelLoss: 0.2, testAccuracy: 0.59, referenceTestAccuracy: 0.6, attacks: {} };
 */
export interface SeedFloor extends Utility {
  referenceTestAccuracy: number;
  /** The attacks against the second model: how much they move with the seed alone. */
  attacks: Record<string, AttackSummary>;
  halfWidth?: Partial<Record<string, number>>;
}

/**
 * The strongest label-only attack on the undefended model, per metric.
 *
 * @example
 * const f: LabelOnlyFloor = { attack: 'gap', accuracy: 0.69, auc: 0.69, tprAt1Fpr: 0, tprAt01Fpr: 0 };
 */
export interface LabelOnlyFloor {
  attack: string;
  accuracy: number;
  auc: number;
  tprAt1Fpr: number;
  tprAt01Fpr: number;
}

/**
 * The whole comparison.
 *
 * @example
 * const r: CompareResults = { kind: 'compare', version: 1, createdAt: '', config: {}, reference: { trainAccuracy: 1, testAccuracy: 0.6 },
 *   defenses: [], seedFloor: { distortion: 0, labelLoss: 0, testAccuracy: 0.6, referenceTestAccuracy: 0.6, attacks: {} },
 *   labelOnlyFloor: { attack: 'gap', accuracy: 0.69, auc: 0.69, tprAt1Fpr: 0, tprAt01Fpr: 0 } };
 */
export interface CompareResults {
  kind: 'compare';
  version: 1;
  title?: string;
  createdAt: string;
  config: Record<string, unknown>;
  /** The one undefended reference model every distortion is measured against. */
  reference: { trainAccuracy: number; testAccuracy: number; halfWidth?: Record<string, number> };
  defenses: CompareEntry[];
  seedFloor: SeedFloor;
  labelOnlyFloor: LabelOnlyFloor;
  /** Sentences, most important first (see compare/verdict.ts). */
  verdict?: unknown;
  repeats?: number;
  notes?: string[];
}

/** The attacks that see the predicted label only (the floor's candidates): the gap attack and noise robustness. */
export const LABEL_ONLY_ATTACKS: readonly string[] = Object.freeze(['gap', NOISE_ROBUSTNESS_ID]);

function meanAttack(list: AttackSummary[]): AttackSummary {
  const out = meanSummary(list);
  if (list.length < 2) return out;
  const halfWidth: AttackSummary['halfWidth'] = {};
  for (const m of SUMMARY_METRICS) {
    const values = list.map((s) => s[m]);
    if (values.every((v): v is number => typeof v === 'number')) halfWidth[m] = meanInterval(values).halfWidth;
  }
  return { ...out, halfWidth };
}

function meanAttacks(list: Array<Record<string, AttackSummary>>): Record<string, AttackSummary> {
  const out: Record<string, AttackSummary> = {};
  for (const id of Object.keys(list[0]!)) {
    const all = list.map((a) => a[id]).filter((a): a is AttackSummary => a !== undefined);
    if (all.length === list.length) out[id] = meanAttack(all);
  }
  return out;
}

function meanNumbers<T extends object>(list: T[], keys: string[]): { mean: Record<string, number>; halfWidth: Record<string, number> } {
  const mean: Record<string, number> = {}, halfWidth: Record<string, number> = {};
  for (const key of keys) {
    const values = list.map((o) => (o as Record<string, unknown>)[key]);
    if (!values.every((v): v is number => typeof v === 'number')) continue;
    const m = meanInterval(values);
    mean[key] = m.mean;
    if (m.halfWidth !== undefined) halfWidth[key] = m.halfWidth;
  }
  return { mean, halfWidth };
}

const UTILITY_KEYS = ['distortion', 'labelLoss', 'testAccuracy', 'sampledDistortion'];

/**
 * Combines repeated comparisons (same settings, independent seeds): every number the mean over the
 * runs, with the half-width of its 95% t interval.
 *
 * @example
 * const both = combineCompareRepeats([run1, run2]); // both.defenses[i].utility.distortion is the mean
 */
export function combineCompareRepeats(list: CompareResults[]): CompareResults {
  if (list.length === 0) throw new MemGuardInputError('combineCompareRepeats: no results');
  if (list.length === 1) return list[0]!;
  const first = list[0]!;
  const ids = first.defenses.map((e) => e.id).join();
  for (const r of list) {
    if (r.defenses.map((e) => e.id).join() !== ids) throw new MemGuardInputError('combineCompareRepeats: the repeats do not cover the same defense settings');
  }
  const defenses = first.defenses.map((e, i) => {
    const all = list.map((r) => r.defenses[i]!);
    const u = meanNumbers(all.map((x) => x.utility), UTILITY_KEYS);
    return { ...e, utility: u.mean as unknown as Utility, halfWidth: u.halfWidth, attacks: meanAttacks(all.map((x) => x.attacks)) };
  });
  const floor = meanNumbers(list.map((r) => r.seedFloor), [...UTILITY_KEYS, 'referenceTestAccuracy']);
  const ref = meanNumbers(list.map((r) => r.reference), ['trainAccuracy', 'testAccuracy']);
  const lo = meanNumbers(list.map((r) => r.labelOnlyFloor), ['accuracy', 'auc', 'tprAt1Fpr', 'tprAt01Fpr']);
  return {
    ...first,
    config: { ...first.config, repeats: list.length, repeatSeeds: list.map((r) => r.config.seed) },
    reference: { ...(ref.mean as { trainAccuracy: number; testAccuracy: number }), halfWidth: ref.halfWidth },
    defenses,
    seedFloor: { ...(floor.mean as unknown as SeedFloor), attacks: meanAttacks(list.map((r) => r.seedFloor.attacks)), halfWidth: floor.halfWidth },
    labelOnlyFloor: { ...first.labelOnlyFloor, ...(lo.mean as unknown as LabelOnlyFloor) },
    repeats: list.length,
    notes: [...(first.notes ?? []), `Every number is the mean of ${list.length} runs with independent seeds; ± is the half-width of a 95% Student t interval over the runs.`],
  };
}
