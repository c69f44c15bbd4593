// A smoke run of the hostile-files fuzzer (stress/hostileFiles.ts; `npm run fuzz -- --files 10000`
// is the long run): model-file and scores-CSV mutants load correctly or raise MemGuardFormatError
// naming the first problem; a few go through the CLI, which leaves no output behind.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardFormatError } from '../../src/errors.js';
import { loadModel } from '../../src/nn/modelFile.js';
import { Random } from '../../src/random.js';
import { checkCsvMutant, checkModelMutant, emptyFileTally, hugeModel, mutateModel, runFileFuzz } from '../../stress/hostileFiles.js';
import { throwsTyped } from '../helpers.js';

const t = suite('hostile files (smoke)');

t('400 model, 400 CSV and 400 ONNX mutants (6 through the CLI), a 10 MiB model: no violation', async () => {
  const tally = await runFileFuzz(400, 3, { cliEvery: 200, hugeMiB: 10 });
  assert.equal(tally.examples, [], tally.examples.join('\n'));
  assert.ok(tally.loaded > 50 && tally.rejected > 300, `loaded ${tally.loaded}, rejected ${tally.rejected}`);
  for (const m of ['truncate', 'wrong-type', 'deep-nesting', 'huge-number', 'reorder-keys', 'csv quotes', 'csv line-ends', 'csv nan-text', 'csv cell-count',
    'onnx truncate', 'onnx flip', 'onnx insert', 'onnx case']) {
    assert.ok((tally.byMutation[m] ?? 0) > 0, `no ${m} mutant`);
  }
  assert.is(tally.cliRuns, 6);
});

t('deep nesting and huge values are named briefly (no stack overflow, no echo of the value)', () => {
  const text = `{"format":"memguard-mlp","version":1,"layers":[{"in":${'['.repeat(200000)}${']'.repeat(200000)},"out":1}]}`;
  throwsTyped(() => loadModel(text), MemGuardFormatError, /^model file: layers\[0\]\.in must be a positive integer, got an array of 1 values$/);
  const long = `{"format":"${'x'.repeat(100000)}","version":1,"layers":[]}`;
  throwsTyped(() => loadModel(long), MemGuardFormatError, /got "x{39}\.\.\. \(100002 characters\)$/);
});

t('the checkers fail on a wrong verdict', async () => {
  // A mutant that claims to break a field the file does not break is reported as loaded-but-invalid.
  const rng = new Random(1);
  let m = mutateModel(rng);
  while (m.names === undefined) m = mutateModel(rng);
  const valid = hugeModel(0.01, true);
  assert.match(checkModelMutant({ ...valid, names: 'layers[0].bias' }, emptyFileTally()) ?? '', /loaded, but layers\[0\]\.bias is invalid/);
  assert.match(checkModelMutant({ ...m, names: 'layers[9].nothing' }, emptyFileTally()) ?? '', /should name layers\[9\]\.nothing/);
  const csv = 'id,member,label,p0,p1,p2,p3\na,1,0,0.25,0.25,0.25,0.25\nb,1,0,0.25,0.25,x,0.25\n';
  assert.is(await checkCsvMutant({ mutation: 't', text: csv, errorLine: 3, errorColumn: 'p2' }, rng, emptyFileTally()), undefined);
  assert.match(await checkCsvMutant({ mutation: 't', text: csv, errorLine: 2 }, rng, emptyFileTally()) ?? '', /should name line 2/);
});

t.run();
