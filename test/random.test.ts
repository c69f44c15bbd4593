import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Random } from '../src/random.js';

const t = suite('Random');

t('a seed fixes the stream; different seeds give different streams', () => {
  const a = new Random(42), b = new Random(42), c = new Random(43);
  const xs = Array.from({ length: 100 }, () => a.uint32());
  assert.equal(Array.from({ length: 100 }, () => b.uint32()), xs);
  const ys = Array.from({ length: 100 }, () => c.uint32());
  assert.ok(xs.filter((x, i) => x === ys[i]).length < 3, 'seeds 42 and 43 share values');
});

t('next() is uniform on [0, 1): mean, variance and bucket counts', () => {
  const r = new Random(7);
  const n = 100000, buckets = new Array(10).fill(0);
  let sum = 0, sq = 0;
  for (let i = 0; i < n; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    sum += v; sq += v * v;
    buckets[Math.floor(v * 10)]++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  assert.ok(Math.abs(sq / n - (sum / n) ** 2 - 1 / 12) < 0.002, 'variance');
  for (const count of buckets) assert.ok(Math.abs(count - n / 10) < 5 * Math.sqrt(n / 10), `bucket ${count}`);
});

t('shuffle is a permutation, and every position is reachable', () => {
  const r = new Random(1);
  const firsts = new Set<number>();
  for (let trial = 0; trial < 200; trial++) {
    const a = Int32Array.from({ length: 8 }, (_, i) => i);
    r.shuffle(a);
    assert.equal(Array.from(a).sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
    firsts.add(a[0]!);
  }
  assert.is(firsts.size, 8);
  const ints = Array.from({ length: 1000 }, () => r.int(5));
  assert.ok(ints.every((v) => Number.isInteger(v) && v >= 0 && v < 5));
});

t.run();
