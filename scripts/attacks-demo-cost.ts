// What the issue-16 attacks add to the demo: the design §6 pipeline at paper settings (defense-aware
// attacker on, 2 worker threads, as `memguard demo`), once without NN-AT, NN-R and noise robustness
// and once with them, one after the other in this process; wall time, process CPU time (all
// threads) and the stage timings of each. The near-duplicate and timing stages, which the new
// attacks do not touch, are skipped in both to keep the measurement short.
// Usage: node --import tsx scripts/attacks-demo-cost.ts [with|without|both] [epoch scale]
// (epoch scale < 1 trains every model for that share of its epochs: a shorter run at the paper's
// sizes, for when the full one does not fit; the training stages then shrink, the others do not).
import { PAPER_CONFIG, runExperiment, type ExperimentConfig } from '../src/experiment/run.js';
import { fitParallel } from '../src/parallel/protect.js';
import { WorkerPool } from '../src/parallel/pool.js';

const which = process.argv[2] ?? 'both';
const scale = Number(process.argv[3] ?? 1);
const pool = new WorkerPool({ size: 2 });
const scaled = (t: ExperimentConfig['target']) => ({ ...t, epochs: Math.max(1, Math.round(t.epochs * scale)), milestones: t.milestones.map((m) => Math.round(m * scale)) });
const base: Partial<ExperimentConfig> = {
  nearDuplicates: null, timing: false,
  target: scaled(PAPER_CONFIG.target), defense: scaled(PAPER_CONFIG.defense), attack: scaled(PAPER_CONFIG.attack),
};
const variants: Array<[string, Partial<ExperimentConfig>]> = [
  ['without the issue-16 attacks', { ...base, nnAt: null, nnRounded: [], noiseRobustness: null }],
  ['with NN-AT, NN-R and noise robustness', base],
];
for (const [name, config] of variants) {
  if ((which === 'with' && !name.startsWith('with ')) || (which === 'without' && !name.startsWith('without'))) continue;
  const cpu = process.cpuUsage(), start = performance.now();
  const out = await runExperiment({ config, fitMany: (jobs) => fitParallel(jobs, { pool }) });
  const used = process.cpuUsage(cpu);
  console.log(`${name}: wall ${((performance.now() - start) / 1000).toFixed(1)} s, CPU ${((used.user + used.system) / 1e6).toFixed(1)} s`);
  for (const [stage, s] of Object.entries(out.timings)) console.log(`  ${stage.padEnd(40)} ${s.toFixed(1)} s`);
  const row = (id: string) => out.results.runs.filter((r) => r.mixing === 'paper').map((r) => r.attacks[id]?.accuracy.toFixed(3) ?? '-').join(' ');
  for (const id of ['nn', 'nn-at', 'nn-r1', 'nn-r2', 'gap', 'label-only/noise']) console.log(`  ${id.padEnd(18)} ${row(id)}`);
  for (const m of Object.values(out.models)) m.dispose();
}
await pool.close();
