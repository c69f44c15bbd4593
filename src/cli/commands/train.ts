// `memguard train`: trains a target model under any training-time defense of design §10 (or none) on
// a user's CSV, read as `memguard experiment` reads it, and writes the model file. Which rows are
// members, reference and held out is decided here (trainingRows) and stated in --help and --json.
import { readFileSync } from 'node:fs';
import { labelAccuracy } from '../../attacks/confidence.js';
import { loadFeatureDataset } from '../../data/datasets.js';
import { writeFileAtomic } from '../../data/files.js';
import { LOCATION_ROWS, LOCATION_SPLITS } from '../../data/splits.js';
import { MemGuardFormatError, MemGuardInputError } from '../../errors.js';
import { PAPER_CONFIG } from '../../experiment/run.js';
import { serializePredictor } from '../../defenses/predictor.js';
import type { Knob, TargetTraining } from '../../defenses/recipe.js';
import { DEFENSE_NAMES, DEFENSES, type DefenseName } from '../../defenses/registry.js';
import { trainTarget } from '../../defenses/train.js';
import {
  existingFile, formatSeconds, optional, parseChoice, parseFlags, parseIntFlag, parseNumberFlag, parseNumberList, required, usage, type Command,
} from '../args.js';
import { ensureParentDir } from '../io.js';
import { CliPool, threadCount } from '../parallel.js';
import { Progress } from '../progress.js';
import { withEpochs } from './experiment.js';

const NAME = 'train';
const T = PAPER_CONFIG.target;
const [memberStart, memberEnd] = LOCATION_SPLITS.targetTrain;
const [referenceStart, referenceEnd] = LOCATION_SPLITS.targetTest;

/** Every knob flag of every defense, once (several defenses share --alpha). */
const KNOB_FLAGS = [...new Set(DEFENSE_NAMES.flatMap((d) => DEFENSES[d].knobs.map((k) => k.flag)))].filter((f) => f !== 'epochs');

function knobLine(k: Knob): string {
  const def = k.default === undefined ? 'off' : String(k.default);
  const grid = k.grid.length > 1 ? `; grid ${k.grid.join(', ')}` : '';
  return `      --${k.flag.padEnd(20)} ${k.description} (default: ${def}${grid})`;
}

const HELP = `Usage: memguard train --features DATA.csv --label COLUMN --defense NAME --out TARGET.json [options]

Trains a target model under a training-time defense against membership inference, or
none, on your own tabular data, and writes its model file. Same architecture and training as the
target of 'memguard experiment' unless changed below; a defense changes only what its recipe says.

Data:
  --features FILE        CSV with a header: numeric feature columns and one integer label column
                         (classes 0..max label); gzip-compressed files are read as well
  --label COLUMN         the name of the label column
  --reference-rows FILE  the reference rows (the only extra data a defense may use: AdvReg's
                         non-members, DMP's distillation data): 0-based data-row numbers (the first
                         row after the header is 0), one per line or as a JSON array
Rows: the data rows are shuffled with --seed. Members (the training set) are the shuffled rows at
positions [${memberStart}, ${memberEnd}) of every ${LOCATION_ROWS} (the paper's target training set, scaled to the data's size);
the reference rows are those at [${referenceStart}, ${referenceEnd}) (the paper's target test set), or the rows of
--reference-rows (then members are taken from the other rows, skipping them). Held-out rows, on
which the test accuracy is measured, are every row that is neither a member nor a reference row.
On Location's 5,010 rows this is the paper's split: members [0, 1000), reference [1000, 2000).

Defense:
  --defense NAME         one of:
${DEFENSE_NAMES.map((d) => {
  const r = DEFENSES[d];
  return [`    ${d.padEnd(20)} ${r.description}${r.usesReference ? ' (uses the reference rows)' : ''}`, ...r.knobs.map(knobLine)].join('\n');
}).join('\n')}
  A knob flag belongs to the defenses listed with it; giving it to another is an error.
  For early-stopping, --epochs is its knob.

Model and training (defaults: the paper's Location target):
  --target-hidden LIST   hidden layer sizes (default: ${T.hidden.join(',')})
  --epochs N             training epochs (default: ${T.epochs}; the learning-rate step stays at the same
                         fraction of training; AdvReg counts alternation rounds)
  --learning-rate R      learning rate (default: ${T.learningRate})
  --batch-size N         batch size (default: ${T.batchSize}; DP-SGD's expected batch)
  --optimizer NAME       sgd or adam (default: sgd)
  --seed N               seeds the row shuffle, the weights and every draw of the recipe (default: ${PAPER_CONFIG.seed})
  --threads N            worker threads for SELENA's sub-models (default: all cores)

Output:
  --out FILE             the model file (JSON: memguard-mlp, or memguard-stack for stacking)
  --json                 print one JSON object: defense, params (every hyperparameter used),
                         trainAccuracy, testAccuracy, testRows (which rows), rows (counts), seconds,
                         and for dp-sgd dp {epsilon, delta, noiseMultiplier, sampleRate, steps, clip}
  --quiet                no progress output (progress goes to stderr)
  -h, --help             this help

Example:
  memguard train --features data.csv --label y --defense dp-sgd --target-epsilon 4 --out target.json --json
`;

const OPTIONS = {
  features: { type: 'string' },
  label: { type: 'string' },
  defense: { type: 'string' },
  out: { type: 'string' },
  'reference-rows': { type: 'string' },
  json: { type: 'boolean' },
  seed: { type: 'string' },
  epochs: { type: 'string' },
  'target-hidden': { type: 'string' },
  'learning-rate': { type: 'string' },
  'batch-size': { type: 'string' },
  optimizer: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean' },
  ...Object.fromEntries(KNOB_FLAGS.map((f) => [f, { type: 'string' }])),
} as const;

/**
 * Which rows train the target, which are the reference rows and which are held out (see --help):
 * members = shuffle positions [0, 1000) of every 5010 scaled to `n` (skipping reference rows when
 * they are given), reference = [1000, 2000) scaled or the given rows, held out = every other row.
 */
export function trainingRows(shuffle: Int32Array, referenceRows?: Int32Array): { members: Int32Array; reference: Int32Array; heldOut: Int32Array } {
  const n = shuffle.length;
  const at = (p: number) => Math.floor((p * n) / LOCATION_ROWS);
  let members: Int32Array, reference: Int32Array;
  if (referenceRows) {
    const isReference = new Uint8Array(n);
    for (const r of referenceRows) isReference[r] = 1;
    const rest = shuffle.filter((r) => !isReference[r]);
    members = rest.slice(0, at(memberEnd) - at(memberStart));
    reference = Int32Array.from(referenceRows);
  } else {
    members = shuffle.slice(at(memberStart), at(memberEnd));
    reference = shuffle.slice(at(referenceStart), at(referenceEnd));
  }
  const used = new Uint8Array(n);
  for (const r of members) used[r] = 1;
  for (const r of reference) used[r] = 1;
  const heldOut = shuffle.filter((r) => !used[r]).sort();
  return { members, reference, heldOut };
}

/** A reference-rows file: 0-based row numbers, one per line or a JSON array; each in [0, n), none twice. */
export function parseRowList(text: string, n: number, source: string): Int32Array {
  let items: unknown[];
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      items = JSON.parse(trimmed) as unknown[];
    } catch (e) {
      throw new MemGuardFormatError(`${source}: not a JSON array (${(e as Error).message})`);
    }
    if (!Array.isArray(items)) throw new MemGuardFormatError(`${source}: expected a JSON array of row numbers`);
  } else {
    items = trimmed === '' ? [] : trimmed.split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  }
  const seen = new Uint8Array(n);
  const out = new Int32Array(items.length);
  items.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
      throw new MemGuardFormatError(`${source}: entry ${i + 1} is ${JSON.stringify(v)}, not a row number in [0, ${n})`);
    }
    if (seen[v]) throw new MemGuardFormatError(`${source}: row ${v} is listed twice`);
    seen[v] = 1;
    out[i] = v;
  });
  if (out.length === 0) throw new MemGuardFormatError(`${source}: no rows listed`);
  return out;
}

function gather(features: Float32Array, labels: Int32Array, d: number, rows: Int32Array) {
  const x = new Float32Array(rows.length * d), y = new Int32Array(rows.length);
  rows.forEach((r, i) => { x.set(features.subarray(r * d, (r + 1) * d), i * d); y[i] = labels[r]!; });
  return { x, y };
}

export const train: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const features = required(NAME, v, 'features'), label = required(NAME, v, 'label'), outPath = required(NAME, v, 'out');
    const defense = parseChoice<DefenseName>(NAME, 'defense', required(NAME, v, 'defense'), DEFENSE_NAMES);
    const recipe = DEFENSES[defense];
    const seed = parseIntFlag(NAME, 'seed', optional(v, 'seed') ?? String(PAPER_CONFIG.seed), 0, 2 ** 31 - 1);
    let training: TargetTraining = { ...T, hidden: [...T.hidden], milestones: [...T.milestones] };
    const hiddenText = optional(v, 'target-hidden');
    if (hiddenText !== undefined) training.hidden = parseNumberList(NAME, 'target-hidden', hiddenText, (s) => parseIntFlag(NAME, 'target-hidden', s, 1, 1 << 16));
    const lr = optional(v, 'learning-rate');
    if (lr !== undefined) training.learningRate = parseNumberFlag(NAME, 'learning-rate', lr, { min: 0, exclusiveMin: true });
    const bs = optional(v, 'batch-size');
    if (bs !== undefined) training.batchSize = parseIntFlag(NAME, 'batch-size', bs, 1, 1 << 20);
    const opt = optional(v, 'optimizer');
    if (opt !== undefined) training.optimizer = parseChoice(NAME, 'optimizer', opt, ['sgd', 'adam'] as const);
    const epochsText = optional(v, 'epochs');
    const params: Record<string, number> = {};
    if (epochsText !== undefined) {
      const epochs = parseIntFlag(NAME, 'epochs', epochsText, 1, 100000);
      // Early stopping's knob is the epoch count itself, on the undefended schedule.
      if (defense === 'early-stopping') params.epochs = epochs;
      else training = withEpochs(training, epochs);
    }
    for (const flag of KNOB_FLAGS) {
      const text = optional(v, flag);
      if (text === undefined) continue;
      const knob = recipe.knobs.find((k) => k.flag === flag);
      if (!knob) {
        const owners = DEFENSE_NAMES.filter((d) => DEFENSES[d].knobs.some((k) => k.flag === flag));
        throw usage(NAME, `--${flag} is not a knob of ${defense} (it is one of ${owners.join(', ')})`);
      }
      params[knob.name] = knob.integer
        ? parseIntFlag(NAME, flag, text, knob.min ?? 1, knob.max)
        : parseNumberFlag(NAME, flag, text, { min: knob.min ?? 0, exclusiveMin: knob.min === undefined || knob.exclusiveMin === true });
      if (knob.max !== undefined && params[knob.name]! > knob.max) throw usage(NAME, `--${flag} must be <= ${knob.max}, got ${text}`);
    }
    if (defense === 'dp-sgd' && params.noiseMultiplier !== undefined && params.targetEpsilon !== undefined) {
      throw usage(NAME, '--noise-multiplier and --target-epsilon both set sigma: give one');
    }
    const referencePath = optional(v, 'reference-rows');
    const threads = threadCount(NAME, optional(v, 'threads'));

    const data = loadFeatureDataset(existingFile('features', features), label, seed);
    const referenceRows = referencePath === undefined ? undefined
      : parseRowList(readFileSync(existingFile('reference-rows', referencePath), 'utf8'), data.n, referencePath);
    const rows = trainingRows(data.shuffle, referenceRows);
    if (rows.members.length < 2) throw new MemGuardInputError(`${features}: ${data.n} rows leave ${rows.members.length} member rows; too few to train`);
    const members = gather(data.features, data.labels, data.d, rows.members);
    const reference = gather(data.features, data.labels, data.d, rows.reference);
    const heldOut = gather(data.features, data.labels, data.d, rows.heldOut);

    const progress = new Progress({ quiet: v.quiet === true, stream: ctx.progressStream });
    const pool = new CliPool(threads);
    const start = performance.now();
    let trained;
    try {
      trained = await trainTarget({
        defense, params, d: data.d, classes: data.classes, members, reference, training, seed,
        onProgress: (p) => progress.update(p.stage, p.done, p.total), fitMany: pool.fitMany(),
      });
    } finally {
      progress.finish();
      await pool.close();
    }
    const seconds = (performance.now() - start) / 1000;
    try {
      const k = data.classes;
      const trainAccuracy = labelAccuracy(trained.model.predict(members.x), k, members.y);
      const testAccuracy = heldOut.y.length > 0 ? labelAccuracy(trained.model.predict(heldOut.x), k, heldOut.y) : null;
      ensureParentDir(outPath);
      writeFileAtomic(outPath, serializePredictor(trained.model));
      const testRows = `the ${heldOut.y.length} rows that are neither members nor reference rows`;
      if (v.json) {
        ctx.out(JSON.stringify({
          defense, params: trained.params, trainAccuracy, testAccuracy, testRows,
          rows: { members: members.y.length, reference: reference.y.length, heldOut: heldOut.y.length },
          ...(trained.dp ? { dp: trained.dp } : {}), seconds, out: outPath,
        }) + '\n');
      } else {
        ctx.out(`wrote ${outPath}: ${defense} target, trained on ${members.y.length} members` +
          `${recipe.usesReference ? ` and ${reference.y.length} reference rows` : ''} in ${formatSeconds(seconds)}\n`);
        ctx.out(`train accuracy ${trainAccuracy.toFixed(3)}, test accuracy ${testAccuracy === null ? 'n/a' : testAccuracy.toFixed(3)} (on ${testRows})\n`);
        const shown = Object.entries(trained.params).map(([key, val]) => `${key}=${Array.isArray(val) ? val.join(',') : val}`).join(' ');
        ctx.out(`params: ${shown}\n`);
        if (trained.dp) {
          const dp = trained.dp;
          ctx.out(`DP-SGD: (epsilon ${dp.epsilon.toFixed(3)}, delta ${dp.delta})-DP; noise multiplier ${dp.noiseMultiplier.toFixed(4)}, ` +
            `sampling rate ${dp.sampleRate.toFixed(4)}, ${dp.steps} steps, clip ${dp.clip}\n`);
        }
      }
    } finally {
      trained.model.dispose();
    }
    return 0;
  },
};
