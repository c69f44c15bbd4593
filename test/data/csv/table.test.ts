import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardFormatError } from '../../../src/errors.js';
import { parseCsv } from '../../../src/data/csv/table.js';
import { throwsTyped } from '../../helpers.js';

const t = suite('data/csv/table');

t('parseCsv checks widths and duplicate header names', () => {
  const tab = parseCsv('x,y\n1,2\n3,4\n');
  assert.equal(tab, { header: ['x', 'y'], rows: [['1', '2'], ['3', '4']], lines: [2, 3] });
  throwsTyped(() => parseCsv('x,y\n1,2\n3\n', { source: 'f.csv' }), MemGuardFormatError, /^f\.csv: line 3: expected 2 fields, found 1$/);
  throwsTyped(() => parseCsv('x,x\n1,2\n'), MemGuardFormatError, /duplicate column name "x"/);
  throwsTyped(() => parseCsv(''), MemGuardFormatError, /empty/);
  assert.equal(parseCsv('1,2\n', { header: false }).header, ['0', '1']);
});

t.run();
