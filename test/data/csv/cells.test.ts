import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardFormatError } from '../../../src/errors.js';
import { formatFloat32, parseNumberCell } from '../../../src/data/csv/cells.js';
import { throwsTyped } from '../../helpers.js';
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

t('formatFloat32 gives what trying toPrecision(1), (2), ... (9) in turn gives, on any float32 bits', () => {
  const upward = (f: number) => {
    for (let p = 1; p <= 9; p++) if (Math.fround(Number(f.toPrecision(p))) === f) return f.toPrecision(p);
    return String(f);
  };
  const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
  const bits: number[] = [];
  let seed = 12345;
  for (let i = 0; i < 100_000; i++) bits.push(seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  // Around every power of two, where the texts reading back as f are not symmetric about f.
  for (let e = 0; e < 255; e++) for (let d = -3; d <= 3; d++) bits.push(((e << 23) + d) >>> 0, ((e << 23) + d + 0x80000000) >>> 0);
  // Around short decimals, where a shorter text than 8 digits reads back.
  for (let m = 1; m < 2000; m++) {
    f32[0] = m * 1e-4;
    for (let d = -2; d <= 2; d++) bits.push(u32[0]! + d);
  }
  for (const b of bits) {
    u32[0] = b;
    const f = f32[0]!;
    if (!Number.isFinite(f) || f === 0) continue;
    assert.is(formatFloat32(f), upward(f), `bits ${b.toString(16)}`);
  }
});

t('parseNumberCell: finite as float32 or a MemGuardFormatError naming the cell (found by the hostile-files fuzzer)', () => {
  assert.is(parseNumberCell(' 0.25 ', 3, 'p1'), 0.25);
  assert.is(parseNumberCell('3.4e38', 3, 'p1'), 3.4e38);
  // 0.12345e67 is a finite float64 but Infinity as float32: it was accepted and stored as Infinity.
  throwsTyped(() => parseNumberCell('0.12345e67', 7, 'p2', 'a.csv'), MemGuardFormatError, /^a\.csv: line 7, column p2: "0\.12345e67" is not a finite number \(beyond float32/);
  throwsTyped(() => parseNumberCell('1e400', 7, 'p2'), MemGuardFormatError, /"1e400" is not a finite number$/);
  throwsTyped(() => parseNumberCell('NaN', 7, 'p2'), MemGuardFormatError, /"NaN" is not a number/);
});

t.run();
