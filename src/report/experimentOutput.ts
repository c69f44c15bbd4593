// Writes an experiment's outputs (Node only): results.json, report.html, released/*.csv, models/*.json.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeScoresCsv } from '../data/csv/scores.js';
import { writeFileAtomic } from '../data/files.js';
import { serializeModel } from '../nn/modelFile.js';
import { renderReport } from './html.js';
import { computeVerdict } from '../experiment/verdict.js';
import { serializeResults } from '../experiment/results.js';
import type { ExperimentOutput } from '../experiment/run.js';

/**
 * Writes every output under `dir`; returns the paths written, relative to `dir`.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * const config = { ...QUICK_CONFIG, epsilons: [0.5], mixingModes: ['paper' as const], defenseAware: false, rowsPerSplit: 60 };
 * const written = writeExperiment(await runExperiment({ config }), dir);
 * console.log(written); // ['results.json', 'report.html', 'released/...csv', 'models/...json', ...]
 */
export function writeExperiment(out: ExperimentOutput, dir: string): string[] {
  const written: string[] = [];
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileAtomic(join(dir, path), text);
    written.push(path);
  };
  const results = { ...out.results, verdict: out.results.verdict ?? computeVerdict(out.results) };
  write('results.json', serializeResults({ ...results, config: { ...results.config, timings: out.timings } }));
  write('report.html', renderReport(results));
  for (const [name, model] of Object.entries(out.models)) write(`models/${name}.json`, serializeModel(model));
  for (const e of out.exports) {
    mkdirSync(dirname(join(dir, e.path)), { recursive: true });
    writeScoresCsv(join(dir, e.path), e.table);
    written.push(e.path);
  }
  return written;
}
