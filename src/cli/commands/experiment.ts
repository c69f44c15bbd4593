// `memguard experiment`: the design §6 protocol on a user's own tabular data (numeric features, an
// integer label column): split sizes scaled from Location's or given in a split file, model sizes
// and epochs as options with the paper's as defaults; the same pipeline and outputs as the demo.
import { readFileSync } from 'node:fs';
import { loadFeatureDataset } from '../../data/datasets.js';
import { LOCATION_SPLITS, parseSplits } from '../../data/splits.js';
import { PAPER_CONFIG, type ExperimentConfig, type TrainingConfig } from '../../experiment/run.js';
import { existingFile, parseFlags, parseIntFlag, parseNumberFlag, parseNumberList, optional, required, type Command } from '../args.js';
import { PIPELINE_OPTIONS, PIPELINE_OUTPUTS, pipelineHelp, pipelineSettings, runPipeline } from '../pipeline.js';

const NAME = 'experiment';
const sizes = (t: { hidden: number[] }) => t.hidden.join(',');
const roles = Object.entries(LOCATION_SPLITS).map(([role, [a, b]]) => `${role} ${b - a}`).join(', ');

const HELP = `Usage: memguard experiment --features DATA.csv --label COLUMN [options]

Runs the paper's evaluation protocol (docs/evaluating.md) on your own tabular data: a target model, the defense classifier, a shadow
model and the attacks (NN attack, defense-aware NN attack, metric attacks, gap attack), MemGuard at
every distortion budget, the verdict and the report. 'memguard demo' is this on Location.

Data:
  --features FILE        CSV with a header: numeric feature columns and one integer label column
                         (classes 0..max label); gzip-compressed files are read as well
  --label COLUMN         the name of the label column
  --split FILE           the rows of each role, as JSON: {"targetTrain": [row, ...], "targetTest": [...],
                         "evalNonMembers": [...], "shadowTrain": [...], "shadowDefenseNonMembers": [...],
                         "shadowTest": [...]}, rows 0-based in data order (the first row after the
                         header is 0), no row in two roles, at least 10 rows each.
                         Default: the rows shuffled with --seed, roles sized as on Location
                         (${roles} of 5010 rows), scaled to the data's size.

Models (defaults: the paper's):
  --target-hidden LIST   hidden layer sizes of the target and shadow models (default: ${sizes(PAPER_CONFIG.target)})
  --defense-hidden LIST  of the defense classifier (default: ${sizes(PAPER_CONFIG.defense)})
  --attack-hidden LIST   of the NN attack (default: ${sizes(PAPER_CONFIG.attack)})
  --epochs N             target and shadow training epochs (default: ${PAPER_CONFIG.target.epochs}; the learning-rate
                         step stays at the same fraction of training)
  --defense-epochs N     (default: ${PAPER_CONFIG.defense.epochs})
  --attack-epochs N      (default: ${PAPER_CONFIG.attack.epochs})
  --learning-rate R      target and shadow SGD learning rate (default: ${PAPER_CONFIG.target.learningRate})
  --batch-size N         target and shadow batch size (default: ${PAPER_CONFIG.target.batchSize})

Options:
${pipelineHelp(PAPER_CONFIG.epsilons.join(','), PAPER_CONFIG.seed)}
  -h, --help             this help

${PIPELINE_OUTPUTS}

Example:
  memguard experiment --features data.csv --label label --out my-eval
  memguard experiment --features data.csv --label y --target-hidden 256,128 --epochs 100 --repeats 3
`;

const OPTIONS = {
  ...PIPELINE_OPTIONS,
  features: { type: 'string' },
  label: { type: 'string' },
  split: { type: 'string' },
  'target-hidden': { type: 'string' },
  'defense-hidden': { type: 'string' },
  'attack-hidden': { type: 'string' },
  epochs: { type: 'string' },
  'defense-epochs': { type: 'string' },
  'attack-epochs': { type: 'string' },
  'learning-rate': { type: 'string' },
  'batch-size': { type: 'string' },
} as const;

/** `t` trained for `epochs`, its learning-rate milestones moved to the same fraction of training. */
export function withEpochs<T extends TrainingConfig>(t: T, epochs: number): T {
  const milestones = t.milestones.map((m) => Math.max(1, Math.round((m * epochs) / t.epochs))).filter((m) => m < epochs);
  return { ...t, epochs, milestones };
}

export const experiment: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const features = required(NAME, v, 'features');
    const label = required(NAME, v, 'label');
    const config: ExperimentConfig = {
      ...PAPER_CONFIG, target: { ...PAPER_CONFIG.target }, defense: { ...PAPER_CONFIG.defense }, attack: { ...PAPER_CONFIG.attack },
      // Every role keeps all its rows (the split decides the sizes).
      rowsPerSplit: Infinity,
    };
    const hidden = (flag: string) => {
      const text = optional(v, flag);
      return text === undefined ? undefined : parseNumberList(NAME, flag, text, (s) => parseIntFlag(NAME, flag, s, 1, 1 << 16));
    };
    const epochs = (flag: string) => {
      const text = optional(v, flag);
      return text === undefined ? undefined : parseIntFlag(NAME, flag, text, 1, 100000);
    };
    const th = hidden('target-hidden'), dh = hidden('defense-hidden'), ah = hidden('attack-hidden');
    if (th) config.target.hidden = th;
    if (dh) config.defense.hidden = dh;
    if (ah) config.attack.hidden = ah;
    const te = epochs('epochs'), de = epochs('defense-epochs'), ae = epochs('attack-epochs');
    if (te) config.target = withEpochs(config.target, te);
    if (de) config.defense = withEpochs(config.defense, de);
    if (ae) config.attack = withEpochs(config.attack, ae);
    const lr = optional(v, 'learning-rate');
    if (lr !== undefined) config.target.learningRate = parseNumberFlag(NAME, 'learning-rate', lr, { min: 0, exclusiveMin: true });
    const bs = optional(v, 'batch-size');
    if (bs !== undefined) config.target.batchSize = parseIntFlag(NAME, 'batch-size', bs, 1, 1 << 20);
    const settings = pipelineSettings(NAME, v, config);
    const splitPath = optional(v, 'split');

    const dataset = loadFeatureDataset(existingFile('features', features), label, config.seed);
    const splits = splitPath === undefined
      ? undefined
      : parseSplits(readFileSync(existingFile('split', splitPath), 'utf8'), dataset.n, splitPath);
    return runPipeline(ctx, { ...settings, config, dataset, splits, label: `${dataset.name}, ${dataset.n} rows` });
  },
};
