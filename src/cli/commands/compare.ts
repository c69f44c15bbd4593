// `memguard compare`: design §11, MemGuard against every rival at matched utility, on Location (the
// paper's settings) or a user's CSV. Trained models go to DIR/models/ as they finish, keyed by a
// hash of everything that determines them, so the same command after a kill resumes.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadFeatureDataset, loadLocation } from '../../data/datasets.js';
import { parseSplits } from '../../data/splits.js';
import { POSTHOC_DEFENSES, TRAINING_DEFENSES, defenseNames, type DefenseParams } from '../../compare/defenses.js';
import { fashionMnistSplits, loadFashionMnist } from '../../data/fashionMnist.js';
import { FASHION_MNIST_TARGET } from '../../experiment/fashionMnist.js';
import { readCompareResults, writeCompare, writeCompareReport } from '../../report/compareOutput.js';
import { COMPARE_PAPER, COMPARE_QUICK, runCompare, type CompareConfig } from '../../compare/run.js';
import { ModelStore } from '../../compare/store.js';
import type { CompareVerdict } from '../../compare/verdict.js';
import { MIXING_MODES, type MixingMode } from '../../memguard/phase2.js';
import { withEpochs } from './experiment.js';
import {
  existingFile, formatSeconds, optional, parseChoice, parseFlags, parseIntFlag, parseNumberFlag, parseNumberList, usage, type Command,
} from '../args.js';
import { CliPool, threadCount } from '../parallel.js';
import { Progress } from '../progress.js';
import { artifactGroups } from '../pipeline.js';

const NAME = 'compare';
const grid = (list: Array<{ name: string; grid: DefenseParams[] }>) =>
  list.map((d) => `  ${d.name.padEnd(22)} ${d.grid.map((p) => Object.entries(p).map(([k, v]) => `${k} ${v}`).join(' ') || '-').join(' | ')}`).join('\n');
const posthocGrids = POSTHOC_DEFENSES.map((d) => ({ name: d.name, grid: d.grid(COMPARE_PAPER.epsilons) }));

const HELP = `Usage: memguard compare [options]

Runs the defense comparison (docs/evaluating.md): every training-time defense over its knob grid, the post-hoc rivals on the undefended
model, and MemGuard (every epsilon, each mixing rule) on the undefended model and on top of the
strongest training-time defenses; each attacked with an undefended and a defense-aware shadow; the
utility axes (distortion against one undefended reference model, label loss, test accuracy) and the
seed floor. Default: Location with the paper's models.

Data (default: the bundled Location data, the paper's roles):
  --dataset NAME         location (default) or fashion-mnist (5,000 test images, the stand-in for the
                         paper's image dataset; its measured ${FASHION_MNIST_TARGET.hidden.join('-')} target)
  --features FILE        a CSV with a header: numeric features and one integer label column
  --label COLUMN         its label column
  --split FILE           rows per role as JSON (as 'memguard experiment'); default: scaled from Location's
  --target-hidden LIST   hidden sizes of the target (default: ${COMPARE_PAPER.target.hidden.join(',')}; --quick ${COMPARE_QUICK.target.hidden.join(',')})
  --epochs N             target training epochs (default: ${COMPARE_PAPER.target.epochs}; --quick ${COMPARE_QUICK.target.epochs})
  --learning-rate R      target SGD learning rate (default: ${COMPARE_PAPER.target.learningRate}; --quick ${COMPARE_QUICK.target.learningRate})
  --batch-size N         target batch size (default: ${COMPARE_PAPER.target.batchSize})
  --defense-hidden LIST  MemGuard's defense classifier (default: ${COMPARE_PAPER.defense.hidden.join(',')}; --quick ${COMPARE_QUICK.defense.hidden.join(',')})
  --defense-epochs N     (default: ${COMPARE_PAPER.defense.epochs}; --quick ${COMPARE_QUICK.defense.epochs})
  --attack-hidden LIST   the NN attacks (default: ${COMPARE_PAPER.attack.hidden.join(',')}; --quick ${COMPARE_QUICK.attack.hidden.join(',')})
  --attack-epochs N      (default: ${COMPARE_PAPER.attack.epochs}; --quick ${COMPARE_QUICK.attack.epochs})

What to run:
  --defenses LIST        a subset, comma-separated (default: all): ${defenseNames().join(', ')}
                         ('none', the undefended reference, always runs)
  --epsilons LIST        MemGuard's budgets (default: ${COMPARE_PAPER.epsilons.join(',')}; --quick ${COMPARE_QUICK.epsilons.join(',')})
  --mixing LIST          MemGuard's mixing rules: ${MIXING_MODES.join(', ')} (default: ${COMPARE_PAPER.mixingModes.join(',')})
  --stack-on N           MemGuard also on top of the N strongest training-time defenses (default: ${COMPARE_PAPER.stackOn}; --quick ${COMPARE_QUICK.stackOn})
  --lira N               offline LiRA with N >= 3 shadow models, 0 for none (default: ${COMPARE_PAPER.lira}; --quick ${COMPARE_QUICK.lira})
  --attack-seeds N       NN attacks trained with N seeds, reported as their mean (default: ${COMPARE_PAPER.attackSeeds})
  --quick                the minutes-long smoke version: the same code on ${COMPARE_QUICK.rowsPerSplit} rows per role, small
                         models, few epochs, two knob settings per defense
  --repeats N            N runs with independent seeds; every number mean ± 95% interval (default: 1)
  --seed N               base seed (default: ${COMPARE_PAPER.seed})

Running:
  --out DIR              output folder (default: memguard-compare); a run killed half way resumes
                         from DIR/models/ when started again with the same options
  --threads N            worker threads for the independent trainings (default: all cores)
  --report-only          rewrite DIR/report.html and the verdict in DIR/results.json from that file's
                         numbers with this version's verdict (nothing is trained or attacked)
  --quiet                no progress output (otherwise on stderr: the stage and the time left for the
                         whole run, estimated from the stages' shares of a full Location run)
  -h, --help             this help

Knob grids:
${grid(TRAINING_DEFENSES)}
${grid(posthocGrids)}
  memguard               epsilon ${COMPARE_PAPER.epsilons.join(' | ')}, mixing ${COMPARE_PAPER.mixingModes.join(' | ')}

Writes, under DIR:
  results.json           defenses: one entry per setting {id, defense, params, utility: {distortion,
                         labelLoss, testAccuracy}, attacks}, seedFloor, labelOnlyFloor, verdict
  report.html            the verdict first, the matched-utility table, the figures (self-contained)
  released/<id>.csv      the evaluation vectors each setting releases (member,label,p0..), plus
                         released/reference.csv and released/shadow-reference.csv
  models/                every trained model (model-file JSON), what a restarted run resumes from

Examples:
  memguard compare --quick --out /tmp/compare-quick
  memguard compare --out compare-location
  memguard compare --features data.csv --label y --defenses early-stopping,memguard --quick
`;

const OPTIONS = {
  out: { type: 'string' }, quick: { type: 'boolean' }, defenses: { type: 'string' }, epsilons: { type: 'string' }, mixing: { type: 'string' },
  'stack-on': { type: 'string' }, lira: { type: 'string' }, 'attack-seeds': { type: 'string' }, repeats: { type: 'string' }, seed: { type: 'string' },
  threads: { type: 'string' }, quiet: { type: 'boolean' }, 'report-only': { type: 'boolean' }, features: { type: 'string' }, label: { type: 'string' }, split: { type: 'string' },
  'target-hidden': { type: 'string' }, epochs: { type: 'string' }, dataset: { type: 'string' }, 'learning-rate': { type: 'string' },
  'batch-size': { type: 'string' }, 'defense-hidden': { type: 'string' }, 'defense-epochs': { type: 'string' }, 'attack-hidden': { type: 'string' },
  'attack-epochs': { type: 'string' },
} as const;

export const compare: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const printVerdict = (verdict: CompareVerdict) => ctx.out('Verdict:\n' + verdict.sentences.map((s) => `  - ${s}\n`).join(''));
    if (v['report-only']) {
      // The verdict and report of this version on an earlier run's numbers: no model is touched.
      const dir = optional(v, 'out') ?? 'memguard-compare';
      const { verdict } = writeCompareReport(readCompareResults(existingFile('out', join(dir, 'results.json'))), dir);
      printVerdict(verdict);
      ctx.out(`\nrewrote ${resolve(dir)}/results.json (its verdict) and report.html\n`);
      return 0;
    }
    const base = v.quick ? COMPARE_QUICK : COMPARE_PAPER;
    const config: CompareConfig = { ...base, target: { ...base.target }, defense: { ...base.defense }, attack: { ...base.attack } };
    const text = (flag: string) => optional(v, flag);
    const defenses = text('defenses');
    if (defenses !== undefined) {
      const names = defenses.split(',').map((s) => s.trim()).filter(Boolean);
      for (const n of names) if (!defenseNames().includes(n)) throw usage(NAME, `--defenses: unknown defense ${JSON.stringify(n)}; available: ${defenseNames().join(', ')}`);
      config.defenses = [...new Set(['none', ...names])];
    }
    const eps = text('epsilons');
    if (eps !== undefined) config.epsilons = [...new Set(parseNumberList(NAME, 'epsilons', eps, (s) => parseNumberFlag(NAME, 'epsilons', s, { min: 0, exclusiveMin: true })))];
    const mixing = text('mixing');
    if (mixing !== undefined) config.mixingModes = [...new Set(mixing.split(',').map((s) => parseChoice<MixingMode>(NAME, 'mixing', s.trim(), MIXING_MODES)))];
    const stackOn = text('stack-on');
    if (stackOn !== undefined) config.stackOn = parseIntFlag(NAME, 'stack-on', stackOn, 0, 20);
    const lira = text('lira');
    if (lira !== undefined) {
      config.lira = parseIntFlag(NAME, 'lira', lira, 0, 1024);
      if (config.lira > 0 && config.lira < 3) throw usage(NAME, `--lira: needs 0 (none) or at least 3 shadow models, got ${config.lira}`);
    }
    const attackSeeds = text('attack-seeds');
    if (attackSeeds !== undefined) config.attackSeeds = parseIntFlag(NAME, 'attack-seeds', attackSeeds, 1, 10);
    const seed = text('seed');
    if (seed !== undefined) config.seed = parseIntFlag(NAME, 'seed', seed, 0, 2 ** 31 - 1 - 1000 * 100);
    const repeatsText = text('repeats');
    const repeats = repeatsText === undefined ? 1 : parseIntFlag(NAME, 'repeats', repeatsText, 1, 100);
    const hiddenGiven = text('target-hidden');
    const nets = [['target-hidden', 'epochs', 'target'], ['defense-hidden', 'defense-epochs', 'defense'], ['attack-hidden', 'attack-epochs', 'attack']] as const;
    for (const [hiddenFlag, epochsFlag, net] of nets) {
      const hidden = text(hiddenFlag);
      if (hidden !== undefined) config[net].hidden = parseNumberList(NAME, hiddenFlag, hidden, (s) => parseIntFlag(NAME, hiddenFlag, s, 1, 1 << 16));
      const epochs = text(epochsFlag);
      if (epochs !== undefined) config[net] = withEpochs(config[net], parseIntFlag(NAME, epochsFlag, epochs, 1, 100000));
    }
    const lr = text('learning-rate');
    if (lr !== undefined) config.target.learningRate = parseNumberFlag(NAME, 'learning-rate', lr, { min: 0, exclusiveMin: true });
    const bs = text('batch-size');
    if (bs !== undefined) config.target.batchSize = parseIntFlag(NAME, 'batch-size', bs, 1, 1 << 20);
    const dataset = parseChoice(NAME, 'dataset', text('dataset') ?? 'location', ['location', 'fashion-mnist'] as const);
    const fashion = dataset === 'fashion-mnist';
    // Fashion-MNIST's target is its own measured width (the quick run's small target fits 784 inputs as it is).
    if (fashion && !v.quick && hiddenGiven === undefined) config.target = { ...config.target, hidden: [...FASHION_MNIST_TARGET.hidden] };

    const features = text('features'), label = text('label'), splitPath = text('split');
    if (fashion && features !== undefined) throw usage(NAME, '--dataset and --features are alternatives');
    if ((features === undefined) !== (label === undefined)) throw usage(NAME, '--features and --label go together');
    if (splitPath !== undefined && features === undefined) throw usage(NAME, '--split needs --features and --label');
    const data = features !== undefined ? loadFeatureDataset(existingFile('features', features), label!, config.seed) : fashion ? loadFashionMnist() : loadLocation();
    // A user's CSV: every role keeps all its rows (as 'memguard experiment'), except in the quick run.
    if (features !== undefined && !v.quick) config.rowsPerSplit = Infinity;
    const splits = fashion ? fashionMnistSplits() : splitPath === undefined ? undefined : parseSplits(readFileSync(existingFile('split', splitPath), 'utf8'), data.n, splitPath);

    const dir = text('out') ?? 'memguard-compare';
    const store = new ModelStore(join(dir, 'models'));
    const threads = threadCount(NAME, text('threads'));
    const pool = new CliPool(threads);
    const progress = new Progress({ quiet: v.quiet === true, stream: ctx.progressStream });
    const start = performance.now();
    let written: string[], verdict: CompareVerdict, out;
    try {
      out = await runCompare({
        config, dataset: data, splits, repeats, store, runRecipe: pool.runRecipe(),
        fitMany: store.fitMany(pool.fitMany() ?? (async (jobs) => { for (const j of jobs) j.model.fit(j.x, j.y, j.options); })),
        onProgress: (e) => progress.update(e.stage, e.done, e.total, e.overall),
      });
      progress.update('write outputs', 0, 1);
      ({ written, verdict } = writeCompare(out, dir));
    } finally {
      progress.finish();
      await pool.close();
    }
    const wall = (performance.now() - start) / 1000;
    printVerdict(verdict);
    ctx.out(`\nwrote ${resolve(dir)}/\n`);
    for (const line of artifactGroups(written)) ctx.out(`  ${line}\n`);
    ctx.out(`  models/        ${store.counts.trained} trained now, ${store.counts.loaded} loaded (written by an earlier run, or the same training met twice in this one)\n`);
    ctx.out(`\nwall time ${formatSeconds(wall)} (${out.results.defenses.length} settings, ${repeats} run${repeats === 1 ? '' : 's'}, ${threads} thread${threads === 1 ? '' : 's'})\n`);
    ctx.out('stage timings:\n');
    const w = Math.max(...Object.keys(out.timings).map((s) => s.length));
    for (const [stage, s] of Object.entries(out.timings)) ctx.out(`  ${stage.padEnd(w)}  ${formatSeconds(s).padStart(10)}\n`);
    return 0;
  },
};
