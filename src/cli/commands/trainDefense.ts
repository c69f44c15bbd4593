// `memguard train-defense`: the defender's defense classifier g (docs/design.md §2) from the target model's
// confidence vectors on its training set (members) and on held-out data (non-members).
import { MemGuardInputError } from '../../errors.js';
import { DEFENSE_CLASSIFIER_DEFAULTS, membershipProbability, trainDefenseClassifier } from '../../memguard/defenseClassifier.js';
import {
  existingFile, formatSeconds, optional, parseFlags, parseIntFlag, parseNumberFlag, parseNumberList, required, type Command,
} from '../args.js';
import { writeModelFile } from '../modelFiles.js';
import { Progress } from '../progress.js';
import { readProbabilityFile } from '../scoresFile.js';

const NAME = 'train-defense';
const D = DEFENSE_CLASSIFIER_DEFAULTS;

const HELP = `Usage: memguard train-defense --members M.csv --nonmembers N.csv --out G.json [options]

Trains MemGuard's defense classifier g (docs/design.md §2): an MLP on the confidence vectors sorted
ascending, P(member) out, binary cross-entropy, plain SGD with a fresh shuffle every epoch.
Members are the target model's outputs on its own training set, non-members its outputs on data
it never saw. The model file it writes is what memguard protect --defense takes: memguard's JSON, or
ONNX when FILE ends in .onnx (for ONNX Runtime and other frameworks).

Input CSVs: a header with p0..p{k-1} (probability vectors; both files the same k); other columns
(member, label, ...) are ignored. A bad row is reported with its line number.

Required:
  --members FILE         confidence vectors of members (the target's training data)
  --nonmembers FILE      confidence vectors of non-members (held-out data)
  --out FILE             the model file to write: FILE.onnx as ONNX, any other name as JSON
                         (format memguard-mlp version 1)

Options (defaults: the paper's):
  --hidden LIST          hidden layer widths, comma-separated (default: ${D.hidden.join(',')})
  --epochs N             training epochs (default: ${D.epochs})
  --learning-rate X      SGD learning rate (default: ${D.learningRate})
  --batch-size N         mini-batch size (default: ${D.batchSize})
  --seed N               seeds the initial weights and the shuffles (default: 0)
  --quiet                no progress output
  -h, --help             this help

Example:
  memguard train-defense --members train-scores.csv --nonmembers test-scores.csv --out g.json
`;

const OPTIONS = {
  members: { type: 'string' },
  nonmembers: { type: 'string' },
  out: { type: 'string' },
  hidden: { type: 'string' },
  epochs: { type: 'string' },
  'learning-rate': { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

export const trainDefense: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const membersPath = required(NAME, v, 'members'), nonPath = required(NAME, v, 'nonmembers');
    const outPath = required(NAME, v, 'out');
    const hiddenText = optional(v, 'hidden');
    const hidden = hiddenText === undefined ? [...D.hidden]
      : parseNumberList(NAME, 'hidden', hiddenText, (s) => parseIntFlag(NAME, 'hidden', s, 1, 1 << 16));
    const epochs = parseIntFlag(NAME, 'epochs', optional(v, 'epochs') ?? String(D.epochs), 1, 1e6);
    const learningRate = parseNumberFlag(NAME, 'learning-rate', optional(v, 'learning-rate') ?? String(D.learningRate), { min: 0, exclusiveMin: true });
    const batchSize = parseIntFlag(NAME, 'batch-size', optional(v, 'batch-size') ?? String(D.batchSize), 1, 1 << 20);
    const seed = parseIntFlag(NAME, 'seed', optional(v, 'seed') ?? '0', 0, 2 ** 31 - 1);

    const members = await readProbabilityFile(existingFile('members', membersPath), '--members');
    const nonMembers = await readProbabilityFile(existingFile('nonmembers', nonPath), '--nonmembers');
    if (members.k !== nonMembers.k) {
      throw new MemGuardInputError(`--members ${membersPath} has k = ${members.k} columns (p0..p${members.k - 1}) but --nonmembers ${nonPath} has k = ${nonMembers.k}`);
    }
    const k = members.k;

    const progress = new Progress({ quiet: v.quiet === true, stream: ctx.progressStream });
    const start = performance.now();
    let loss = NaN;
    const stage = 'train defense classifier';
    let g;
    try {
      g = trainDefenseClassifier(members.vectors, nonMembers.vectors, k, {
        hidden, epochs, learningRate, batchSize, seed,
        onEpoch: (e) => { loss = e.loss; progress.update(stage, e.epoch, e.epochs); },
      });
    } finally {
      progress.finish();
    }
    try {
      const pm = membershipProbability(g, members.vectors), pn = membershipProbability(g, nonMembers.vectors);
      let right = 0;
      for (const p of pm) right += p >= 0.5 ? 1 : 0;
      for (const p of pn) right += p < 0.5 ? 1 : 0;
      writeModelFile(outPath, g);
      const seconds = (performance.now() - start) / 1000;
      ctx.out(`wrote ${outPath}: defense classifier ${k} -> ${hidden.join(' -> ')} -> 1 (sigmoid), ` +
        `trained on ${members.n} members + ${nonMembers.n} non-members, ${epochs} epochs in ${formatSeconds(seconds)}\n`);
      ctx.out(`final training loss ${loss.toFixed(4)}, training accuracy ${(right / (members.n + nonMembers.n)).toFixed(3)}\n`);
    } finally {
      g.dispose();
    }
    return 0;
  },
};
