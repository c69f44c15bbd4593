// The Location benchmark (design §6), read offline from the copy shipped in `data/location/`
// (provenance in data/location/README.md): 5,010 records x 446 binary features, 30 classes, plus
// MemGuard's own shuffle permutation, which defines the splits (src/data/splits.ts).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemGuardFormatError } from '../errors.js';
import { parseFeatureCsv } from './csv/features.js';
import { readTextFile } from './files.js';
import { Random } from '../random.js';

/**
 * A labelled dataset with the permutation that assigns its rows to split positions.
 *
 * @example
 * const ds: Dataset = loadLocation();
 * console.log(ds.n, ds.d, ds.classes, ds.shuffle.length); // 5010 446 30 5010
 */
export interface Dataset {
  /** Row-major `n x d`. */
  features: Float32Array;
  /** Class of each row, in `[0, classes)`. */
  labels: Int32Array;
  n: number;
  d: number;
  classes: number;
  /** `shuffle[p]` is the row at shuffle position `p`; a permutation of `0..n-1`. */
  shuffle: Int32Array;
  /** What the data is, as reports name it. */
  name?: string;
}

/** The name `loadLocation` gives the bundled data (reports compare against the paper only for it). */
export const LOCATION_NAME = 'Location (Shokri et al. 2017), MemGuard split';

/**
 * The shape of Location, as published and as checked by `loadLocation`.
 *
 * @example
 * console.log(LOCATION.n, LOCATION.d, LOCATION.classes); // 5010 446 30
 */
export const LOCATION = { n: 5010, d: 446, classes: 30 } as const;

/**
 * The shipped data folder. Both `src/data/` (run through tsx) and `dist/data/` (compiled) sit two
 * levels under the package root, so the same relative URL works for either.
 *
 * @example
 * console.log(LOCATION_DIR); // .../node_modules/memguard/data/location/
 */
export const LOCATION_DIR: string = fileURLToPath(new URL('../../data/location/', import.meta.url));

function pathIn(dir: string | URL, name: string): string {
  const base = typeof dir === 'string' ? dir : fileURLToPath(dir);
  return base.endsWith('/') || base.endsWith('\\') ? base + name : `${base}/${name}`;
}

/**
 * Reads a shuffle index: one 0-based row index per line. Checks it is a permutation of `0..n-1`.
 *
 * @example
 * import { join } from 'node:path';
 * const shuffle = readShuffleIndex(join(LOCATION_DIR, 'memguard_shuffle_index.txt'), LOCATION.n);
 */
export function readShuffleIndex(path: string, n: number): Int32Array {
  const text = readFileSync(path, 'utf8');
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== n) {
    throw new MemGuardFormatError(`${path}: expected ${n} lines (one row index each), found ${lines.length}`);
  }
  const out = new Int32Array(n);
  const seen = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const s = lines[p]!.trim();
    const v = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(v >= 0 && v < n)) {
      throw new MemGuardFormatError(`${path}: line ${p + 1}: ${JSON.stringify(lines[p])} is not a row index in [0, ${n})`);
    }
    if (seen[v]) throw new MemGuardFormatError(`${path}: line ${p + 1}: row ${v} appears twice (not a permutation)`);
    seen[v] = 1;
    out[p] = v;
  }
  return out;
}

/**
 * Loads Location from `dir` (default: the copy shipped with the package), offline, and verifies
 * 5,010 rows x 446 features in {0, 1}, labels in [0, 30) with every class present, and that the
 * shuffle index is a permutation. Takes about 0.2 s.
 *
 * @example
 * const ds = loadLocation();
 * const s = locationSplits(ds.shuffle);
 * const train = take(ds.features, ds.labels, s.targetTrain);
 */
export function loadLocation(dir: string | URL = LOCATION_DIR): Dataset {
  const csvPath = pathIn(dir, 'location.csv.gz');
  const shufflePath = pathIn(dir, 'memguard_shuffle_index.txt');
  for (const p of [csvPath, shufflePath]) {
    if (!existsSync(p)) throw new MemGuardFormatError(`Location data file not found: ${p}`);
  }
  const { n, d, classes } = LOCATION;
  const table = parseFeatureCsv(readTextFile(csvPath), { header: false, labelColumn: 0, source: csvPath });
  if (table.n !== n || table.d !== d) {
    throw new MemGuardFormatError(`${csvPath}: expected ${n} rows x ${d} features, found ${table.n} x ${table.d}`);
  }
  const f = table.features;
  for (let i = 0; i < f.length; i++) {
    if (f[i] !== 0 && f[i] !== 1) {
      throw new MemGuardFormatError(`${csvPath}: line ${Math.floor(i / d) + 1}: feature ${(i % d) + 1} is ${f[i]}, expected 0 or 1`);
    }
  }
  const counts = new Int32Array(classes);
  for (let i = 0; i < n; i++) {
    const y = table.labels[i]!;
    if (y >= classes) throw new MemGuardFormatError(`${csvPath}: line ${i + 1}: label ${y} is not in [0, ${classes})`);
    counts[y]!++;
  }
  const missing = counts.findIndex((c) => c === 0);
  if (missing >= 0) throw new MemGuardFormatError(`${csvPath}: class ${missing} has no rows`);
  return { features: f, labels: table.labels, n, d, classes, shuffle: readShuffleIndex(shufflePath, n), name: LOCATION_NAME };
}

/**
 * Reads a user's tabular dataset: a CSV with a header, numeric feature columns and an integer label
 * column (`labelColumn`: its name), classes `0..max label`. The shuffle permutation that assigns rows
 * to split positions is drawn from `seed`.
 */
export function loadFeatureDataset(path: string, labelColumn: string, seed: number): Dataset {
  const table = parseFeatureCsv(readTextFile(path), { header: true, labelColumn, source: path });
  if (table.n === 0) throw new MemGuardFormatError(`${path}: no data rows`);
  if (table.d === 0) throw new MemGuardFormatError(`${path}: no feature columns besides the label ${JSON.stringify(labelColumn)}`);
  for (let i = 0; i < table.features.length; i++) {
    if (!Number.isFinite(table.features[i]!)) {
      throw new MemGuardFormatError(`${path}: data row ${Math.floor(i / table.d) + 1}: feature ${table.featureNames[i % table.d]} is ${table.features[i]}, not a finite number`);
    }
  }
  let classes = 0;
  for (const y of table.labels) classes = Math.max(classes, y + 1);
  if (classes < 2) throw new MemGuardFormatError(`${path}: label column ${JSON.stringify(labelColumn)} has fewer than 2 classes`);
  const shuffle = new Random(seed).shuffle(Int32Array.from({ length: table.n }, (_, i) => i));
  const name = path.split(/[\\/]/).pop() ?? path;
  return { features: table.features, labels: table.labels, n: table.n, d: table.d, classes, shuffle, name };
}
