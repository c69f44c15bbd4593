// The CLI's model-file helper: read by content (JSON or ONNX, whatever the extension), written by
// extension; a model that is not one Mlp (another command's stack of models) has no ONNX form.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelFile, sniffModelFormat, writeModelFile } from '../../src/cli/modelFiles.js';
import { MemGuardFormatError, MemGuardInputError } from '../../src/errors.js';
import { Mlp } from '../../src/nn/mlp.js';
import { toOnnx } from '../../src/onnx/export.js';
import { throwsTyped } from '../helpers.js';

const t = suite('model files (JSON or ONNX)');

t('written by extension, read by content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memguard-modelfiles-'));
  try {
    const m = Mlp.create([5, 6, 2], { seed: 3 });
    assert.is(writeModelFile(join(dir, 'a.onnx'), m), 'onnx');
    assert.is(writeModelFile(join(dir, 'a.json'), m), 'json');
    assert.is(writeModelFile(join(dir, 'A.ONNX'), m), 'onnx');
    assert.is(sniffModelFormat(readFileSync(join(dir, 'a.onnx'))), 'onnx');
    assert.is(sniffModelFormat(readFileSync(join(dir, 'a.json'))), 'json');
    assert.is(sniffModelFormat(new TextEncoder().encode('\ufeff \n {"format"')), 'json');
    // Misnamed files still load: the content decides.
    writeFileSync(join(dir, 'really-onnx.json'), toOnnx(m));
    writeFileSync(join(dir, 'really-json.onnx'), readFileSync(join(dir, 'a.json')));
    for (const f of ['a.onnx', 'a.json', 'A.ONNX', 'really-onnx.json', 'really-json.onnx']) {
      assert.equal(readModelFile(join(dir, f)).parameters(), m.parameters(), f);
    }
    writeFileSync(join(dir, 'bad.json'), 'not a model');
    throwsTyped(() => readModelFile(join(dir, 'bad.json'), '--defense bad.json'), MemGuardFormatError,
      /^--defense bad\.json: ONNX model: .* \(read as ONNX: it does not start with "\{"\)$/);
    // A custom JSON serializer for models that are not one Mlp, and the ONNX refusal for them.
    const stack = { parts: [m, m] };
    assert.is(writeModelFile(join(dir, 'stack.json'), stack, (s) => JSON.stringify({ parts: s.parts.length })), 'json');
    assert.is(readFileSync(join(dir, 'stack.json'), 'utf8'), '{"parts":2}');
    throwsTyped(() => writeModelFile(join(dir, 'stack.onnx'), stack, () => ''), MemGuardInputError, /is not a single MLP, so it has no ONNX form/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
