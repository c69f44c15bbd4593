import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatFloat32 } from '../../../src/data/csv/cells.js';
import { randomArray } from '../../helpers.js';

const t = suite('data/csv/cells');

t('formatFloat32 is the shortest text that reads back as the same float32', () => {
  assert.is(formatFloat32(Math.fround(0.1)), '0.1');
  assert.is(formatFloat32(0.5), '0.5');
  assert.is(formatFloat32(1), '1');
  assert.is(formatFloat32(0), '0');
  const xs = randomArray(2000, 3, 0, 1);
  for (const x of [...xs, 1e-30, 3.4e38, 1.17549435e-38, 1e-45].map(Math.fround)) {
    const s = formatFloat32(x);
    assert.is(Math.fround(Number(s)), x, `${x} -> ${s}`);
    assert.ok(s.replace(/^0\.|[.-]|e.*$/g, '').replace(/^0+/, '').length <= 9, s);
  }
});

t.run();
