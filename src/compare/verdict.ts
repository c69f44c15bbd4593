// The comparison's verdict (design §11): first every setting where a defense makes the attacker STRONGER
// than against no defense (its strongest attack above the undefended model's strongest, on any headline
// metric), then where MemGuard loses to a rival at the same distortion, then where it wins, the
// label-only and seed floors, and the matched-utility table.
import type { AttackSummary } from '../attacks/summary.js';
import { ABOVE_UNDEFENDED, isUpperBound, strongestAttack, VERDICT_METRIC_LABELS, VERDICT_METRICS, type VerdictMetric } from '../experiment/verdict.js';
import { LABEL_ONLY_ATTACKS, type CompareEntry, type CompareResults } from './results.js';

/** Gap an attack must open over the undefended value (or MemGuard over a rival) to count, beyond any 95% intervals. */
export const COMPARE_MARGIN = 0.005;
/** Test accuracy a setting may lose and still count as matching the undefended model's. */
const SAME_ACCURACY = 0.01;
/** Test accuracy a setting below the label-only floor may lose and still be named as a cheap way there. */
const CHEAP_ACCURACY = 0.03;

/**
 * A setting where a defense helps an attack: the attack, the metric, and both values.
 *
 * @example
 * const s: Strengthened = { id: 'memguard-mixingpaper-epsilon0.1', defense: 'memguard', attack: 'lira', metric: 'tprAt01Fpr', value: 0.055, undefended: 0.024, undefendedAttack: 'lira', seedFloorReaches: false, settings: 3, of: 14 };
 */
export interface Strengthened {
  id: string;
  defense: string;
  attack: string;
  metric: VerdictMetric;
  value: number;
  /** The strongest attack's value on the undefended model, and which attack that is. */
  undefended: number;
  undefendedAttack: string;
  /** The second undefended model (seed only) reaches the value too: within seed noise. */
  seedFloorReaches: boolean;
  /** How many of the defense's settings strengthen some attack, of how many. */
  settings: number;
  of: number;
}

/**
 * MemGuard against one rival setting at the rival's distortion.
 *
 * @example
 * const m: Matchup = { rival: 'early-stopping-epochs10', defense: 'early-stopping', distortion: 0.4, rivalValue: 0.62, memguardValue: 0.66, attack: 'strongest', memguardWins: false };
 */
export interface Matchup {
  rival: string;
  defense: string;
  distortion: number;
  attack: 'strongest' | 'nn';
  rivalValue: number;
  memguardValue: number;
  memguardWins: boolean;
}

/**
 * One row of the matched-utility table.
 *
 * @example
 * const row: MatchedRow = { axis: 'distortion', target: 0.3, best: 'memguard-mixingpaper-epsilon0.3', bestDefense: 'memguard', strongest: 0.6, nn: 0.55, labelOnly: 0.69, candidates: 4 };
 */
export interface MatchedRow {
  axis: 'distortion' | 'test-accuracy-drop';
  target: number;
  best?: string;
  bestDefense?: string;
  strongest?: number;
  nn?: number;
  /** The strongest label-only attack against the best setting. */
  labelOnly?: number;
  /** Settings within the budget. */
  candidates: number;
  /** MemGuard's best setting within the budget, when it is not the best. */
  memguard?: { id: string; strongest: number };
}

/**
 * The verdict of a comparison.
 *
 * @example
 * const v: CompareVerdict = computeCompareVerdict(results);
 * console.log(v.sentences[0]); // the most important finding first
 */
export interface CompareVerdict {
  sentences: string[];
  strengthened: Strengthened[];
  matchups: Matchup[];
  matched: MatchedRow[];
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : String(v));

/** The accuracy of the strongest attack of a setting (upper bounds left out). */
export function strongest(attacks: Record<string, AttackSummary>): number {
  return Math.max(...Object.entries(attacks).filter(([a]) => !isUpperBound(a)).map(([, s]) => s.accuracy));
}

function labelOnly(attacks: Record<string, AttackSummary>): number {
  const v = LABEL_ONLY_ATTACKS.filter((a) => attacks[a]).map((a) => attacks[a]!.accuracy);
  return v.length ? Math.max(...v) : NaN;
}

function params(e: CompareEntry): string {
  const p = Object.entries(e.params).map(([k, v]) => `${k} ${v}`).join(', ');
  return p ? `${e.defense} (${p})` : e.defense;
}

/**
 * Every metric on which the attacker does better against `e` than against no defense: `e`'s strongest
 * attack beats the strongest attack on the undefended model by more than the margin and the
 * intervals. Attack against attack would mislead: an attack can score 0 undefended for want of a
 * threshold (NN-R's rounded scores tie at TPR @ 1% FPR) while another reaches 0.16 there.
 */
function strengthenedBy(e: CompareEntry, none: CompareEntry): Array<Omit<Strengthened, 'seedFloorReaches' | 'settings' | 'of'> & { excess: number }> {
  const out = [];
  for (const metric of VERDICT_METRICS) {
    const s = strongestAttack(e.attacks, metric), u = strongestAttack(none.attacks, metric);
    if (!s || !u) continue;
    const margin = Math.max(ABOVE_UNDEFENDED, COMPARE_MARGIN * (metric === 'tprAt1Fpr' || metric === 'tprAt01Fpr' ? 0 : 1)) + (s.halfWidth ?? 0) + (u.halfWidth ?? 0);
    if (s.value > u.value + margin) {
      out.push({ id: e.id, defense: e.defense, attack: s.attack, metric, value: s.value, undefended: u.value, undefendedAttack: u.attack, excess: (s.value - u.value) / Math.max(u.value, 0.01) });
    }
  }
  return out;
}

/** MemGuard's value at distortion `d` on the curve (0, undefended) + its settings, by linear interpolation. */
function interpolate(points: Array<[number, number]>, d: number): number | undefined {
  const p = [...points].sort((a, b) => a[0] - b[0]);
  if (!p.length || d > p[p.length - 1]![0] + 1e-9) return undefined;
  for (let i = 1; i < p.length; i++) {
    const [x0, y0] = p[i - 1]!, [x1, y1] = p[i]!;
    if (d <= x1) return x1 > x0 ? y0 + ((d - x0) / (x1 - x0)) * (y1 - y0) : Math.min(y0, y1);
  }
  return p[p.length - 1]![1];
}

/**
 * Reads a comparison's results into the verdict.
 *
 * @example
 * const verdict = computeCompareVerdict(results);
 * for (const s of verdict.sentences) console.log(s);
 */
export function computeCompareVerdict(r: CompareResults): CompareVerdict {
  const none = r.defenses.find((e) => e.defense === 'none');
  const sentences: string[] = [];
  if (!none) return { sentences: ['No undefended setting: nothing to compare against.'], strengthened: [], matchups: [], matched: [] };

  // 1. Settings that make an attack stronger than no defense, per defense (its worst case), first.
  const strengthened: Strengthened[] = [];
  const byDefense = new Map<string, CompareEntry[]>();
  for (const e of r.defenses) if (e !== none) byDefense.set(e.defense, [...(byDefense.get(e.defense) ?? []), e]);
  const noisy: string[] = [];
  const strong: string[] = [];
  for (const [defense, list] of byDefense) {
    const hits = list.map((e) => strengthenedBy(e, none));
    const settings = hits.filter((h) => h.length).length;
    const worst = hits.flat().sort((a, b) => b.excess - a.excess)[0];
    if (!worst) continue;
    const floor = strongestAttack(r.seedFloor.attacks, worst.metric);
    const seedFloorReaches = floor !== undefined && floor.value >= worst.value;
    const { excess: _e, ...rest } = worst;
    strengthened.push({ ...rest, seedFloorReaches, settings, of: list.length });
    const setting = list.find((e) => e.id === worst.id)!;
    const text = `${defense} makes the attacker STRONGER than against no defense at ${settings} of its ${list.length} setting${list.length === 1 ? '' : 's'}; ` +
      `worst: ${params(setting)}, ${worst.attack} ${VERDICT_METRIC_LABELS[worst.metric]} ${f3(worst.value)} vs ${f3(worst.undefended)} for the strongest attack on the undefended model (${worst.undefendedAttack})`;
    if (seedFloorReaches) noisy.push(`${defense} (${worst.attack} ${VERDICT_METRIC_LABELS[worst.metric]} ${f3(worst.value)} vs ${f3(worst.undefended)})`);
    else strong.push(text + '.');
  }
  // Beyond what a second undefended model reaches by its seed alone first; within that noise after, in one sentence.
  sentences.push(...strong);
  if (noisy.length) {
    sentences.push(`These make the attacker STRONGER than against no defense too, but no more than against a second undefended model differing only in seed (within seed noise): ${noisy.join('; ')}.`);
  }

  // 2. MemGuard (on the undefended model) against each rival at the rival's distortion.
  const mg = r.defenses.filter((e) => e.defense === 'memguard');
  const modes = [...new Set(mg.map((e) => String(e.params.mixing)))];
  const curve = (mode: string, value: (e: CompareEntry) => number): Array<[number, number]> =>
    [[0, value(none)], ...mg.filter((e) => String(e.params.mixing) === mode).map((e): [number, number] => [e.utility.distortion, value(e)])];
  const nnAcc = (e: CompareEntry) => e.attacks.nn?.accuracy ?? NaN;
  const matchups: Matchup[] = [];
  const rivals = r.defenses.filter((e) => e.defense !== 'none' && !e.defense.startsWith('memguard'));
  for (const e of rivals) {
    for (const [attack, value] of [['strongest', (x: CompareEntry) => strongest(x.attacks)], ['nn', nnAcc]] as const) {
      const at = modes.map((m) => interpolate(curve(m, value), e.utility.distortion)).filter((v): v is number => v !== undefined);
      if (!at.length || !Number.isFinite(value(e))) continue;
      const memguardValue = Math.min(...at);
      matchups.push({ rival: e.id, defense: e.defense, distortion: e.utility.distortion, attack, rivalValue: value(e), memguardValue, memguardWins: memguardValue <= value(e) + COMPARE_MARGIN });
    }
  }
  const rivalDefenses = [...new Set(rivals.map((e) => e.defense))];
  const wins: string[] = [], unmatched: string[] = [];
  for (const d of rivalDefenses) {
    const list = matchups.filter((m) => m.defense === d);
    const losses = list.filter((m) => !m.memguardWins).sort((a, b) => (b.memguardValue - b.rivalValue) - (a.memguardValue - a.rivalValue));
    if (losses.length) {
      const w = losses[0]!;
      sentences.push(`MemGuard LOSES to ${d} at matched distortion in ${losses.length} of ${list.length} comparisons; worst: at distortion ${f3(w.distortion)} ` +
        `the ${w.attack === 'nn' ? 'NN attack' : 'strongest attack'} reaches ${f3(w.memguardValue)} against MemGuard and ${f3(w.rivalValue)} against ${params(r.defenses.find((e) => e.id === w.rival)!)}.`);
    } else if (list.length) wins.push(d);
    const beyond = rivals.filter((e) => e.defense === d && !matchups.some((m) => m.rival === e.id));
    if (beyond.length && !list.length) unmatched.push(`${d} (${f3(Math.min(...beyond.map((e) => e.utility.distortion)))})`);
  }
  // At matched test accuracy: what a user who will not give up accuracy can choose.
  const keeps = (e: CompareEntry) => e.utility.testAccuracy >= r.reference.testAccuracy - SAME_ACCURACY - 1e-9;
  const byStrongest = (list: CompareEntry[]) => [...list].sort((a, b) => strongest(a.attacks) - strongest(b.attacks))[0];
  const rivalKeeping = byStrongest(rivals.filter(keeps)), mgKeeping = byStrongest(mg.filter(keeps));
  if (rivalKeeping && mgKeeping) {
    const rv = strongest(rivalKeeping.attacks), mv = strongest(mgKeeping.attacks);
    const stacked = byStrongest(r.defenses.filter((e) => e.defense.startsWith('memguard+') && keeps(e)));
    const at = `at matched test accuracy (within ${SAME_ACCURACY} of the undefended ${f3(r.reference.testAccuracy)})`;
    const detail = `${params(rivalKeeping)}: test accuracy ${f3(rivalKeeping.utility.testAccuracy)}, NN attack ${f3(rivalKeeping.attacks.nn?.accuracy ?? NaN)}`;
    sentences.push(rv < mv - COMPARE_MARGIN
      ? `MemGuard LOSES to ${rivalKeeping.defense} ${at}: the strongest attack reaches ${f3(mv)} against MemGuard at its best (${params(mgKeeping)}) and ${f3(rv)} against ${detail}` +
        (stacked ? `; MemGuard on top of it: ${f3(strongest(stacked.attacks))} (${params(stacked)}).` : '.')
      : `MemGuard beats every rival ${at}: the strongest attack reaches ${f3(mv)} against MemGuard at its best (${params(mgKeeping)}), ${f3(rv)} against the best rival, ${detail}.`);
  }
  if (unmatched.length) {
    sentences.push(`No matched-distortion comparison with MemGuard (their least distortion is beyond its largest budget): ${unmatched.join(', ')}; see the test-accuracy rows of the table.`);
  }
  if (wins.length) sentences.push(`MemGuard beats ${wins.join(', ')} at matched distortion on the NN attack and on the strongest attack (margin ${COMPARE_MARGIN}).`);

  // 3. The floors.
  const lo = r.labelOnlyFloor;
  if (Number.isFinite(lo.accuracy) && mg.length) {
    const best = Math.min(...mg.map((e) => strongest(e.attacks)));
    sentences.push(`Label-only floor (${lo.attack} attack on the undefended model): accuracy ${f3(lo.accuracy)}. MemGuard's best setting leaves the strongest attack at ${f3(best)}` +
      (best <= lo.accuracy + COMPARE_MARGIN ? ', at the floor.' : ', above the floor.'));
  }
  const below = r.defenses.filter((e) => !e.defense.startsWith('memguard') && e.defense !== 'none' && labelOnly(e.attacks) < lo.accuracy - COMPARE_MARGIN);
  if (below.length) {
    // The lowest of all usually gives up the model (DP-SGD at test accuracy 0.05); the lowest at little cost is the news.
    const lowest = (list: CompareEntry[]) => [...list].sort((x, y) => labelOnly(x.attacks) - labelOnly(y.attacks))[0];
    const b = lowest(below)!, cheap = lowest(below.filter((e) => e.utility.testAccuracy >= r.reference.testAccuracy - CHEAP_ACCURACY - 1e-9));
    const at = (e: CompareEntry) => `${params(e)} at ${f3(labelOnly(e.attacks))}, test accuracy ${f3(e.utility.testAccuracy)}`;
    sentences.push(`${below.length} training-time setting${below.length === 1 ? ' goes' : 's go'} below the label-only floor` +
      (cheap && cheap !== b ? `; the lowest within ${CHEAP_ACCURACY} of the undefended test accuracy: ${at(cheap)}` : '') +
      `; lowest of all: ${at(b)} (undefended ${f3(r.reference.testAccuracy)}).`);
  }
  sentences.push(`Seed floor: two undefended models that differ only in their seed are ${f3(r.seedFloor.distortion)} apart in distortion, with label loss ${f3(r.seedFloor.labelLoss)}; every retrained defense pays at least that.`);

  // 4. The matched-utility table.
  const matched: MatchedRow[] = [];
  const row = (axis: MatchedRow['axis'], target: number, fits: (e: CompareEntry) => boolean) => {
    const c = r.defenses.filter(fits);
    const best = c.sort((a, b) => strongest(a.attacks) - strongest(b.attacks))[0];
    const m = c.filter((e) => e.defense === 'memguard')[0];
    matched.push({
      axis, target, candidates: c.length, best: best?.id, bestDefense: best?.defense,
      strongest: best && strongest(best.attacks), nn: best?.attacks.nn?.accuracy, labelOnly: best && labelOnly(best.attacks),
      memguard: m && m !== best ? { id: m.id, strongest: strongest(m.attacks) } : undefined,
    });
  };
  for (const d of [0.1, 0.3, 0.5]) row('distortion', d, (e) => e.utility.distortion <= d * 1.2 + 1e-9);
  for (const drop of [0.01, 0.03]) row('test-accuracy-drop', drop, (e) => e.utility.testAccuracy >= r.reference.testAccuracy - drop - 1e-9);
  return { sentences, strengthened, matchups, matched };
}
