// Builds data/fashion-mnist/ from the Fashion-MNIST test set as a gzipped CSV (label,p0,...,p783,
// 10,000 rows, sha256 below): the 5,000 rows the split uses, drawn by a seeded shuffle and written
// in split-position order, plus the original row number of each. Deterministic: re-running it gives
// byte-identical files (node's gzip writes no timestamp), whose sha256 src/data/fashionMnist.ts checks.
//   node --import tsx scripts/fashion-mnist-data.ts [path/to/fashion_mnist_t10k.csv.gz]
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FASHION_MNIST, FASHION_MNIST_SHUFFLE_SEED, FASHION_MNIST_SOURCE_SHA256 } from '../src/data/fashionMnist.js';
import { Random } from '../src/random.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const source = process.argv[2] ?? join(ROOT, '../shared/data/fashion-mnist/fashion_mnist_t10k.csv.gz');
const bytes = readFileSync(source);
const sha = createHash('sha256').update(bytes).digest('hex');
if (sha !== FASHION_MNIST_SOURCE_SHA256) throw new Error(`${source}: sha256 ${sha}, expected ${FASHION_MNIST_SOURCE_SHA256}`);
const lines = gunzipSync(bytes).toString('utf8').split('\n').filter((l) => l !== '');
if (lines.length !== 10_000) throw new Error(`${source}: ${lines.length} rows, expected 10,000`);

const order = new Random(FASHION_MNIST_SHUFFLE_SEED).shuffle(Int32Array.from({ length: lines.length }, (_, i) => i));
const kept = order.subarray(0, FASHION_MNIST.n);
const out = join(ROOT, 'data/fashion-mnist');
const csv = gzipSync(Buffer.from(Array.from(kept, (i) => lines[i] + '\n').join('')), { level: 9 });
writeFileSync(join(out, 'fashion-mnist.csv.gz'), csv);
writeFileSync(join(out, 'source-rows.txt'), Array.from(kept, (i) => `${i}\n`).join(''));
copyFileSync(join(dirname(source), 'debian-copyright.txt'), join(out, 'debian-copyright.txt'));
console.log(`wrote ${join(out, 'fashion-mnist.csv.gz')}: ${kept.length} rows, ${csv.length} bytes, sha256 ${createHash('sha256').update(csv).digest('hex')}`);
