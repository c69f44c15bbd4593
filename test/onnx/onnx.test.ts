// memguard/onnx against models and runtimes outside memguard: graphs written by Debian's python3-onnx
// (test/fixtures/onnx/make_models.py: PyTorch's Gemm and MatMul + Add layouts, tf2onnx's) from the
// Location defense classifier's weights load and predict bit for bit like its JSON model; exported
// models pass onnx.checker and run in onnxruntime-node with the Mlp's outputs; guardSession protects
// a real ONNX Runtime session's logits as MemGuard.protect does.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { MemGuardFormatError, MemGuardInputError } from '../../src/errors.js';
import { loadLocation } from '../../src/data/datasets.js';
import { MemGuard } from '../../src/memguard/memguard.js';
import { Mlp, type Activation } from '../../src/nn/mlp.js';
import { loadModel, serializeModel } from '../../src/nn/modelFile.js';
import { guardSession, loadOnnx, parseOnnx, toOnnx, type OnnxSessionLike } from '../../src/onnx/index.js';
import { ModelProtoSchema, PartSchemas } from '../../src/onnx/schema.js';
import { ensurePythonOnnx } from '../../scripts/python-onnx.mjs';
import { locationFixture, sortRows } from '../fixtures.js';
import { allClose, randomArray, throwsTyped } from '../helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'memguard-onnx-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Exact equality of two float32 arrays, reporting the first difference. */
function same(a: Float32Array, b: Float32Array, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

const t = suite('ONNX import and export');

t('toOnnx -> loadOnnx is exact for every activation, with and without the head', () => {
  const acts: Activation[] = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'];
  for (const [i, head] of acts.entries()) {
    const hidden = acts[(i + 1) % acts.length]!;
    const m = Mlp.create([7, 9, 5, head === 'sigmoid' ? 1 : 4], { hidden: hidden === 'softmax' ? 'relu' : hidden, head, seed: i });
    const p = m.parameters();
    p.forEach((l, j) => l.bias.set(randomArray(l.out, 10 * i + j)));
    m.setParameters(p);
    const x = randomArray(7 * 13, i, -2, 2);
    const back = loadOnnx(toOnnx(m));
    assert.equal(back.layers, m.layers, `${hidden}/${head} layers`);
    same(back.predict(x), m.predict(x), `${hidden}/${head} predict`);
    const logitsOnly = parseOnnx(toOnnx(m, { head: false }));
    assert.is(logitsOnly.at(-1)!.activation, 'linear');
    same(Mlp.fromParameters(logitsOnly).predict(x), m.logits(x), `${head} head: false gives logits`);
  }
});

t('graphs written by python3-onnx (PyTorch Gemm, scaled Gemm, MatMul + Add float64, Transpose of weights, tf2onnx) equal the JSON model', () => {
  const python = ensurePythonOnnx();
  const g = locationFixture().defense;
  const jsonPath = join(dir, 'g.json');
  writeFileSync(jsonPath, serializeModel(g));
  execFileSync(python, [join(FIXTURES, 'make_models.py'), jsonPath, dir]);
  const json = loadModel(readFileSync(jsonPath, 'utf8'));
  const f = locationFixture();
  const x = sortRows(new Float32Array([...f.members.subarray(0, 60 * 30), ...f.nonMembers.subarray(0, 60 * 30)]), 30);
  const expected = json.predict(x);
  for (const name of ['gemm', 'gemm_scaled', 'matmul_add', 'transpose', 'keras']) {
    const m = loadOnnx(readFileSync(join(dir, `${name}.onnx`)));
    assert.equal(m.layers, json.layers, `${name}: layers`);
    same(m.predict(x), expected, `${name}: predict`);
    // The logit h that Phase I follows, too.
    same(m.logits(x), json.logits(x), `${name}: logits`);
    m.dispose();
  }
});

t('exported target and defense classifier pass onnx.checker and run in onnxruntime-node like the Mlp', async () => {
  const python = ensurePythonOnnx();
  const f = locationFixture();
  const models = { target: f.target, defense: f.defense };
  for (const [name, m] of Object.entries(models)) writeFileSync(join(dir, `${name}.onnx`), toOnnx(m));
  writeFileSync(join(dir, 'target-logits.onnx'), toOnnx(f.target, { head: false, outputName: 'logits' }));
  const checked = execFileSync(python, ['-c',
    'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint(len(sys.argv) - 1)',
    ...['target', 'defense', 'target-logits'].map((n) => join(dir, `${n}.onnx`))], { encoding: 'utf8' });
  assert.is(checked.trim(), '3');
  // The checker does fail on a broken model (a Gemm reading a value nothing defines).
  const broken = fromBinary(ModelProtoSchema, toOnnx(f.defense)) as unknown as { graph: { node: Array<{ input: string[] }> } };
  broken.graph.node[2]!.input[0] = 'nowhere';
  writeFileSync(join(dir, 'broken.onnx'), toBinary(ModelProtoSchema, broken as never));
  assert.throws(() => execFileSync(python, ['-c', 'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', join(dir, 'broken.onnx')], { stdio: 'pipe' }));

  const features = loadLocation().features.subarray(0, 50 * 446);
  const target = await ort.InferenceSession.create(join(dir, 'target.onnx'));
  const out = await target.run({ input: new ort.Tensor('float32', Float32Array.from(features), [50, 446]) });
  assert.equal(out.output!.dims, [50, 30]);
  allClose(out.output!.data as Float32Array, f.target.predict(features), 1e-5, 1e-6, 'target probabilities in ORT');
  const defense = await ort.InferenceSession.create(join(dir, 'defense.onnx'));
  const sorted = sortRows(f.members.subarray(0, 50 * 30), 30);
  const d = await defense.run({ input: new ort.Tensor('float32', sorted, [50, 30]) });
  allClose(d.output!.data as Float32Array, f.defense.predict(sorted), 1e-5, 1e-6, 'g(s) in ORT');
});

t('guardSession: a real onnxruntime session\'s logits, protected as MemGuard.protect protects them', async () => {
  const f = locationFixture();
  const session = await ort.InferenceSession.create(toOnnx(f.target, { head: false, outputName: 'logits' }));
  const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 3);
  const guard = new MemGuard({ defenseClassifier: f.defense, epsilon: 0.5, coin: { mode: 'key', key } });
  const features = loadLocation().features.subarray(0, 40 * 446);
  const guarded = guardSession(session as unknown as OnnxSessionLike, guard, { output: 'logits', kind: 'logits' });
  const run = await guarded.run({ input: new ort.Tensor('float32', Float32Array.from(features), [40, 446]) }, { details: true });
  assert.is(run.rows, 40);
  assert.is(run.k, 30);
  assert.equal(Object.keys(run.outputs), [], 'the unprotected logits are not handed back');
  const raw = await session.run({ input: new ort.Tensor('float32', Float32Array.from(features), [40, 446]) });
  same(run.released, guard.protect(raw.logits!.data as Float32Array, { input: 'logits' }).released, 'released');
  assert.ok(run.details!.noiseReleased.some((v) => v === 1), 'some rows carry noise');
  for (let r = 0; r < 40; r++) {
    const row = run.released.subarray(r * 30, (r + 1) * 30);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `row ${r} sums to 1`);
  }

  const fake = (type: string, data: unknown, dims: number[]): OnnxSessionLike => ({
    outputNames: ['label', 'probabilities'],
    run: async () => ({ label: { type, data, dims }, probabilities: { type: 'float32', data: new Float32Array(30).fill(1 / 30), dims: [1, 30] } }),
  });
  const refusal = async (s: OnnxSessionLike, output: string) => {
    try { await guardSession(s, guard, { output, kind: 'probabilities' }).run({}); } catch (e) { return e as Error; }
    return undefined;
  };
  const labels = await refusal(fake('int64', BigInt64Array.of(3n), [1]), 'label');
  assert.instance(labels, MemGuardInputError);
  assert.match(labels!.message, /output "label" holds int64 values \(class labels\?\)/);
  throwsTyped(() => guardSession(fake('float32', null, [1]), guard, { output: 'scores', kind: 'logits' }), MemGuardInputError, /no output "scores" \(its outputs: "label", "probabilities"\)/);
  const wide = await refusal(fake('float32', new Float32Array(30), [2, 15]), 'label');
  assert.match(wide?.message ?? '', /output "label" has 15 columns but the defense classifier takes k = 30/);
  const other = await guardSession(fake('int64', BigInt64Array.of(3n), [1]), guard, { output: 'probabilities', kind: 'probabilities' }).run({});
  assert.equal(Object.keys(other.outputs), ['label'], 'the other outputs pass through');
});

t('Constant nodes, Softmax axis by opset, and refusals name the node', () => {
  const m = Mlp.create([3, 4], { head: 'softmax', seed: 1 });
  const model = fromBinary(ModelProtoSchema, toOnnx(m)) as unknown as {
    opsetImport: Array<{ version: bigint }>; graph: { node: Array<{ attribute: unknown[]; opType: string }> };
  };
  // Opset 11: Softmax's default axis is 1, which is the features of [batch, k]: accepted without the attribute.
  model.opsetImport[0]!.version = 11n;
  model.graph.node[1]!.attribute = [];
  same(loadOnnx(toBinary(ModelProtoSchema, model as never)).predict([0.1, 0.2, 0.3]), m.predict([0.1, 0.2, 0.3]), 'opset 11 softmax');
  model.graph.node[1]!.attribute = [create(PartSchemas.attribute, { name: 'axis', type: 2, i: 0n } as never)];
  throwsTyped(() => loadOnnx(toBinary(ModelProtoSchema, model as never)), MemGuardFormatError,
    /^ONNX model: node 1 "layer0\.softmax" \(Softmax\): axis 0; memguard takes a softmax over the features/);
  throwsTyped(() => loadOnnx(new Uint8Array([0x08, 0x07])), MemGuardFormatError, /no opset_import/);
});

t.run();
