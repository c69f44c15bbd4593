// `memguard evaluate`: the attack suite of design §6 on a user's own released vectors. The NN attack
// is trained on the shadow rows (members vs non-members), the metric attacks are calibrated on them,
// and everything is evaluated on the target rows.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemGuardInputError } from '../../errors.js';
import { labelAccuracy, topConfidenceHistogram, type LabeledConfidenceSet } from '../../attacks/confidence.js';
import { runAttackSuite } from '../../attacks/suite.js';
import { writeFileAtomic } from '../../data/files.js';
import { accuracy } from '../../attacks/metrics.js';
import { membershipProbability } from '../../memguard/defenseClassifier.js';
import { NN_ATTACK_DEFAULTS, trainNnAttack } from '../../attacks/nnAttack.js';
import type { Mlp } from '../../nn/mlp.js';
import { renderReport } from '../../report/html.js';
import type { AttackSummary } from '../../attacks/summary.js';
import { serializeResults, type EvaluationResults, type MixingMode } from '../../experiment/results.js';
import {
  existingFile, formatSeconds, optional, parseFlags, parseIntFlag, required, type Command,
} from '../args.js';
import { Progress } from '../progress.js';
import { readProbabilityFile, type ScoresFile } from '../scoresFile.js';

const NAME = 'evaluate';
const A = NN_ATTACK_DEFAULTS;
const DEFAULT_EPOCHS = A.epochs!;
/** NN attack seeds, as in the experiment (PAPER_CONFIG.attackSeeds). */
const ATTACK_SEEDS = 3;
const DEFAULT_MILESTONE = A.schedule!.milestones[0]!;

/** How a user-data run is labelled where the report expects a mixing mode (it is unknown here). */
export const USER_DATA_LABEL = 'user data';

const HELP = `Usage: memguard evaluate --shadow SHADOW.csv --target TARGET.csv [options]

Runs the membership-inference attack suite on your own released confidence vectors:
  - the NN attack (the paper's: ${[...A.hidden!].join(' -> ')} on sorted vectors, paper defaults), trained on the
    shadow rows, members vs non-members;
  - the metric attacks (correctness, confidence, entropy, modified entropy; Song & Mittal 2021) with
    thresholds calibrated on the shadow rows, their best-threshold-in-hindsight upper bounds, and
    the gap (label-only) attack;
all evaluated on the target rows: accuracy, balanced accuracy, AUC, advantage, TPR at 1% and 0.1%
FPR (member = positive). 0.5 accuracy is a coin flip.

Both CSVs need the columns member (1 = member, 0 = non-member), label (the true class) and
p0..p{k-1} (the released vectors), e.g. the released/*.csv files of memguard demo. Each needs
members and non-members.

Required:
  --shadow FILE          the attacker's shadow data: what it trains and calibrates on
  --target FILE          the released vectors under evaluation

Options:
  --out DIR              also write DIR/results.json and DIR/report.html
  --epochs N             NN attack epochs (default: ${DEFAULT_EPOCHS}; the learning-rate drop
                         happens at ${DEFAULT_MILESTONE / DEFAULT_EPOCHS} x N, as in the paper's ${DEFAULT_MILESTONE} of ${DEFAULT_EPOCHS})
  --seed N               seeds the NN attack's weights and shuffles (default: 0)
  --attack-seeds N       the NN attack is trained with N seeds (seed, seed + 100, ...) and reported
                         as their mean, as the reference evaluations do (default: ${ATTACK_SEEDS})
  --quiet                no progress output
  -h, --help             this help

Example:
  memguard evaluate --shadow out/released/shadow-clean.csv --target out/released/eval-eps0.5.csv --out eval
`;

const OPTIONS = {
  shadow: { type: 'string' },
  target: { type: 'string' },
  out: { type: 'string' },
  epochs: { type: 'string' },
  seed: { type: 'string' },
  'attack-seeds': { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

export const evaluate: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const shadowPath = required(NAME, v, 'shadow'), targetPath = required(NAME, v, 'target');
    const dir = optional(v, 'out');
    const epochs = parseIntFlag(NAME, 'epochs', optional(v, 'epochs') ?? String(DEFAULT_EPOCHS), 1, 1e6);
    const seed = parseIntFlag(NAME, 'seed', optional(v, 'seed') ?? '0', 0, 2 ** 31 - 1 - 1000);
    const attackSeeds = parseIntFlag(NAME, 'attack-seeds', optional(v, 'attack-seeds') ?? String(ATTACK_SEEDS), 1, 10);
    const milestone = Math.max(1, Math.round((epochs * DEFAULT_MILESTONE) / DEFAULT_EPOCHS));

    const shadow = await readProbabilityFile(existingFile('shadow', shadowPath), '--shadow', ['member', 'label']);
    const target = await readProbabilityFile(existingFile('target', targetPath), '--target', ['member', 'label']);
    if (shadow.k !== target.k) {
      throw new MemGuardInputError(`--shadow ${shadowPath} has k = ${shadow.k} classes but --target ${targetPath} has k = ${target.k}`);
    }
    const k = shadow.k;
    for (const f of [['--shadow', shadow], ['--target', target]] as const) requireBothClasses(f[0], f[1]);

    const progress = new Progress({ quiet: v.quiet === true, stream: ctx.progressStream });
    const start = performance.now();
    const shadowSet = labeledSet(shadow);
    const targetSet = labeledSet(target);
    const [shadowMembers, shadowNon] = splitByMembership(shadow);
    const models: Mlp[] = [];
    let attacks;
    try {
      for (let j = 0; j < attackSeeds; j++) {
        models.push(trainNnAttack(shadowMembers, shadowNon, k, {
          epochs, seed: seed + 100 * j, schedule: { milestones: [milestone], gamma: A.schedule!.gamma },
          onEpoch: (e) => progress.update(`train NN attack ${j + 1}/${attackSeeds} (${shadowMembers.length / k} + ${shadowNon.length / k} shadow rows)`, e.epoch, e.epochs),
        }));
      }
      progress.update('run the attack suite on the target rows', 0, 1);
      attacks = runAttackSuite(shadowSet, { clean: targetSet }, { nn: models });
      progress.update('run the attack suite on the target rows', 1, 1);
    } finally {
      progress.finish();
    }
    const attackOnShadow = membershipProbability(models[0]!, shadow.vectors);
    for (const m of models) m.dispose();
    const seconds = (performance.now() - start) / 1000;

    const results: EvaluationResults = {
      version: 1,
      title: 'MemGuard attack suite on user data',
      createdAt: new Date().toISOString(),
      config: {
        dataset: `user data: shadow ${shadowPath} (${shadow.n} rows), target ${targetPath} (${target.n} rows), k = ${k}`,
        // The defense settings that produced the vectors are unknown here: one run, epsilon NaN.
        epsilons: [],
        mixingModes: [USER_DATA_LABEL as MixingMode],
        seeds: { attack: seed },
        attackSeeds,
        attack: { hidden: [...A.hidden!], epochs, learningRate: A.learningRate, batchSize: A.batchSize, milestones: [milestone], gamma: A.schedule!.gamma },
      },
      models: {
        // The argmax accuracy of the released vectors: the models' accuracy when the defense keeps labels.
        targetTrain: labelAccuracy(target.vectors, target.k, target.label!, target.member!),
        targetTest: labelAccuracy(target.vectors, target.k, target.label!, target.member!.map((m) => 1 - m)),
        shadowTrain: labelAccuracy(shadow.vectors, shadow.k, shadow.label!, shadow.member!),
        shadowTest: labelAccuracy(shadow.vectors, shadow.k, shadow.label!, shadow.member!.map((m) => 1 - m)),
        attackModel: accuracy(Array.from(attackOnShadow, (p) => (p >= 0.5 ? 1 : 0)), shadow.member!),
      },
      runs: [{
        epsilon: NaN, mixing: USER_DATA_LABEL as MixingMode, attacks,
        labelLoss: NaN, meanPhase1Distortion: NaN, meanP: NaN, meanReleasedDistortion: NaN,
        topConfidence: topConfidenceHistogram(target.vectors, target.k, target.member!), seconds,
      }],
      notes: [
        'Attacks trained (NN) or calibrated (metric attacks) on the shadow rows and evaluated on the target rows, as given: ' +
        'each row counts once (no expectation over a coin, which the files do not describe).',
        'targetTrain / targetTest (shadowTrain / shadowTest) are the argmax accuracies of the member / non-member rows of each file.',
        'The defense settings behind the vectors are unknown, so epsilon and the defense statistics show n/a.',
      ],
    };

    ctx.out(attackTable(results));
    if (dir !== undefined) {
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(join(dir, 'results.json'), serializeResults(results));
      writeFileAtomic(join(dir, 'report.html'), renderReport(results));
      ctx.out(`\nwrote ${join(dir, 'results.json')} and ${join(dir, 'report.html')}\n`);
    }
    ctx.out(`\n${Object.keys(attacks).length} attacks on ${target.n} target rows in ${formatSeconds(seconds)}\n`);
    return 0;
  },
};

function labeledSet(f: ScoresFile): LabeledConfidenceSet & { vectors: Float32Array } {
  return { vectors: f.vectors, labels: f.label!, k: f.k, isMember: f.member! };
}

function requireBothClasses(flag: string, f: ScoresFile): void {
  let m = 0;
  for (const x of f.member!) m += x;
  if (m === 0 || m === f.n) {
    throw new MemGuardInputError(`${flag} ${f.path}: every row has member = ${m === 0 ? 0 : 1}; the attacks need members and non-members`);
  }
}

function splitByMembership(f: ScoresFile): [Float32Array, Float32Array] {
  const k = f.k;
  const m: number[] = [], n: number[] = [];
  for (let i = 0; i < f.n; i++) (f.member![i] ? m : n).push(i);
  const take = (rows: number[]) => {
    const out = new Float32Array(rows.length * k);
    rows.forEach((r, i) => out.set(f.vectors.subarray(r * k, (r + 1) * k), i * k));
    return out;
  };
  return [take(m), take(n)];
}

/** The console summary of a single run: every metric of every attack, one row per attack. */
export function attackTable(results: EvaluationResults): string {
  const run = results.runs[0]!;
  const cols: Array<[string, (a: AttackSummary) => number | undefined]> = [
    ['accuracy', (a) => a.accuracy], ['balanced', (a) => a.balancedAccuracy], ['AUC', (a) => a.auc],
    ['advantage', (a) => a.advantage], ['TPR@1%FPR', (a) => a.tprAt1Fpr], ['TPR@0.1%FPR', (a) => a.tprAt01Fpr],
  ];
  const names = Object.keys(run.attacks);
  const w0 = Math.max(6, ...names.map((n) => n.length)) + 2;
  const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3));
  const m = results.models;
  const lines = [
    `${results.title} (${results.config.dataset})`,
    `argmax accuracy: target members ${fmt(m.targetTrain)}, target non-members ${fmt(m.targetTest)}, ` +
      `shadow members ${fmt(m.shadowTrain)}, shadow non-members ${fmt(m.shadowTest)}; NN attack on its shadow rows ${fmt(m.attackModel)}`,
    '',
    'attack'.padEnd(w0) + cols.map(([c]) => c.padStart(12)).join(''),
    ...names.map((n) => n.padEnd(w0) + cols.map(([, get]) => fmt(get(run.attacks[n]!)).padStart(12)).join('')),
  ];
  return lines.join('\n') + '\n';
}
