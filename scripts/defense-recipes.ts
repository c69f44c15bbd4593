// Every training-time defense (design §10) at its default knob on Location: wall time and train/test
// accuracy, one Markdown row per recipe as it finishes; then SELENA's 26 trainings with its 25
// sub-models on a pool of 1 vs 2 workers. Members [0, 1000), reference [1000, 2000) for the recipes
// that use it; test accuracy on the rows no design §6 role uses, [3500, 4000) and [4500, 5010).
//
//   node --import tsx scripts/defense-recipes.ts [--defenses none,l2,...] [--epochs N] [--workers 2] [--params '{"alpha":1}']
//   node --import tsx scripts/defense-recipes.ts --selena-workers 1,2 [--epochs N]
import { availableParallelism, loadavg } from 'node:os';
import { labelAccuracy } from '../src/attacks/confidence.js';
import { loadLocation } from '../src/data/datasets.js';
import { rowsAt, take } from '../src/data/splits.js';
import { DEFENSE_NAMES, type DefenseName } from '../src/defenses/registry.js';
import { trainTarget } from '../src/defenses/train.js';
import { PAPER_CONFIG } from '../src/experiment/run.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { fitParallel } from '../src/parallel/protect.js';
import { withEpochs } from '../src/cli/commands/experiment.js';

const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const ds = loadLocation();
const members = take(ds.features, ds.labels, rowsAt(ds.shuffle, 0, 1000));
const reference = take(ds.features, ds.labels, rowsAt(ds.shuffle, 1000, 2000));
const unusedRows = Int32Array.from([...rowsAt(ds.shuffle, 3500, 4000), ...rowsAt(ds.shuffle, 4500, 5010)]);
const test = take(ds.features, ds.labels, unusedRows);
const epochs = arg('--epochs');
const training = epochs === undefined ? { ...PAPER_CONFIG.target } : withEpochs({ ...PAPER_CONFIG.target }, Number(epochs));
const k = ds.classes;
const params = JSON.parse(arg('--params') ?? '{}') as Record<string, number>;
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');

async function run(defense: DefenseName, workers: number) {
  const pool = workers > 1 || defense === 'selena' ? new WorkerPool({ size: workers }) : undefined;
  const start = performance.now();
  try {
    const out = await trainTarget({
      defense, params, d: ds.d, classes: k, members: { x: members.features, y: members.labels },
      reference: { x: reference.features, y: reference.labels }, training, seed: PAPER_CONFIG.seed,
      fitMany: pool ? (jobs) => fitParallel(jobs, { pool }) : undefined,
    });
    const seconds = (performance.now() - start) / 1000;
    const trainAccuracy = labelAccuracy(out.model.predict(members.features), k, members.labels);
    const testAccuracy = labelAccuracy(out.model.predict(test.features), k, test.labels);
    out.model.dispose();
    return { seconds, trainAccuracy, testAccuracy, params: out.params, dp: out.dp };
  } finally {
    await pool?.close();
  }
}

console.log(`Location, ${training.epochs} epochs, ${availableParallelism()} cores, load average at start ${load()}`);
const selenaWorkers = arg('--selena-workers');
if (selenaWorkers) {
  console.log('| SELENA sub-model workers | wall time (s) | train acc | test acc | load average after |');
  console.log('| ---: | ---: | ---: | ---: | --- |');
  for (const w of selenaWorkers.split(',').map(Number)) {
    const r = await run('selena', w);
    console.log(`| ${w} | ${r.seconds.toFixed(1)} | ${r.trainAccuracy.toFixed(3)} | ${r.testAccuracy.toFixed(3)} | ${load()} |`);
  }
} else {
  const list = (arg('--defenses')?.split(',') ?? [...DEFENSE_NAMES]) as DefenseName[];
  const workers = Number(arg('--workers') ?? 2);
  console.log('| defense | knob(s) at default | wall time (s) | train acc | test acc | load average after |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const defense of list) {
    const r = await run(defense, workers);
    const knobs = Object.entries(r.params).filter(([key]) => !['hidden', 'epochs', 'learningRate', 'batchSize', 'learningRateMilestones', 'learningRateDecay', 'optimizer', 'seed'].includes(key) || (defense === 'early-stopping' && key === 'epochs'))
      .map(([key, v]) => `${key} ${typeof v === 'number' ? +v.toPrecision(4) : v}`).join(', ') + (r.dp ? ` (epsilon ${r.dp.epsilon.toFixed(3)})` : '');
    console.log(`| ${defense} | ${knobs || '-'} | ${r.seconds.toFixed(1)} | ${r.trainAccuracy.toFixed(3)} | ${r.testAccuracy.toFixed(3)} | ${load()} |`);
  }
}
