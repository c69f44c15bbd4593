// `memguard demo --dataset`: the flag is listed, an unknown dataset is a usage error, and a quick
// run on Fashion-MNIST trains 784-input models on its split and writes 10-class releases.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScoresCsv } from '../../src/data/csv/scores.js';
import { parseResults } from '../../src/experiment/results.js';
import { loadModel } from '../../src/nn/modelFile.js';
import { memguard } from './memguardCli.js';

const t = suite('cli: demo --dataset');

t('--help lists --dataset; an unknown dataset exits 2 naming the choices', async () => {
  const [help, bad] = await Promise.all([memguard(['demo', '--help']), memguard(['demo', '--dataset', 'mnist', '--quick'])]);
  assert.is(help.code, 0);
  assert.match(help.stdout, /--dataset NAME\s+location \(the paper's, default\) or fashion-mnist/);
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /memguard demo: --dataset must be one of location, fashion-mnist, got "mnist"/);
  assert.not.match(bad.stderr, /\n\s+at /, 'no stack trace');
});

t('demo --dataset fashion-mnist --quick: 784-input target, 10-class releases of the split, a Fashion-MNIST report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memguard-fmnist-demo-'));
  try {
    const r = await memguard(['demo', '--dataset', 'fashion-mnist', '--quick', '--epsilons', '0,0.5', '--mixing', 'paper',
      '--no-defense-aware', '--attack-seeds', '1', '--quiet', '--out', dir]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /quick config, Fashion-MNIST/);
    const target = loadModel(readFileSync(join(dir, 'models', 'target.json'), 'utf8'));
    assert.equal([target.inputSize, target.outputSize], [784, 10]);
    const results = parseResults(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.match(results.config.dataset, /^Fashion-MNIST/);
    assert.is(results.published, undefined, 'the paper published Location numbers only');
    const clean = await readScoresCsv(join(dir, 'released', 'eval-clean.csv'));
    assert.equal([clean.n, clean.k], [400, 10]); // quick: 200 members + 200 evaluation non-members
    assert.ok(results.models.targetTrain > results.models.targetTest, 'the target overfits');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
