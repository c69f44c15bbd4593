// The issue-16 attacks in the design §6 pipeline (toy sizes): NN-AT, NN-R and noise robustness appear
// at every setting; noise robustness sees labels only, so it is the same at every epsilon; the
// verdict's floor is the stronger of gap and noise robustness; a seed gives the same numbers twice.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { QUICK_CONFIG, runExperiment, type ExperimentConfig } from '../../src/experiment/run.js';
import { computeVerdict } from '../../src/experiment/verdict.js';

const t = suite('experiment/issue-16 attacks');

const config: ExperimentConfig = {
  ...QUICK_CONFIG, epsilons: [0, 0.5], mixingModes: ['paper'], defenseAware: false, attackSeeds: 1, rowsPerSplit: 60,
  nearDuplicates: null, timing: false,
  target: { ...QUICK_CONFIG.target, hidden: [32], epochs: 10 },
  defense: { ...QUICK_CONFIG.defense, hidden: [8], epochs: 5 },
  attack: { ...QUICK_CONFIG.attack, hidden: [8], epochs: 5 },
  nnAt: { steps: 2 }, nnRounded: [1, 2], noiseRobustness: { copies: 10, calibrationRows: 30 },
};

t('every run has nn-at, nn-r1, nn-r2 and label-only/noise; the floor names its part; seeded', async () => {
  const a = await runExperiment({ config });
  for (const run of a.results.runs) {
    for (const id of ['nn', 'nn-at', 'nn-r1', 'nn-r2', 'gap', 'label-only/noise']) assert.ok(run.attacks[id], `eps ${run.epsilon}: ${id} missing`);
  }
  const [r0, r1] = a.results.runs;
  assert.is(r0!.attacks['label-only/noise']!.auc, r1!.attacks['label-only/noise']!.auc);
  const verdict = computeVerdict(a.results);
  const floor = verdict.tables[0]!.floor.auc!;
  assert.equal(Object.keys(floor.parts).sort(), ['gap', 'label-only/noise']);
  assert.is(floor.value, Math.max(floor.parts['gap']!.value, floor.parts['label-only/noise']!.value));
  assert.ok(a.results.notes!.some((n) => n.startsWith('label-only/noise = ')), 'a note says what label-only/noise is');
  const b = await runExperiment({ config });
  for (const [i, run] of a.results.runs.entries()) {
    for (const id of ['nn-at', 'nn-r1', 'nn-r2', 'label-only/noise']) {
      assert.equal(run.attacks[id], b.results.runs[i]!.attacks[id], `${id} at eps ${run.epsilon} differs between two runs of one seed`);
    }
  }
  for (const out of [a, b]) for (const m of Object.values(out.models)) m.dispose();
});

t.run();
