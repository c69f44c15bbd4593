// `memguard demo`: the design §6 pipeline (cli/pipeline.ts, the same as `memguard experiment`) on the
// bundled Location data with the paper's settings, every output written to a folder.
import { loadLocation } from '../../data/datasets.js';
import { fashionMnistSplits, loadFashionMnist } from '../../data/fashionMnist.js';
import { FASHION_MNIST_CONFIG } from '../../experiment/fashionMnist.js';
import { PAPER_CONFIG, QUICK_CONFIG, type ExperimentConfig } from '../../experiment/run.js';
import { optional, parseChoice, parseFlags, type Command } from '../args.js';
import { PIPELINE_OPTIONS, PIPELINE_OUTPUTS, pipelineHelp, pipelineSettings, runPipeline } from '../pipeline.js';

const NAME = 'demo';

/** The bundled datasets `--dataset` names; the first is the default. */
const DATASETS = ['location', 'fashion-mnist'] as const;

const HELP = `Usage: memguard demo [options]

Runs the MemGuard paper's experiment on bundled data (Location by default): trains the target
model, the defense classifier, a shadow model and the NN attack, protects the evaluation set at
every distortion budget epsilon (paper and exact mixing), runs the attack suite (NN attack,
defense-aware NN attack, metric attacks, gap attack) and writes everything to a folder. The same
pipeline as 'memguard experiment', on Location or Fashion-MNIST.

Options:
${pipelineHelp(`${PAPER_CONFIG.epsilons.join(',')}; with --quick: ${QUICK_CONFIG.epsilons.join(',')}`, PAPER_CONFIG.seed)}
  --dataset NAME         location (the paper's, default) or fashion-mnist (5,000 Fashion-MNIST test
                         images, the stand-in for the paper's image dataset; same split sizes, a
                         784 -> 512 -> 256 -> 10 target; its data file is in the repository, not in
                         the npm package)
  --quick                a smoke run in seconds: fewer rows, epochs and epsilons, smaller models
                         (one thread unless --threads is given)
  -h, --help             this help

${PIPELINE_OUTPUTS}

Prints the verdict (the strongest attacks against the label-only floor), the attack-accuracy
tables, the files written, the wall time and the time of each stage. Progress goes to stderr.

Examples:
  memguard demo --quick --out /tmp/memguard-demo
  memguard demo --repeats 3 --out memguard-out
  memguard demo --dataset fashion-mnist --out memguard-fashion
`;

const OPTIONS = { ...PIPELINE_OPTIONS, quick: { type: 'boolean' }, dataset: { type: 'string' } } as const;

export const demo: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const name = parseChoice(NAME, 'dataset', optional(v, 'dataset') ?? DATASETS[0], DATASETS);
    const fashion = name === 'fashion-mnist';
    // The quick config's small target fits 784 inputs as it is.
    const config: ExperimentConfig = { ...(v.quick ? QUICK_CONFIG : fashion ? FASHION_MNIST_CONFIG : PAPER_CONFIG) };
    // A quick run is over before worker threads have loaded their engines: one thread unless asked.
    const settings = pipelineSettings(NAME, v, config, v.quick ? 1 : undefined);
    const label = `${v.quick ? 'quick' : 'paper'} config${fashion ? ', Fashion-MNIST' : ''}`;
    if (!fashion) return runPipeline(ctx, { ...settings, config, dataset: loadLocation(), label });
    return runPipeline(ctx, { ...settings, config, dataset: loadFashionMnist(), splits: fashionMnistSplits(), label });
  },
};
