// Reading an `EvaluationResults` for display, shared by the HTML report and the console table:
// number formats, and the mixing modes, runs and attacks in the order they are shown.
import type { EpsilonResult, EvaluationResults, MixingMode, PublishedResult } from '../experiment/results.js';
import { formatNumber } from './svg.js';

/** Epsilon as shown in tables and captions. */
export function eps(e: number): string {
  return e === Infinity ? '∞' : formatNumber(e);
}

/** A metric value with 3 decimals, or an em dash when missing. */
export function fix3(v: number | undefined): string {
  return v === undefined || v === null || Number.isNaN(v) ? '—' : v.toFixed(3);
}

/** The mixing modes present, in config order first. */
/** Attack ids in order of first appearance. */
export function attacksOf(runs: EpsilonResult[]): string[] {
  const out: string[] = [];
  for (const run of runs) for (const a of Object.keys(run.attacks)) if (!out.includes(a)) out.push(a);
  return out;
}

/** The published accuracy at `epsilon`, if any. */
export function publishedAt(p: PublishedResult | undefined, epsilon: number): number | undefined {
  return p?.points.find((q) => q.epsilon === epsilon)?.accuracy;
}

/** A value with 3 decimals and, when known, ± the half-width of its 95% interval. */
export function fix3pm(v: number | undefined, halfWidth?: number): string {
  return halfWidth === undefined || v === undefined || Number.isNaN(v) ? fix3(v) : `${fix3(v)} ± ${fix3(halfWidth)}`;
}
