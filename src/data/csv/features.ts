// Feature tables: numeric features plus an integer label column, the form a user's own dataset
// (and the bundled Location data) is read in.
import { MemGuardFormatError } from '../../errors.js';
import { readTextFile } from '../files.js';
import { parseIndexCell, parseNumberCell } from './cells.js';
import { Growable } from './growable.js';
import { checkHeader, widthChecker, type CsvOptions } from './table.js';
import { CsvTokenizer } from './tokenizer.js';

/**
 * Numeric features (row-major `n x d`) with an integer label per row.
 *
 * @example
 * const t: FeatureTable = parseFeatureCsv('f1,f2,label\n0,1,2\n');
 * console.log(t.n, t.d, t.featureNames); // 1 2 ['f1', 'f2']
 */
export interface FeatureTable {
  features: Float32Array;
  labels: Int32Array;
  n: number;
  d: number;
  /** Names of the feature columns, in order (from the header, or `"1".."d"` positions without one). */
  featureNames: string[];
}

/**
 * How to read a feature CSV: `CsvOptions` plus which column holds the label.
 *
 * @example
 * const options: FeatureCsvOptions = { header: false, labelColumn: 2 };
 * console.log(parseFeatureCsv('0,1,3\n1,0,4\n', options).labels); // Int32Array [3, 4]
 */
export interface FeatureCsvOptions extends CsvOptions {
  /** The label column: a name (default `"label"`) or a 0-based position (default 0 without a header). */
  labelColumn?: string | number;
}

/**
 * Parses a CSV of numeric features plus an integer label column (non-negative integers).
 *
 * @example
 * parseFeatureCsv('a,b,label\n0,1,2\n1,0.5,0\n')  // { n: 2, d: 2, features: [0,1,1,0.5], labels: [2,0] }
 */
export function parseFeatureCsv(text: string, options: FeatureCsvOptions = {}): FeatureTable {
  const source = options.source ?? '';
  const hasHeader = options.header ?? true;
  const checkWidth = widthChecker(source);
  let header: string[] | undefined;
  let labelAt = -1, d = 0;
  const feats = new Growable(new Float32Array(0), (n) => new Float32Array(n));
  const labels = new Growable(new Int32Array(0), (n) => new Int32Array(n));
  const tok = new CsvTokenizer((fields, line) => {
    if (header === undefined) {
      const named = hasHeader ? fields : fields.map((_, j) => String(j));
      if (hasHeader) checkHeader(fields, line, source);
      const want = options.labelColumn ?? (hasHeader ? 'label' : 0);
      labelAt = typeof want === 'number' ? want : named.indexOf(want);
      if (!(labelAt >= 0 && labelAt < named.length && Number.isInteger(labelAt))) {
        throw new MemGuardFormatError(
          `${source ? source + ': ' : ''}line ${line}: no label column ${JSON.stringify(want)} among ${named.length} columns`,
        );
      }
      header = hasHeader ? fields : named;
      d = header.length - 1;
      if (hasHeader) return;
    }
    checkWidth(fields, line, header.length);
    feats.reserve(d);
    labels.reserve(1);
    const f = feats.data;
    let o = feats.length;
    for (let j = 0; j < fields.length; j++) {
      if (j === labelAt) continue;
      f[o++] = parseNumberCell(fields[j]!, line, header[j]!, source);
    }
    feats.length = o;
    labels.data[labels.length++] = parseIndexCell(fields[labelAt]!, line, header[labelAt]!, source);
  }, source);
  tok.push(text);
  tok.end();
  if (header === undefined) throw new MemGuardFormatError(`${source ? source + ': ' : ''}the file is empty`);
  const featureNames = hasHeader
    ? header.filter((_, j) => j !== labelAt)
    : header.filter((_, j) => j !== labelAt).map((_, j) => String(j + 1));
  return { features: feats.view(), labels: labels.view(), n: labels.length, d, featureNames };
}

/**
 * Reads a feature CSV file (optionally gzipped; detected by its magic bytes). See `parseFeatureCsv`.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * import { writeFileSync } from 'node:fs';
 * writeFileSync(join(dir, 'train.csv'), 'f1,f2,label\n0,1,1\n1,0,0\n');
 * const { features, labels } = readFeatureCsv(join(dir, 'train.csv'));
 */
export function readFeatureCsv(path: string, options: FeatureCsvOptions = {}): FeatureTable {
  return parseFeatureCsv(readTextFile(path), { source: path, ...options });
}
