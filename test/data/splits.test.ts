import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardFormatError, MemGuardInputError } from '../../src/errors.js';
import { LOCATION_SPLITS, parseSplits, scaledRanges, scaledSplits } from '../../src/data/splits.js';
import { throwsTyped } from '../helpers.js';

const t = suite('data/splits');

t('scaledRanges: exactly design §6 at 5,010 rows; the same proportions (floored boundaries) elsewhere', () => {
  assert.equal(scaledRanges(5010), LOCATION_SPLITS);
  // 501 rows: boundaries 0,1000,...,4500 x 501/5010 = one tenth.
  assert.equal(scaledRanges(501), {
    targetTrain: [0, 100], targetTest: [100, 200], evalNonMembers: [200, 300],
    shadowTrain: [300, 350], shadowDefenseNonMembers: [350, 400], shadowTest: [400, 450],
  });
  // 300 rows: floor(1000*300/5010) = 59, floor(3000*300/5010) = 179, floor(3500*300/5010) = 209.
  assert.equal(scaledRanges(300).targetTrain, [0, 59]);
  assert.equal(scaledRanges(300).shadowTrain, [179, 209]);
  throwsTyped(() => scaledRanges(90), MemGuardInputError, /too small.*would get 9 rows/);
  const s = scaledSplits(Int32Array.from({ length: 501 }, (_, i) => 500 - i));
  assert.is(s.targetTrain[0], 500);
  assert.is(s.shadowTest.length, 50);
});

t('parseSplits: JSON roles of row indices, each checked', () => {
  const rows = (a: number) => Array.from({ length: 10 }, (_, i) => a + i);
  const good = { targetTrain: rows(0), targetTest: rows(10), evalNonMembers: rows(20), shadowTrain: rows(30), shadowDefenseNonMembers: rows(40), shadowTest: rows(50) };
  const s = parseSplits(JSON.stringify(good), 60);
  assert.equal(Array.from(s.shadowTest), rows(50));
  throwsTyped(() => parseSplits('{', 60, 'f.json'), MemGuardFormatError, /f\.json: not JSON/);
  throwsTyped(() => parseSplits(JSON.stringify({ ...good, shadowTest: undefined }), 60), MemGuardFormatError, /role shadowTest is missing/);
  throwsTyped(() => parseSplits(JSON.stringify({ ...good, extra: [] }), 60), MemGuardFormatError, /unknown role "extra"/);
  throwsTyped(() => parseSplits(JSON.stringify({ ...good, shadowTest: rows(0) }), 60), MemGuardFormatError, /row 0 is in both targetTrain and shadowTest/);
  throwsTyped(() => parseSplits(JSON.stringify(good), 55), MemGuardFormatError, /shadowTest\[5\] = 55 is not a row index in \[0, 55\)/);
  throwsTyped(() => parseSplits(JSON.stringify({ ...good, targetTest: [10, 11] }), 60), MemGuardFormatError, /targetTest has 2 rows, at least 10/);
});

t.run();
