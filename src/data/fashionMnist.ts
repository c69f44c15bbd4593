// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017; MIT), the image-dataset stand-in for the paper's
// CH-MNIST: the 5,000 rows of the Fashion-MNIST test set that the design §6 split uses, kept in
// `data/fashion-mnist/` in split-position order (built by scripts/fashion-mnist-data.ts; provenance in
// data/fashion-mnist/README.md). Not in the npm package (2.8 MB): the loader says where to get it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemGuardFormatError } from '../errors.js';
import { parseFeatureCsv } from './csv/features.js';
import { readTextFile } from './files.js';
import type { Dataset } from './datasets.js';
import { LOCATION_SPLITS, locationSplits, type PositionRange, type SplitName, type Splits } from './splits.js';

/**
 * The shape of the shipped Fashion-MNIST subset: 5,000 images of 28 x 28 pixels, 10 classes.
 *
 * @example
 * console.log(FASHION_MNIST.n, FASHION_MNIST.d, FASHION_MNIST.classes); // 5000 784 10
 */
export const FASHION_MNIST = { n: 5000, d: 784, classes: 10 } as const;

/**
 * The name `loadFashionMnist` gives the data, as reports show it.
 *
 * @example
 * console.log(FASHION_MNIST_NAME); // 'Fashion-MNIST (Xiao et al. 2017), 5,000 test images'
 */
export const FASHION_MNIST_NAME = 'Fashion-MNIST (Xiao et al. 2017), 5,000 test images';

/**
 * The seed of the shuffle of the 10,000 test images whose first 5,000 positions are shipped.
 *
 * @example
 * console.log(FASHION_MNIST_SHUFFLE_SEED); // the seed scripts/fashion-mnist-data.ts draws the rows with
 */
export const FASHION_MNIST_SHUFFLE_SEED = 16;

/**
 * sha256 of the source file, `fashion_mnist_t10k.csv.gz` (10,000 rows `label,p0,...,p783`).
 *
 * @example
 * console.log(FASHION_MNIST_SOURCE_SHA256.length); // 64
 */
export const FASHION_MNIST_SOURCE_SHA256 = 'c241ca59609a3c1265f892ba0d01fa364bf17ceeb3b29f6427c80e2ccd3180c1';

/**
 * sha256 of the shipped `fashion-mnist.csv.gz`, checked on every load.
 *
 * @example
 * console.log(FASHION_MNIST_SHA256.length); // 64
 */
export const FASHION_MNIST_SHA256 = '33bc240c1d5f20fa4a722401d5a862e0a445c118a12ba5d2e36e3eac0b71368a';

/**
 * The design §6 roles on Fashion-MNIST, as shuffle positions: the same positions and sizes as Location
 * (1000/1000/1000/500/500/500), so the two datasets run the same protocol. Positions
 * `FASHION_MNIST_HELD_OUT` are in no role.
 *
 * @example
 * console.log(FASHION_MNIST_SPLITS.targetTrain, FASHION_MNIST_SPLITS.shadowTest); // [0, 1000] [4000, 4500]
 */
export const FASHION_MNIST_SPLITS: Readonly<Record<SplitName, PositionRange>> = LOCATION_SPLITS;

/**
 * Shuffle positions in no role: held-out rows, for a test accuracy no model or attack has seen.
 *
 * @example
 * console.log(FASHION_MNIST_HELD_OUT); // [4500, 5000]
 */
export const FASHION_MNIST_HELD_OUT: PositionRange = [4500, 5000];

/**
 * The shipped data folder (see `LOCATION_DIR` for why the relative URL works from src/ and dist/).
 *
 * @example
 * console.log(FASHION_MNIST_DIR); // .../memguard/data/fashion-mnist/
 */
export const FASHION_MNIST_DIR: string = fileURLToPath(new URL('../../data/fashion-mnist/', import.meta.url));

/** Where to get the data file when it is missing (it is not in the npm package). */
const WHERE_TO_GET = 'it is not in the npm package (2.8 MB): copy data/fashion-mnist/fashion-mnist.csv.gz from the memguard ' +
  'repository, or rebuild it with the repository\'s `node --import tsx scripts/fashion-mnist-data.ts fashion_mnist_t10k.csv.gz` from the ' +
  `Fashion-MNIST test set as CSV (label,p0,...,p783; sha256 ${FASHION_MNIST_SOURCE_SHA256})`;

/**
 * Loads the shipped Fashion-MNIST subset from `dir`, offline: checks the file's sha256, 5,000 rows x
 * 784 pixels, every pixel an integer in [0, 255], all 10 classes present; scales pixels to [0, 1].
 * The file is in split-position order, so the shuffle is the identity.
 *
 * @example
 * const ds = loadFashionMnist();
 * const s = fashionMnistSplits();
 * console.log(ds.d, ds.classes, s.targetTrain.length); // 784 10 1000
 */
export function loadFashionMnist(dir: string = FASHION_MNIST_DIR): Dataset {
  const path = dir.endsWith('/') || dir.endsWith('\\') ? dir + 'fashion-mnist.csv.gz' : `${dir}/fashion-mnist.csv.gz`;
  if (!existsSync(path)) throw new MemGuardFormatError(`Fashion-MNIST data file not found: ${path}; ${WHERE_TO_GET}`);
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (sha !== FASHION_MNIST_SHA256) {
    throw new MemGuardFormatError(`${path}: sha256 ${sha}, expected ${FASHION_MNIST_SHA256} (a different or damaged file; ${WHERE_TO_GET})`);
  }
  const { n, d, classes } = FASHION_MNIST;
  const table = parseFeatureCsv(readTextFile(path), { header: false, labelColumn: 0, source: path });
  if (table.n !== n || table.d !== d) throw new MemGuardFormatError(`${path}: expected ${n} rows x ${d} pixels, found ${table.n} x ${table.d}`);
  const f = table.features;
  for (let i = 0; i < f.length; i++) {
    const v = f[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v <= 255)) {
      throw new MemGuardFormatError(`${path}: line ${Math.floor(i / d) + 1}: pixel ${i % d} is ${v}, expected an integer in [0, 255]`);
    }
    f[i] = v / 255;
  }
  const counts = new Int32Array(classes);
  for (let i = 0; i < n; i++) {
    const y = table.labels[i]!;
    if (y >= classes) throw new MemGuardFormatError(`${path}: line ${i + 1}: label ${y} is not in [0, ${classes})`);
    counts[y]!++;
  }
  const missing = counts.findIndex((c) => c === 0);
  if (missing >= 0) throw new MemGuardFormatError(`${path}: class ${missing} has no rows`);
  return { features: f, labels: table.labels, n, d, classes, shuffle: Int32Array.from({ length: n }, (_, i) => i), name: FASHION_MNIST_NAME };
}

/**
 * The design §6 splits of the shipped Fashion-MNIST subset (`FASHION_MNIST_SPLITS`; its rows are in
 * position order).
 *
 * @example
 * const s: Splits = fashionMnistSplits();
 * console.log(s.targetTrain.length, s.evalNonMembers.length, s.shadowTrain.length); // 1000 1000 500
 */
export function fashionMnistSplits(): Splits {
  return locationSplits(Int32Array.from({ length: FASHION_MNIST.n }, (_, i) => i), FASHION_MNIST_SPLITS);
}
