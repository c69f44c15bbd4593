// Writes a comparison's outputs (Node only): results.json (with the verdict), report.html and
// released/<id>.csv; the trained models are already in models/ (the resumable store).
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeScoresCsv } from '../data/csv/scores.js';
import { writeFileAtomic } from '../data/files.js';
import { renderCompareReport } from './compare.js';
import type { CompareResults } from '../compare/results.js';
import type { CompareOutput } from '../compare/run.js';
import { MemGuardFormatError } from '../errors.js';
import { computeCompareVerdict, type CompareVerdict } from '../compare/verdict.js';

/** JSON text with non-finite numbers kept as strings ("Infinity", "NaN"), as results.json files are. */
function json(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n';
}

/**
 * Writes every output under `dir`; returns the paths written, relative to `dir`, and the verdict.
 *
 * @example
 * const { written, verdict } = writeCompare(await runCompare({ config: COMPARE_QUICK }), 'compare-out');
 */
export function writeCompare(out: CompareOutput, dir: string): { written: string[]; verdict: CompareVerdict } {
  const { written, verdict } = writeCompareReport(out.results, dir);
  for (const e of out.exports) {
    mkdirSync(dirname(join(dir, e.path)), { recursive: true });
    writeScoresCsv(join(dir, e.path), e.table);
    written.push(e.path);
  }
  return { written, verdict };
}

/**
 * Writes results.json (with the verdict of this version) and report.html for `results`; returns the
 * paths written and the verdict. `memguard compare --report-only` uses it on an earlier run's results.json.
 *
 * @example
 * const { verdict } = writeCompareReport(readCompareResults('compare-out/results.json'), 'compare-out');
 */
export function writeCompareReport(results: CompareResults, dir: string): { written: string[]; verdict: CompareVerdict } {
  mkdirSync(dir, { recursive: true });
  const { verdict: _old, ...rest } = results as CompareResults & { verdict?: unknown };
  const verdict = computeCompareVerdict(rest);
  const withVerdict = { ...rest, verdict };
  writeFileAtomic(join(dir, 'results.json'), json(withVerdict));
  writeFileAtomic(join(dir, 'report.html'), renderCompareReport(withVerdict, verdict));
  return { written: ['results.json', 'report.html'], verdict };
}

/**
 * Reads a comparison's results.json back (non-finite numbers, written as strings, become numbers again).
 *
 * @example
 * const results = readCompareResults('compare-out/results.json');
 */
export function readCompareResults(path: string): CompareResults {
  const value = JSON.parse(readFileSync(path, 'utf8'), (_k, v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v)) as CompareResults;
  if (value?.kind !== 'compare' || value.version !== 1 || !Array.isArray(value.defenses)) {
    throw new MemGuardFormatError(`${path}: not the results.json of 'memguard compare' (expected {kind: "compare", version: 1, defenses: [...]})`);
  }
  return value;
}
