// Phase I fast mode (`search: { mode: 'fast' }`) against the default search on the paper's
// experiment (design §6): the whole attack suite (NN, defense-aware NN, metric attacks; accuracy,
// AUC, TPR at 1% FPR), mean released distortion and Phase I time, at epsilon 0.5 and 1, paper
// mixing. The fast mode ships only if every attack is within +-0.01 of the default and the
// distortion at most 5% higher (issue 8 item 3). Same seeds, so both runs train the same models.
//
//   node --import tsx scripts/fast-mode.ts
import { fitParallel, PAPER_CONFIG, runExperiment } from '../src/node.js';
import type { Phase1Options } from '../src/memguard/phase1.js';

const runs: Array<[string, Phase1Options]> = [['default', {}], ['fast', { mode: 'fast' }]];
const out: Record<string, Awaited<ReturnType<typeof runExperiment>>> = {};
for (const [name, search] of runs) {
  out[name] = await runExperiment({
    config: { ...PAPER_CONFIG, epsilons: [0.5, 1], mixingModes: ['paper'], defenseAware: true, search },
    fitMany: (jobs) => fitParallel(jobs, { workers: 2 }),
  });
  console.log(`${name}: Phase I ${out[name]!.timings['phase I']!.toFixed(2)} s (evaluation set), defense-aware stage ${out[name]!.timings['defense-aware attacks']?.toFixed(1)} s`);
}
let pass = true;
for (const epsilon of [0.5, 1]) {
  const at = (name: string) => out[name]!.results.runs.find((r) => r.epsilon === epsilon && r.mixing === 'paper')!;
  const d = at('default'), f = at('fast');
  console.log(`\nepsilon ${epsilon}: mean released distortion default ${d.meanReleasedDistortion.toFixed(4)}, fast ${f.meanReleasedDistortion.toFixed(4)} ` +
    `(${(100 * (f.meanReleasedDistortion / d.meanReleasedDistortion - 1)).toFixed(2)} %); label loss ${d.labelLoss} / ${f.labelLoss}`);
  if (f.meanReleasedDistortion > 1.05 * d.meanReleasedDistortion) pass = false;
  console.log('| attack | acc default | acc fast | AUC default | AUC fast | TPR@1%FPR default | TPR@1%FPR fast | max diff |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const id of Object.keys(d.attacks)) {
    const a = d.attacks[id]!, b = f.attacks[id]!;
    const diff = Math.max(Math.abs(a.accuracy - b.accuracy), Math.abs(a.auc - b.auc), Math.abs(a.tprAt1Fpr - b.tprAt1Fpr));
    if (diff > 0.01) pass = false;
    console.log(`| ${id} | ${a.accuracy.toFixed(4)} | ${b.accuracy.toFixed(4)} | ${a.auc.toFixed(4)} | ${b.auc.toFixed(4)} | ${a.tprAt1Fpr.toFixed(4)} | ${b.tprAt1Fpr.toFixed(4)} | ${diff.toFixed(4)} |`);
  }
}
console.log(`\nfast mode ${pass ? 'PASSES' : 'FAILS'} the shipping rule (attacks within +-0.01, distortion <= +5 %)`);
