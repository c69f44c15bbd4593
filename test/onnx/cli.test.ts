// A defense classifier trained elsewhere and exported to ONNX (written here by python3-onnx from the
// Location g's weights, in PyTorch's Gemm layout) defends queries through the CLI and `memguard
// serve` exactly as the same g in memguard's JSON does; `memguard export` converts both ways;
// `train-defense --out g.onnx` writes ONNX.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, serializeModel } from '../../src/nn/modelFile.js';
import { loadOnnx } from '../../src/onnx/load.js';
import { ensurePythonOnnx } from '../../scripts/python-onnx.mjs';
import { locationFixture } from '../fixtures.js';
import { memguard, ROOT, type Run } from '../cli/memguardCli.js';
import { expected, KEY_HEX, post, sampleRows } from '../serve/helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'memguard-onnx-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function ok(r: Run, what: string): void {
  assert.is(r.code, 0, `${what}: exit ${r.code}\nstderr: ${r.stderr}`);
}

/** g.json (memguard's) and g.onnx (python3-onnx's Gemm graph of the same weights). */
function defenseFiles(): { json: string; onnx: string } {
  const json = join(dir, 'g.json');
  writeFileSync(json, serializeModel(locationFixture().defense));
  execFileSync(ensurePythonOnnx(), [join(FIXTURES, 'make_models.py'), json, dir]);
  return { json, onnx: join(dir, 'gemm.onnx') };
}

const t = suite('ONNX through the CLI');

t('protect --defense g.onnx releases exactly what --defense g.json releases; export converts both ways', async () => {
  const g = defenseFiles();
  const rows = sampleRows(40);
  const csv = join(dir, 'rows.csv');
  writeFileSync(csv, `id,${Array.from({ length: 30 }, (_, j) => `p${j}`).join(',')}\n${rows.map((r, i) => `${i},${r.join(',')}`).join('\n')}\n`);
  const [fromJson, fromOnnx, exported, back, logits, badUsage, top, help] = await Promise.all([
    memguard(['protect', '--defense', g.json, '--epsilon', '0.5', '--in', csv, '--out', join(dir, 'json.csv'), '--quiet', '--threads', '1'], { MEMGUARD_KEY: KEY_HEX }),
    memguard(['protect', '--defense', g.onnx, '--epsilon', '0.5', '--in', csv, '--out', join(dir, 'onnx.csv'), '--quiet', '--threads', '1'], { MEMGUARD_KEY: KEY_HEX }),
    memguard(['export', g.json, '--onnx', join(dir, 'exported.onnx')]),
    memguard(['export', g.onnx, '--json', join(dir, 'back.json')]),
    memguard(['export', g.json, '--onnx', join(dir, 'logits.onnx'), '--logits', '--output-name', 'h']),
    memguard(['export', g.json]),
    memguard(['--help']),
    memguard(['export', '--help']),
  ]);
  assert.match(top.stdout, /^  export +convert a model file between memguard's JSON and ONNX$/m);
  assert.match(help.stdout, /^Usage: memguard export MODEL --onnx OUT\.onnx/);
  ok(fromJson, 'protect json');
  ok(fromOnnx, 'protect onnx');
  const released = readFileSync(join(dir, 'json.csv'), 'utf8');
  assert.is(readFileSync(join(dir, 'onnx.csv'), 'utf8'), released, 'identical released vectors');
  assert.ok(released.split('\n').length > 40);
  ok(exported, 'export --onnx');
  assert.match(exported.stdout, /wrote .*exported\.onnx: ONNX model 30 -> 64 -> 32 -> 1 \(sigmoid head\)/);
  ok(back, 'export --json');
  const json = loadModel(readFileSync(g.json, 'utf8'));
  assert.equal(loadOnnx(readFileSync(join(dir, 'exported.onnx'))).parameters(), json.parameters());
  assert.equal(loadModel(readFileSync(join(dir, 'back.json'), 'utf8')).parameters(), json.parameters());
  ok(logits, 'export --logits');
  assert.is(loadOnnx(readFileSync(join(dir, 'logits.onnx'))).head, 'linear');
  assert.is(badUsage.code, 2);
  assert.match(badUsage.stderr, /give exactly one of --onnx FILE and --json FILE/);

  // A broken ONNX g: one line naming the file and the node, exit 1.
  const bad = join(dir, 'bad.onnx');
  writeFileSync(bad, readFileSync(g.onnx).subarray(0, 500));
  const refused = await memguard(['protect', '--defense', bad, '--epsilon', '0.5', '--in', csv, '--out', join(dir, 'bad.csv'), '--seed', '1']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /^memguard: --defense .*bad\.onnx: ONNX model: not a valid ONNX \(protobuf\) file: premature EOF\n$/);
});

t('memguard serve --defense g.onnx answers like MemGuard.protect with the JSON g', async () => {
  const g = join(dir, 'gemm.onnx');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--defense', g, '--epsilon', '0.5', '--port', '0',
    '--threads', '1', '--fixed-latency-ms', '0'], { cwd: ROOT, env: { ...process.env, MEMGUARD_KEY: KEY_HEX }, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        const ready = text.split('\n').find((l) => l.includes('"event":"ready"'));
        if (ready) resolve(JSON.parse(ready).url);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${text}`)));
    });
    const rows = sampleRows(12, 7);
    const reply = await post(url, { scores: rows });
    assert.is(reply.status, 200, reply.text);
    const released = JSON.parse(reply.text).released as number[][];
    const want = expected(rows).released as Float32Array;
    assert.equal(released.flat().map(Math.fround), Array.from(want));
  } finally {
    child.kill('SIGTERM');
  }
});

t('train-defense --out g.onnx writes an ONNX model; --out g.json stays JSON', async () => {
  const f = locationFixture();
  const header = `${Array.from({ length: 30 }, (_, j) => `p${j}`).join(',')}\n`;
  const csv = (v: Float32Array) => header + Array.from({ length: 40 }, (_, r) => Array.from(v.subarray(r * 30, (r + 1) * 30)).join(',')).join('\n') + '\n';
  writeFileSync(join(dir, 'm.csv'), csv(f.members));
  writeFileSync(join(dir, 'n.csv'), csv(f.nonMembers));
  const args = (out: string) => ['train-defense', '--members', join(dir, 'm.csv'), '--nonmembers', join(dir, 'n.csv'), '--out', out, '--hidden', '8', '--epochs', '3', '--quiet'];
  const [onnx, json] = await Promise.all([memguard(args(join(dir, 'trained.onnx'))), memguard(args(join(dir, 'trained.json')))]);
  ok(onnx, 'train-defense onnx');
  ok(json, 'train-defense json');
  const fromOnnx = loadOnnx(readFileSync(join(dir, 'trained.onnx')));
  assert.equal(fromOnnx.parameters(), loadModel(readFileSync(join(dir, 'trained.json'), 'utf8')).parameters(), 'same seed, same g, two formats');
  assert.is(readFileSync(join(dir, 'trained.json'), 'utf8')[0], '{');
});

t.run();
