// Hostile ONNX files one by one (stress/hostileOnnx.ts): each named case gets its one clear error;
// the checker flags anything but a MemGuardFormatError; a case goes through the CLI as --defense.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemGuardFormatError } from '../../src/errors.js';
import { loadOnnx } from '../../src/onnx/load.js';
import { toOnnx } from '../../src/onnx/export.js';
import { Mlp } from '../../src/nn/mlp.js';
import { cliOnMutant } from '../../stress/hostileFiles.js';
import { baseOnnx, checkOnnxMutant, onnxCases } from '../../stress/hostileOnnx.js';
import { throwsTyped } from '../helpers.js';

const t = suite('hostile ONNX files');

t('every named case (truncated, wrong types, huge dims, unsupported ops, cycles, wrong sizes, ...) gets its own error', () => {
  const cases = onnxCases();
  assert.ok(cases.length >= 20, `${cases.length} cases`);
  for (const c of cases) {
    throwsTyped(() => loadOnnx(c.bytes), MemGuardFormatError, c.message);
    assert.is(checkOnnxMutant(c.bytes, c.name).violation, undefined, c.name);
  }
  // The base the cases start from loads: each error comes from the one edit.
  assert.equal(loadOnnx(baseOnnx()).layers.map((l) => l.activation), ['relu', 'tanh', 'sigmoid']);
});

t('the checker reports a loaded model that predicts non-finite values, and a non-format error', () => {
  assert.is(checkOnnxMutant(baseOnnx(), 'base').violation, undefined);
  assert.match(checkOnnxMutant(null as never, 'null').violation ?? '', /^null: MemGuardInputError: loadOnnx: expected the bytes/);
  const huge = Mlp.fromParameters([
    { in: 4, out: 1, activation: 'linear', weight: new Float32Array(4).fill(3e38), bias: new Float32Array(1) },
    { in: 1, out: 1, activation: 'linear', weight: Float32Array.of(3e38), bias: new Float32Array(1) },
  ]);
  assert.match(checkOnnxMutant(toOnnx(huge), 'overflow').violation ?? '', /^overflow: loaded, but predicts Infinity/);
});

t('through the CLI: protect --defense bad.onnx exits 1 with one line and writes nothing; a good one runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memguard-onnx-cli-'));
  try {
    const cycle = onnxCases().find((c) => c.name === 'cycle')!;
    assert.is(cliOnMutant('onnx', cycle.bytes, true, dir), undefined);
    assert.is(cliOnMutant('onnx', baseOnnx(), false, dir), undefined);
    // The checker itself fails when the CLI accepts a file the library rejects.
    assert.match(cliOnMutant('onnx', baseOnnx(), true, dir) ?? '', /exit 0 on a onnx file the library rejects/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
