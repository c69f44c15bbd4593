// `memguard train`: a target under any training-time defense from a user's CSV, run as a user runs
// it (a child process per call), plus the row policy (members / reference / held out) it documents.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRowList, trainingRows } from '../../src/cli/commands/train.js';
import { loadPredictor, StackedModel } from '../../src/defenses/predictor.js';
import { DEFENSE_NAMES, DEFENSES } from '../../src/defenses/registry.js';
import { MemGuardFormatError } from '../../src/errors.js';
import { Random } from '../../src/random.js';
import { throwsTyped } from '../helpers.js';
import { toyRows, D } from '../defenses/data.js';
import { memguard, type Run } from './memguardCli.js';

const t = suite('cli: memguard train');
let dir = '';
const N = 600;
const FAST = ['--target-hidden', '12', '--epochs', '6', '--learning-rate', '0.1', '--batch-size', '32', '--threads', '1', '--quiet'];

function ok(r: Run, what: string): void {
  assert.is(r.code, 0, `${what}: exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 2000)}`);
}

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memguard-train-'));
  const { x, y } = toyRows(N, 11);
  const lines = [[...Array.from({ length: D }, (_, j) => `f${j}`), 'y'].join(',')];
  for (let r = 0; r < N; r++) lines.push([...x.subarray(r * D, (r + 1) * D), y[r]].join(','));
  writeFileSync(join(dir, 'data.csv'), lines.join('\n') + '\n');
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

t('trainingRows: members and reference at design §6 positions scaled, held out = the rest, all disjoint', () => {
  const shuffle = new Random(1).shuffle(Int32Array.from({ length: 5010 }, (_, i) => i));
  const rows = trainingRows(shuffle);
  assert.equal([rows.members.length, rows.reference.length, rows.heldOut.length], [1000, 1000, 3010]);
  assert.equal(Array.from(rows.members), Array.from(shuffle.slice(0, 1000)));
  assert.equal(Array.from(rows.reference), Array.from(shuffle.slice(1000, 2000)));
  const seen = new Uint8Array(5010);
  for (const part of [rows.members, rows.reference, rows.heldOut]) for (const r of part) { assert.is(seen[r], 0, `row ${r} twice`); seen[r] = 1; }
  // Given reference rows: members skip them.
  const given = Int32Array.from(shuffle.slice(0, 50));
  const withRef = trainingRows(shuffle, given);
  assert.equal(Array.from(withRef.reference), Array.from(given));
  assert.ok(withRef.members.every((r) => !given.includes(r)));
  assert.is(withRef.members.length + withRef.reference.length + withRef.heldOut.length, 5010);
});

t('parseRowList: lines or a JSON array; a bad entry is named', () => {
  assert.equal(Array.from(parseRowList('3\n1\n\n2\n', 5, 'f')), [3, 1, 2]);
  assert.equal(Array.from(parseRowList('[4, 0]', 5, 'f')), [4, 0]);
  throwsTyped(() => parseRowList('1\n7\n', 5, 'f'), MemGuardFormatError, /f: entry 2 is 7, not a row number in \[0, 5\)/);
  throwsTyped(() => parseRowList('1\n1\n', 5, 'f'), MemGuardFormatError, /row 1 is listed twice/);
});

t('--help lists every defense and every knob with its default', async () => {
  const r = await memguard(['train', '--help']);
  ok(r, 'help');
  for (const name of DEFENSE_NAMES) {
    assert.match(r.stdout, new RegExp(`\\n    ${name} `), `defense ${name}`);
    for (const k of DEFENSES[name].knobs) {
      assert.match(r.stdout, new RegExp(`--${k.flag} .*\\(default: ${k.default === undefined ? 'off' : String(k.default).replace('.', '\\.')}`), `${name} --${k.flag}`);
    }
  }
  const top = await memguard(['--help']);
  assert.match(top.stdout, /\n  train  /);
});

t('--json prints one object: defense, params, accuracies on the held-out rows; the model file loads', async () => {
  const out = join(dir, 'l2.json');
  const r = await memguard(['train', '--features', join(dir, 'data.csv'), '--label', 'y', '--defense', 'l2', '--lambda', '0.01', '--out', out, '--json', ...FAST]);
  ok(r, 'train l2');
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 1, 'one line of JSON');
  const j = JSON.parse(lines[0]!);
  assert.is(j.defense, 'l2');
  assert.is(j.params.lambda, 0.01);
  assert.equal(j.params.hidden, [12]);
  assert.is(j.params.epochs, 6);
  assert.is(j.params.seed, 1);
  const members = Math.floor((1000 * N) / 5010), reference = Math.floor((2000 * N) / 5010) - members;
  assert.equal(j.rows, { members, reference, heldOut: N - members - reference });
  assert.match(j.testRows, /neither members nor reference rows/);
  assert.ok(j.trainAccuracy >= 0 && j.trainAccuracy <= 1 && j.testAccuracy >= 0 && j.testAccuracy <= 1);
  assert.is(j.dp, undefined);
  const model = loadPredictor(readFileSync(out, 'utf8'));
  assert.is(model.inputSize, D);
  model.dispose();
});

t('dp-sgd --json reports its accounting, epsilon within 0.5 % of the target', async () => {
  const r = await memguard(['train', '--features', join(dir, 'data.csv'), '--label', 'y', '--defense', 'dp-sgd', '--target-epsilon', '4',
    '--out', join(dir, 'dp.json'), '--json', ...FAST]);
  ok(r, 'train dp-sgd');
  const j = JSON.parse(r.stdout);
  for (const key of ['epsilon', 'delta', 'noiseMultiplier', 'sampleRate', 'steps', 'clip']) assert.type(j.dp[key], 'number', key);
  assert.ok(Math.abs(j.dp.epsilon - 4) / 4 < 0.005, `epsilon ${j.dp.epsilon}`);
  assert.is(j.dp.delta, 1e-5);
  assert.is(j.params.noiseMultiplier, j.dp.noiseMultiplier);
});

t('stacking writes a stacked-model file; dmp uses --reference-rows', async () => {
  const out = join(dir, 'stack.json');
  ok(await memguard(['train', '--features', join(dir, 'data.csv'), '--label', 'y', '--defense', 'stacking', '--out', out, ...FAST]), 'stacking');
  const m = loadPredictor(readFileSync(out, 'utf8'));
  assert.instance(m, StackedModel);
  m.dispose();
  writeFileSync(join(dir, 'ref.txt'), Array.from({ length: 40 }, (_, i) => String(i * 3)).join('\n'));
  const r = await memguard(['train', '--features', join(dir, 'data.csv'), '--label', 'y', '--defense', 'dmp', '--reference-rows', join(dir, 'ref.txt'),
    '--out', join(dir, 'dmp.json'), '--json', ...FAST]);
  ok(r, 'dmp');
  assert.is(JSON.parse(r.stdout).rows.reference, 40);
});

t('a knob of another defense, or a bad knob value, is a usage error (exit 2) naming it', async () => {
  const common = ['train', '--features', join(dir, 'data.csv'), '--label', 'y', '--out', join(dir, 'x.json')];
  let r = await memguard([...common, '--defense', 'dp-sgd', '--lambda', '0.1']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--lambda is not a knob of dp-sgd \(it is one of l2\)/);
  r = await memguard([...common, '--defense', 'dropout', '--rate', 'lots']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--rate must be a number/);
  r = await memguard([...common, '--defense', 'dp-sgd', '--target-epsilon', '2', '--noise-multiplier', '1']);
  assert.is(r.code, 2);
  r = await memguard([...common, '--defense', 'nope']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--defense must be one of none, l2/);
});

t.run();
