import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MemGuardFormatError, MemGuardInputError } from '../../src/errors.js';
import { LOCATION_DIR, loadLocation, readShuffleIndex, type Dataset } from '../../src/data/datasets.js';
import { evaluationRows, LOCATION_SPLITS, locationSplits, shadowRows, take, takeRows } from '../../src/data/splits.js';
import { throwsTyped } from '../helpers.js';

const t = suite('data/datasets');
let ds: Dataset;
t.before(() => { ds = loadLocation(); });

t('Location: 5010 x 446 binary features, 30 classes, as published', () => {
  assert.is(ds.n, 5010);
  assert.is(ds.d, 446);
  assert.is(ds.classes, 30);
  assert.is(ds.features.length, 5010 * 446);
  assert.is(ds.labels.length, 5010);
  const counts = new Array<number>(30).fill(0);
  for (const y of ds.labels) { assert.ok(y >= 0 && y < 30, `label ${y}`); counts[y]!++; }
  // Class sizes 97..308 and 12.04% ones (data/location/README.md).
  assert.is(Math.min(...counts), 97);
  assert.is(Math.max(...counts), 308);
  let ones = 0;
  for (const v of ds.features) { assert.ok(v === 0 || v === 1); ones += v; }
  assert.ok(Math.abs(ones / ds.features.length - 0.1204) < 0.0001, String(ones / ds.features.length));
});

t('Location rows match the raw file, read independently', () => {
  const lines = gunzipSync(readFileSync(join(LOCATION_DIR, 'location.csv.gz'))).toString('ascii').trim().split('\n');
  assert.is(lines.length, 5010);
  for (const r of [0, 1, 2500, 5009]) {
    const cells = lines[r]!.split(',').map(Number);
    assert.is(ds.labels[r], cells[0]);
    assert.equal(Array.from(ds.features.subarray(r * 446, (r + 1) * 446)), cells.slice(1));
  }
});

t('the shuffle index is a permutation, as in the shipped text file', () => {
  const seen = new Uint8Array(5010);
  for (const r of ds.shuffle) { assert.ok(r >= 0 && r < 5010); assert.is(seen[r], 0, `row ${r} twice`); seen[r] = 1; }
  const text = readFileSync(join(LOCATION_DIR, 'memguard_shuffle_index.txt'), 'utf8').trim().split('\n').map(Number);
  assert.equal([ds.shuffle[0], ds.shuffle[1], ds.shuffle[5009]], [text[0], text[1], text[5009]]);
  assert.is(ds.shuffle[0], 875); // first line of MemGuard's shuffle_index
});

t('splits: design §6 positions, disjoint, members/non-members flagged', () => {
  const s = locationSplits(ds.shuffle);
  const sizes = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.length]));
  assert.equal(sizes, { targetTrain: 1000, targetTest: 1000, evalNonMembers: 1000, shadowTrain: 500, shadowDefenseNonMembers: 500, shadowTest: 500 });
  assert.is(s.targetTrain[0], ds.shuffle[0]);
  assert.is(s.targetTest[0], ds.shuffle[1000]);
  assert.is(s.evalNonMembers[999], ds.shuffle[2999]);
  assert.is(s.shadowTrain[0], ds.shuffle[3000]);
  assert.is(s.shadowDefenseNonMembers[0], ds.shuffle[3500]);
  assert.is(s.shadowTest[499], ds.shuffle[4499]);
  const all = new Set<number>();
  for (const rows of Object.values(s)) for (const r of rows) { assert.not.ok(all.has(r), `row ${r} in two splits`); all.add(r); }
  assert.is(all.size, 4500);
  const ev = evaluationRows(s);
  assert.is(ev.rows.length, 2000);
  assert.equal([ev.isMember[0], ev.isMember[999], ev.isMember[1000], ev.isMember[1999]], [1, 1, 0, 0]);
  assert.is(ev.rows[1000], s.evalNonMembers[0]);
  const sh = shadowRows(s);
  assert.is(sh.rows.length, 1000);
  assert.is(sh.rows[500], s.shadowTest[0]);
  assert.equal(LOCATION_SPLITS.shadowDefenseNonMembers, [3500, 4000]);
  throwsTyped(() => locationSplits(ds.shuffle.subarray(0, 4000)), MemGuardInputError, /exceeds the shuffle index \(4000 positions\)/);
});

t('take gathers rows and labels', () => {
  const f = new Float32Array([0, 1, 10, 11, 20, 21]);
  const y = new Int32Array([5, 6, 7]);
  const got = take(f, y, [2, 0]);
  assert.equal([Array.from(got.features), Array.from(got.labels), got.n, got.d], [[20, 21, 0, 1], [7, 5], 2, 2]);
  assert.equal(Array.from(takeRows(f, 2, [1])), [10, 11]);
  throwsTyped(() => take(f, y, [3]), MemGuardInputError, /rows\[0\] = 3 is not a row index in \[0, 3\)/);
  const s = locationSplits(ds.shuffle);
  const train = take(ds.features, ds.labels, s.targetTrain);
  const r = s.targetTrain[7]!;
  assert.equal(Array.from(train.features.subarray(7 * 446, 8 * 446)), Array.from(ds.features.subarray(r * 446, (r + 1) * 446)));
  assert.is(train.labels[7], ds.labels[r]);
});

t('bad shuffle files and a missing folder are reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memguard-ds-'));
  try {
    const p = join(dir, 'shuffle.txt');
    writeFileSync(p, '0\n2\n2\n');
    throwsTyped(() => readShuffleIndex(p, 3), MemGuardFormatError, /line 3: row 2 appears twice/);
    writeFileSync(p, '0\n1\n');
    throwsTyped(() => readShuffleIndex(p, 3), MemGuardFormatError, /expected 3 lines/);
    writeFileSync(p, '0\nx\n1\n');
    throwsTyped(() => readShuffleIndex(p, 3), MemGuardFormatError, /line 2: "x" is not a row index/);
    assert.equal(Array.from(readShuffleIndex((writeFileSync(p, '2\n0\n1\n'), p), 3)), [2, 0, 1]);
    throwsTyped(() => loadLocation(dir), MemGuardFormatError, /Location data file not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
