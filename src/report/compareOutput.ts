// Writes a comparison's outputs (Node only): results.json (with the verdict), report.html and
// released/<id>.csv; the trained models are already in models/ (the resumable store).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeScoresCsv } from '../data/csv/scores.js';
import { writeFileAtomic } from '../data/files.js';
import { renderCompareReport } from './compare.js';
import type { CompareOutput } from '../compare/run.js';
import { computeCompareVerdict } from '../compare/verdict.js';

/** JSON text with non-finite numbers kept as strings ("Infinity", "NaN"), as results.json files are. */
function json(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n';
}

/**
 * Writes every output under `dir`; returns the paths written, relative to `dir`.
 *
 * @example
 * const written = writeCompare(await runCompare({ config: COMPARE_QUICK }), 'compare-out');
 */
export function writeCompare(out: CompareOutput, dir: string): string[] {
  const written: string[] = [];
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileAtomic(join(dir, path), text);
    written.push(path);
  };
  const verdict = computeCompareVerdict(out.results);
  const results = { ...out.results, verdict };
  write('results.json', json(results));
  write('report.html', renderCompareReport(results, verdict));
  for (const e of out.exports) {
    mkdirSync(dirname(join(dir, e.path)), { recursive: true });
    writeScoresCsv(join(dir, e.path), e.table);
    written.push(e.path);
  }
  return written;
}
