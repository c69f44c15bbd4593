// The verdict: per mixing rule and epsilon, the strongest attack by each headline metric beside the
// label-only floor (the stronger of the gap and noise-robustness attacks: no label-preserving defense
// can go below it, design §6; the verdict names which one set it) and beside
// the undefended value (epsilon 0), with how much of the leakage above the floor the defense removed
// and where it leaks more than no defense at all. Computed from any results object: whatever attacks
// and mixing rules it holds.
import { NOISE_ROBUSTNESS_ID } from '../attacks/noiseRobustness.js';
import type { AttackSummary } from '../attacks/summary.js';
import { modesOf, runsOf, type EpsilonResult, type EvaluationResults } from './results.js';

/**
 * The label-only attacks (design §6): the floor is, per metric, the strongest of those present.
 *
 * @example
 * console.log(FLOOR_ATTACKS); // ['gap', 'label-only/noise']
 */
export const FLOOR_ATTACKS: readonly string[] = Object.freeze(['gap', NOISE_ROBUSTNESS_ID]);

/**
 * The headline metrics of the verdict, in table order.
 *
 * @example
 * console.log(VERDICT_METRICS); // ['accuracy', 'auc', 'tprAt1Fpr', 'tprAt01Fpr']
 */
export const VERDICT_METRICS = ['accuracy', 'auc', 'tprAt1Fpr', 'tprAt01Fpr'] as const;
/**
 * One of the verdict's headline metrics.
 *
 * @example
 * const metric: VerdictMetric = 'tprAt1Fpr';
 */
export type VerdictMetric = typeof VERDICT_METRICS[number];

export const VERDICT_METRIC_LABELS: Record<VerdictMetric, string> = {
  accuracy: 'accuracy', auc: 'AUC (direction-free)', tprAt1Fpr: 'TPR @ 1% FPR', tprAt01Fpr: 'TPR @ 0.1% FPR',
};

/** Attacks left out of "strongest": upper bounds that pick their threshold with the evaluation set's own membership. */
export function isUpperBound(attack: string): boolean {
  return attack.endsWith('/hindsight');
}

/**
 * A metric as the verdict reads it: AUC is direction-free, max(AUC, 1 - AUC), because an attacker who
 * sees an inverted signal flips it.
 */
export function verdictValue(s: AttackSummary, metric: VerdictMetric): number {
  return metric === 'auc' ? Math.max(s.auc, 1 - s.auc) : s[metric];
}

/** Half-width of that value's interval over repeats, when known (flipping AUC keeps it). */
function verdictHalfWidth(s: AttackSummary, metric: VerdictMetric): number | undefined {
  return s.halfWidth?.[metric];
}

/**
 * A value with its half-width over repeats (when the run had repeats).
 *
 * @example
 * const v: VerdictValue = { value: 0.694, halfWidth: 0.004 };
 */
export interface VerdictValue {
  value: number;
  halfWidth?: number;
}

/**
 * The label-only floor by one metric: its value, the attack that set it, and every part's value.
 *
 * @example
 * const floor: LabelOnlyFloor = { attack: 'label-only/noise', value: 0.73, parts: { gap: { value: 0.69 }, 'label-only/noise': { value: 0.73 } } };
 */
export interface LabelOnlyFloor extends VerdictValue {
  /** The label-only attack that set the floor (the strongest part). */
  attack: string;
  /** Each label-only attack present, by id. */
  parts: Record<string, VerdictValue>;
}

/**
 * The label-only floor of one setting's attacks by one metric: the strongest of `FLOOR_ATTACKS`
 * present (the first listed on ties), with every part; undefined when none is present.
 *
 * @example
 * const s = (accuracy: number) => ({ accuracy, balancedAccuracy: accuracy, auc: accuracy, advantage: 0, tprAt1Fpr: 0, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } });
 * const floor = labelOnlyFloor({ gap: s(0.69), 'label-only/noise': s(0.73), nn: s(0.8) }, 'accuracy');
 * console.log(floor?.attack, floor?.value); // 'label-only/noise' 0.73
 */
export function labelOnlyFloor(attacks: Record<string, AttackSummary>, metric: VerdictMetric): LabelOnlyFloor | undefined {
  let floor: LabelOnlyFloor | undefined;
  const parts: Record<string, VerdictValue> = {};
  for (const attack of FLOOR_ATTACKS) {
    const part = valueOf(attacks[attack], metric);
    if (!part || !Number.isFinite(part.value)) continue;
    parts[attack] = part;
    if (!floor || part.value > floor.value) floor = { ...part, attack, parts };
  }
  return floor;
}

/**
 * The strongest attack by one metric at one setting, beside the floor and the undefended value.
 *
 * @example
 * const cell: VerdictCell = { attack: 'nn', value: 0.55, floor: { value: 0.69 }, undefended: { value: 0.80 }, removed: 0.8 };
 */
export interface VerdictCell {
  /** The strongest attack and its value. */
  attack: string;
  value: number;
  halfWidth?: number;
  /** The AUC is below 0.5: the value is 1 - AUC, what an attacker gets by flipping the score. */
  inverted?: boolean;
  /** The label-only floor at this setting and the attack that set it (absent without a label-only attack). */
  floor?: VerdictValue & { attack: string };
  /** The strongest value at epsilon 0 under the same mixing rule (absent without an epsilon-0 run). */
  undefended?: VerdictValue;
  /** (undefended - value) / (undefended - floor): the share of the leakage above the floor removed. */
  removed?: number;
}

/**
 * One defended epsilon of a verdict table: what the defense spent and the strongest attack per metric.
 *
 * @example
 * const row: VerdictRow = { epsilon: 1, distortion: { value: 0.3 }, metrics: { accuracy: { attack: 'gap', value: 0.694 }, auc: undefined, tprAt1Fpr: undefined, tprAt01Fpr: undefined } };
 */
export interface VerdictRow {
  epsilon: number;
  /** Mean released distortion E||n||_1 (what the defense spent). */
  distortion: VerdictValue;
  metrics: Record<VerdictMetric, VerdictCell | undefined>;
}

/**
 * A finding worth a red flag.
 *
 * @example
 * const flag: VerdictFlag = { kind: 'attack-stronger', epsilon: 0.1, metric: 'tprAt1Fpr', attack: 'nn', value: 0.043, reference: 0.037, text: 'nn is stronger against the defended model' };
 */
export interface VerdictFlag {
  /**
   * 'above-undefended': the strongest attack beats the strongest undefended one; 'attack-stronger':
   * one attack does better against the defended model than against the undefended one (its largest
   * excess over the epsilons); 'inverted': an AUC below 0.5 worth more than the floor once flipped.
   */
  kind: 'above-undefended' | 'attack-stronger' | 'inverted';
  epsilon: number;
  metric: VerdictMetric;
  attack: string;
  value: number;
  /** For 'above-undefended' and 'attack-stronger': the undefended value; for 'inverted': the raw AUC. */
  reference: number;
  text: string;
}

/**
 * The verdict for one mixing rule: a row per epsilon, one sentence per defended epsilon, the flags.
 *
 * @example
 * const table: VerdictTable = { mixing: 'paper', floor: {}, rows: [], sentences: [], flags: [] };
 */
export interface VerdictTable {
  mixing: string;
  /** The label-only floor per metric at the first setting (the undefended one when present), with its parts. */
  floor: Partial<Record<VerdictMetric, LabelOnlyFloor>>;
  rows: VerdictRow[];
  /** Plain-language summary, one sentence per defended epsilon. */
  sentences: string[];
  flags: VerdictFlag[];
}

/**
 * The verdict of a results object (`computeVerdict`), as written to results.json.
 *
 * @example
 * const s = (accuracy: number, auc: number) => ({ accuracy, balancedAccuracy: accuracy, auc, advantage: 0, tprAt1Fpr: 0, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } });
 * const runs = [0, 1].map((epsilon) => ({ epsilon, mixing: 'paper' as const, labelLoss: 0, meanPhase1Distortion: 0.3, meanP: epsilon, meanReleasedDistortion: 0.3 * epsilon,
 *   attacks: { gap: s(0.6, 0.6), nn: epsilon ? s(0.5, 0.31) : s(0.73, 0.8) } }));
 * const v: Verdict = computeVerdict({ version: 1, createdAt: '', config: { dataset: 'toy', epsilons: [0, 1], mixingModes: ['paper'], seeds: {} }, models: { targetTrain: 1, targetTest: 0.6 }, runs });
 * console.log(v.tables[0].flags[0].text); // ε = 1: nn has AUC 0.310, an inverted signal worth 0.690 ...
 */
export interface Verdict {
  /** The label-only attacks the floor is the strongest of (`FLOOR_ATTACKS`). */
  floorAttacks: string[];
  /** Attacks not considered for "strongest". */
  excluded: string[];
  tables: VerdictTable[];
}

/** The leakage above the floor counts as gone when it was below this (nothing left to remove). */
const NOTHING_ABOVE_FLOOR = 1e-3;

/**
 * A defended value counts as above the undefended one only by more than this: half the last digit
 * shown, so that a flag is visible in the printed numbers (the coin-weighted expectation of an
 * unchanged attack differs from the undefended value in the 7th digit).
 */
export const ABOVE_UNDEFENDED = 5e-4;

function f3(v: number): string {
  return v.toFixed(3);
}

function pct(v: number): string {
  return `${Math.round(v * 100)}%`;
}

function epsText(e: number): string {
  return e === Infinity ? '∞' : String(e);
}

function strongest(run: EpsilonResult, metric: VerdictMetric): VerdictCell | undefined {
  return strongestAttack(run.attacks, metric);
}

/**
 * The strongest attack on one metric among `attacks` (upper bounds and non-finite values left out):
 * its name, value, half-width over repeats, and whether its AUC is inverted.
 *
 * @example
 * const cell = strongestAttack(results.runs[1].attacks, 'tprAt1Fpr'); // { attack: 'lira', value: 0.16 }
 */
export function strongestAttack(attacks: Record<string, AttackSummary>, metric: VerdictMetric): VerdictCell | undefined {
  let best: VerdictCell | undefined;
  for (const [attack, s] of Object.entries(attacks)) {
    if (isUpperBound(attack)) continue;
    const value = verdictValue(s, metric);
    if (!Number.isFinite(value)) continue;
    if (!best || value > best.value) {
      best = { attack, value, halfWidth: verdictHalfWidth(s, metric), inverted: metric === 'auc' && s.auc < 0.5 ? true : undefined };
    }
  }
  if (best) {
    if (best.halfWidth === undefined) delete best.halfWidth;
    if (!best.inverted) delete best.inverted;
  }
  return best;
}

function valueOf(s: AttackSummary | undefined, metric: VerdictMetric): VerdictValue | undefined {
  if (!s) return undefined;
  const hw = verdictHalfWidth(s, metric);
  return hw === undefined ? { value: verdictValue(s, metric) } : { value: verdictValue(s, metric), halfWidth: hw };
}

function tableFor(r: EvaluationResults, mixing: EpsilonResult['mixing']): VerdictTable {
  const runs = runsOf(r, mixing).filter((x) => !Number.isNaN(x.epsilon));
  const base = runs.find((x) => x.epsilon === 0);
  const rows: VerdictRow[] = [];
  const flags: VerdictFlag[] = [];
  const sentences: string[] = [];
  for (const run of runs) {
    const metrics = {} as Record<VerdictMetric, VerdictCell | undefined>;
    for (const metric of VERDICT_METRICS) {
      const cell = strongest(run, metric);
      if (!cell) { metrics[metric] = undefined; continue; }
      const lo = labelOnlyFloor(run.attacks, metric);
      const floor = lo && (lo.halfWidth === undefined ? { value: lo.value, attack: lo.attack } : { value: lo.value, halfWidth: lo.halfWidth, attack: lo.attack });
      const undefended = base ? strongest(base, metric) : undefined;
      if (floor) cell.floor = floor;
      if (undefended) {
        cell.undefended = undefended.halfWidth === undefined ? { value: undefended.value } : { value: undefended.value, halfWidth: undefended.halfWidth };
      }
      if (floor && undefended && undefended.value - floor.value > NOTHING_ABOVE_FLOOR) {
        cell.removed = (undefended.value - cell.value) / (undefended.value - floor.value);
      }
      metrics[metric] = cell;
      if (run.epsilon > 0 && undefended && cell.value > undefended.value + ABOVE_UNDEFENDED) {
        flags.push({
          kind: 'above-undefended', epsilon: run.epsilon, metric, attack: cell.attack, value: cell.value, reference: undefended.value,
          text: `ε = ${epsText(run.epsilon)}: ${cell.attack} reaches ${VERDICT_METRIC_LABELS[metric]} ${f3(cell.value)}, ` +
            `above the undefended ${f3(undefended.value)} (${undefended.attack}): the defense leaks more here than no defense` +
            (cell.halfWidth !== undefined && undefended.halfWidth !== undefined
              ? (cell.value - cell.halfWidth > undefended.value + undefended.halfWidth ? ' (the 95% intervals do not overlap).' : ' (within the 95% intervals of the runs).')
              : '.'),
        });
      }
    }
    if (run.epsilon > 0) {
      // Inverted signals: an attack whose AUC is below 0.5 by more than the floor is above 0.5.
      const floorAuc = labelOnlyFloor(run.attacks, 'auc')?.value ?? 0.5;
      for (const [attack, s] of Object.entries(run.attacks)) {
        if (isUpperBound(attack) || !(s.auc < 0.5) || !(1 - s.auc > Math.max(floorAuc, 0.5) + NOTHING_ABOVE_FLOOR)) continue;
        flags.push({
          kind: 'inverted', epsilon: run.epsilon, metric: 'auc', attack, value: 1 - s.auc, reference: s.auc,
          text: `ε = ${epsText(run.epsilon)}: ${attack} has AUC ${f3(s.auc)}, an inverted signal worth ${f3(1 - s.auc)} ` +
            `to an attacker who flips it (above the floor's ${f3(floorAuc)}).`,
        });
      }
      const parts: string[] = [];
      for (const metric of ['accuracy', 'auc'] as const) {
        const c = metrics[metric];
        if (!c) continue;
        const label = metric === 'accuracy' ? 'accuracy' : 'direction-free AUC';
        if (c.removed !== undefined) {
          parts.push(`${c.removed >= 0 ? `removed ${pct(c.removed)}` : `added ${pct(-c.removed)} more`} of the ${label} leakage above the label-only floor ` +
            `(strongest ${c.attack} ${f3(c.value)}; undefended ${f3(c.undefended!.value)}; floor ${f3(c.floor!.value)}, set by ${c.floor!.attack})`);
        } else if (c.floor && c.undefended) {
          parts.push(`had no ${label} leakage above the floor to remove (undefended ${f3(c.undefended.value)}, floor ${f3(c.floor.value)} set by ${c.floor.attack}; defended ${f3(c.value)})`);
        }
      }
      if (parts.length) {
        const d = rowsDistortion(run);
        sentences.push(`At ε = ${epsText(run.epsilon)} (mean released distortion ${f3(d.value)}), the defense ${parts.join(', and ')}.`);
      }
    }
    rows.push({ epsilon: run.epsilon, distortion: rowsDistortion(run), metrics });
  }
  if (base) flags.push(...strongerAttacks(runs, base, flags));
  const floor: Partial<Record<VerdictMetric, LabelOnlyFloor>> = {};
  const at = base ?? runs[0];
  for (const metric of VERDICT_METRICS) {
    const f = at && labelOnlyFloor(at.attacks, metric);
    if (f) floor[metric] = f;
  }
  return { mixing, floor, rows, sentences, flags };
}

/**
 * Attacks that do better against the defended model than against the undefended one (e.g. the NN
 * attack's TPR at 1% FPR rising from 0.037 to 0.038 under exact mixing): one flag per attack and
 * metric, at the epsilon of its largest excess, unless the strongest-attack flag already says it.
 */
function strongerAttacks(runs: EpsilonResult[], base: EpsilonResult, already: VerdictFlag[]): VerdictFlag[] {
  const out: VerdictFlag[] = [];
  for (const [attack, b] of Object.entries(base.attacks)) {
    if (isUpperBound(attack)) continue;
    for (const metric of VERDICT_METRICS) {
      const u = verdictValue(b, metric);
      let worst: { run: EpsilonResult; value: number } | undefined;
      for (const run of runs) {
        const s = run.attacks[attack];
        if (!(run.epsilon > 0) || !s) continue;
        const v = verdictValue(s, metric);
        if (v > u + ABOVE_UNDEFENDED && (!worst || v > worst.value)) worst = { run, value: v };
      }
      if (!worst) continue;
      const epsilon = worst.run.epsilon;
      if (already.some((f) => f.kind === 'above-undefended' && f.epsilon === epsilon && f.metric === metric && f.attack === attack)) continue;
      out.push({
        kind: 'attack-stronger', epsilon, metric, attack, value: worst.value, reference: u,
        text: `ε = ${epsText(epsilon)}: ${attack} is stronger against the defended model than against the undefended one ` +
          `(${VERDICT_METRIC_LABELS[metric]} ${f3(worst.value)} vs ${f3(u)}).`,
      });
    }
  }
  return out;
}

function rowsDistortion(run: EpsilonResult): VerdictValue {
  const hw = run.halfWidth?.meanReleasedDistortion;
  return hw === undefined ? { value: run.meanReleasedDistortion } : { value: run.meanReleasedDistortion, halfWidth: hw };
}

/**
 * The verdict of a results object: one table per mixing rule present, rows per epsilon, over every
 * attack in the results except upper bounds (`isUpperBound`).
 *
 * @example
 * const s = (accuracy: number, auc: number) => ({ accuracy, balancedAccuracy: accuracy, auc, advantage: 0, tprAt1Fpr: 0, tprAt01Fpr: 0, roc: { fpr: [0, 1], tpr: [0, 1] } });
 * const runs = [0, 1].map((epsilon) => ({ epsilon, mixing: 'paper' as const, labelLoss: 0, meanPhase1Distortion: 0.3, meanP: epsilon, meanReleasedDistortion: 0.3 * epsilon,
 *   attacks: { gap: s(0.6, 0.6), nn: epsilon ? s(0.65, 0.7) : s(0.73, 0.8) } }));
 * const v = computeVerdict({ version: 1, createdAt: '', config: { dataset: 'toy', epsilons: [0, 1], mixingModes: ['paper'], seeds: {} }, models: { targetTrain: 1, targetTest: 0.6 }, runs });
 * console.log(v.tables[0].sentences[0]); // At ε = 1 (...), the defense removed 62% of the accuracy leakage above the label-only floor ...
 */
export function computeVerdict(r: EvaluationResults): Verdict {
  const excluded = new Set<string>();
  for (const run of r.runs) for (const a of Object.keys(run.attacks)) if (isUpperBound(a)) excluded.add(a);
  return { floorAttacks: [...FLOOR_ATTACKS], excluded: [...excluded], tables: modesOf(r).map((m) => tableFor(r, m)) };
}
