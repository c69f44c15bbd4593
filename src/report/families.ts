// Attack families for the plots: one curve per family (its strongest variant), named by what the
// attacker knows, with a fixed color per family so a family looks the same on every chart.
import { PALETTE } from './svg.js';

export interface AttackFamily {
  id: string;
  /** The legend text: what the attacker knows. */
  legend: string;
}

/** Known families, in legend order; any other attack id forms a family of its own prefix. */
const KNOWN: Array<AttackFamily & { match: (attack: string) => boolean }> = [
  { id: 'nn', legend: 'NN attack (shadow model, naive)', match: (a) => a === 'nn' },
  { id: 'nn/defense-aware', legend: 'NN attack (defense-aware)', match: (a) => a === 'nn/defense-aware' },
  { id: 'nn-at', legend: 'NN-AT (adversarially trained NN attack)', match: (a) => a === 'nn-at' || a.startsWith('nn-at/') },
  { id: 'nn-r', legend: 'NN-R (NN attack on rounded scores)', match: (a) => /^nn-r\d+(\/|$)/.test(a) },
  { id: 'metric', legend: 'metric attacks (shadow-calibrated thresholds)', match: (a) => /^(correctness|confidence|entropy|modified-entropy)\/(per-class|global)$/.test(a) },
  { id: 'hindsight', legend: 'best threshold in hindsight (upper bound)', match: (a) => a.endsWith('/hindsight') },
  { id: 'lira', legend: 'LiRA (per-example shadow models)', match: (a) => a === 'lira' || a.startsWith('lira/') },
  { id: 'gap', legend: 'gap attack (label only)', match: (a) => a === 'gap' },
  { id: 'label-only', legend: 'noise robustness (label only)', match: (a) => a === 'label-only/noise' },
];

/** The family of an attack id. */
export function familyOf(attack: string): AttackFamily {
  const known = KNOWN.find((f) => f.match(attack));
  if (known) return { id: known.id, legend: known.legend };
  const prefix = attack.split('/')[0]!;
  return { id: prefix, legend: prefix };
}

/** The most curves a chart shows (beyond the reference lines). */
export const MAX_CURVES = 6;

/**
 * One attack per family, its strongest by `strength` (higher = stronger), the families kept in
 * legend order; at most `MAX_CURVES`, dropping the weakest families. `exclude` families (e.g. the
 * floor, drawn as a reference line) are left out.
 */
export function strongestPerFamily(attacks: string[], strength: (attack: string) => number, exclude: string[] = []): Array<{ attack: string; family: AttackFamily }> {
  const best = new Map<string, { attack: string; family: AttackFamily; s: number }>();
  for (const attack of attacks) {
    const family = familyOf(attack);
    if (exclude.includes(family.id)) continue;
    const s = strength(attack);
    const cur = best.get(family.id);
    if (!cur || s > cur.s) best.set(family.id, { attack, family, s });
  }
  const order = (id: string) => { const i = KNOWN.findIndex((f) => f.id === id); return i < 0 ? KNOWN.length : i; };
  const kept = [...best.values()].sort((a, b) => b.s - a.s).slice(0, MAX_CURVES);
  return kept.sort((a, b) => order(a.family.id) - order(b.family.id) || a.family.id.localeCompare(b.family.id))
    .map(({ attack, family }) => ({ attack, family }));
}

/**
 * A color per family, fixed across the report: known families by their place, others in order of
 * first appearance; distinct for up to `PALETTE.length` families.
 */
export function familyColors(families: string[]): Map<string, string> {
  const out = new Map<string, string>();
  // The label-only families are the floor, drawn in the reference color.
  const floor = ['gap', 'label-only'];
  const knownIds = KNOWN.map((f) => f.id).filter((id) => !floor.includes(id));
  const all = [...knownIds, ...families.filter((f) => !knownIds.includes(f) && !floor.includes(f))];
  // Known families that are absent keep no color, so extra families still get distinct ones.
  const present = all.filter((f) => families.includes(f));
  present.forEach((f, i) => out.set(f, PALETTE[i % PALETTE.length]!));
  return out;
}
