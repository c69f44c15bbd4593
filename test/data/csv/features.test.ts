import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MemGuardFormatError } from '../../../src/errors.js';
import { parseFeatureCsv, readFeatureCsv } from '../../../src/data/csv/features.js';
import { throwsTyped } from '../../helpers.js';

const t = suite('data/csv/features');
let dir = '';
t.before(() => { dir = mkdtempSync(join(tmpdir(), 'memguard-features-')); });
t.after(() => { rmSync(dir, { recursive: true, force: true }); });

t('feature CSV: label column by name anywhere, values and errors', () => {
  const f = parseFeatureCsv('a,label,b\n0,2,1.5\n-1e-3,0,7\n');
  assert.is(f.n, 2);
  assert.is(f.d, 2);
  assert.equal(Array.from(f.features), [0, 1.5, Math.fround(-1e-3), 7]);
  assert.equal(Array.from(f.labels), [2, 0]);
  assert.equal(f.featureNames, ['a', 'b']);
  throwsTyped(() => parseFeatureCsv('a,label\n1,0\n0x1,1\n'), MemGuardFormatError, /line 3, column a: "0x1" is not a number/);
  throwsTyped(() => parseFeatureCsv('a,label\n1,0\n1,-1\n'), MemGuardFormatError, /line 3, column label: "-1" is not a non-negative integer/);
  throwsTyped(() => parseFeatureCsv('a,label\n1,0\n,1\n'), MemGuardFormatError, /line 3, column a: "" is not a number/);
  throwsTyped(() => parseFeatureCsv('a,label\n1e999,0\n'), MemGuardFormatError, /"1e999" is not a finite number/);
  throwsTyped(() => parseFeatureCsv('a,b\n1,0\n'), MemGuardFormatError, /no label column "label"/);
  const noHeader = parseFeatureCsv('3,0,1\n1,1,0\n', { header: false, labelColumn: 0 });
  assert.equal(Array.from(noHeader.labels), [3, 1]);
  assert.equal(Array.from(noHeader.features), [0, 1, 1, 0]);
  // Gzipped file, detected by its magic bytes.
  const path = join(dir, 'feat.csv.gz');
  writeFileSync(path, gzipSync('x,label\n0.25,4\n'));
  const g = readFeatureCsv(path);
  assert.equal([Array.from(g.features), Array.from(g.labels)], [[0.25], [4]]);
});

t.run();
