import { readFileSync, statSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardFormatError } from '../../src/errors.js';
import { membershipProbability } from '../../src/memguard/defenseClassifier.js';
import { loadModel } from '../../src/nn/modelFile.js';
import { decodeFloat32, dequantizeLogits, encodeArray, parsePageData, quantizeLogits } from '../../src/page/data.js';
import { randomArray, throwsTyped } from '../helpers.js';

const t = suite('page/data');
const FILE = new URL('../../page/data/location-demo.json', import.meta.url);

t('float32 arrays survive base64 bit for bit; wrong sizes and non-finite values are named', () => {
  const a = randomArray(1001, 7, -1e6, 1e6);
  a[3] = -0; a[4] = 1e-40; // a signed zero and a subnormal
  const back = decodeFloat32(encodeArray(a), a.length, 'x');
  assert.equal(new Uint32Array(back.buffer), new Uint32Array(a.buffer));
  throwsTyped(() => decodeFloat32(encodeArray(a), 1000, 'w'), MemGuardFormatError, /w holds 1001 float32 values, expected 1000/);
  throwsTyped(() => decodeFloat32(encodeArray(Float32Array.of(1, NaN)), 2, 'v'), MemGuardFormatError, /v\[1\] is NaN/);
  throwsTyped(() => decodeFloat32('***', 1, 'u'), MemGuardFormatError, /u is not valid base64/);
});

t('logits quantize to a power-of-two step: error at most half a step, decoding exact', () => {
  for (const range of [3, 30, 300]) {
    const z = randomArray(3000, range, -range, range);
    const { scale, int16 } = quantizeLogits(z);
    assert.ok(Number.isInteger(Math.log2(scale)), `scale ${scale}`);
    assert.ok(range / scale <= 32767 && (scale === 2 ** -12 || range / scale > 32767 / 2), `scale ${scale} is the smallest (from 2^-12) that fits ${range}`);
    const back = dequantizeLogits(int16, scale);
    for (let i = 0; i < z.length; i++) {
      assert.ok(Math.abs(back[i]! - z[i]!) <= scale / 2 + 1e-12, `row ${i}: ${back[i]} vs ${z[i]}`);
      assert.is(back[i], int16[i]! * scale, 'q * scale is exact in float32');
    }
  }
});

t('the shipped file: design §6 evaluation rows, a working defense classifier, a few hundred KB', () => {
  assert.ok(statSync(FILE).size < 500 * 1024, `${statSync(FILE).size} bytes`);
  const d = parsePageData(readFileSync(FILE, 'utf8'));
  assert.is(d.k, 30);
  assert.is(d.rows, 2000);
  assert.is(d.members, 1000);
  assert.is(d.isMember.reduce((a, b) => a + b, 0), 1000);
  assert.is(d.logits.length, 2000 * 30);
  assert.is(d.queries.length, 3);
  const g = loadModel(d.defenseClassifier);
  assert.equal(g.layers.map((l) => l.out), [256, 128, 64, 1]);
  assert.is(g.inputSize, 30);
  // g separates members from non-members on the target's outputs (that is what it was trained for).
  const soft = new Float32Array(d.logits.length);
  for (let r = 0; r < d.rows; r++) {
    const row = d.logits.subarray(r * 30, r * 30 + 30), m = Math.max(...row);
    let sum = 0;
    for (let j = 0; j < 30; j++) sum += (soft[r * 30 + j] = Math.exp(row[j]! - m));
    for (let j = 0; j < 30; j++) soft[r * 30 + j]! /= sum;
  }
  const p = membershipProbability(g, soft);
  const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;
  assert.ok(mean(p.subarray(0, 1000)) > mean(p.subarray(1000)) + 0.1, 'members score higher under g');
  g.dispose();
});

t('parsePageData names what is wrong', () => {
  const good = JSON.parse(readFileSync(FILE, 'utf8'));
  throwsTyped(() => parsePageData({ ...good, version: 2 }), MemGuardFormatError, /version 1, got "memguard-page-data" version 2/);
  throwsTyped(() => parsePageData({ ...good, labels: good.labels.slice(1) }), MemGuardFormatError, /labels must hold 2000 entries/);
  throwsTyped(() => parsePageData({ ...good, labels: [31, ...good.labels.slice(1)] }), MemGuardFormatError, /labels\[0\] is 31/);
  throwsTyped(() => parsePageData({ ...good, logits: { ...good.logits, scale: 0.3 } }), MemGuardFormatError, /power of two/);
  throwsTyped(() => parsePageData({ ...good, queries: [{ row: 2000, note: '' }] }), MemGuardFormatError, /queries must be rows in \[0, 2000\)/);
});

t.run();
