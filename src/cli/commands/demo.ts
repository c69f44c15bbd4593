// `memguard demo`: the SPEC §6 pipeline (cli/pipeline.ts, the same as `memguard experiment`) on the
// bundled Location data with the paper's settings, every output written to a folder.
import { loadLocation } from '../../data/datasets.js';
import { PAPER_CONFIG, QUICK_CONFIG, type ExperimentConfig } from '../../experiment/run.js';
import { parseFlags, type Command } from '../args.js';
import { PIPELINE_OPTIONS, PIPELINE_OUTPUTS, pipelineHelp, pipelineSettings, runPipeline } from '../pipeline.js';

const NAME = 'demo';

const HELP = `Usage: memguard demo [options]

Runs the MemGuard paper's experiment (SPEC §6) on the bundled Location data: trains the target
model, the defense classifier, a shadow model and the NN attack, protects the evaluation set at
every distortion budget epsilon (paper and exact mixing), runs the attack suite (NN attack,
defense-aware NN attack, metric attacks, gap attack) and writes everything to a folder. The same
pipeline as 'memguard experiment', on Location.

Options:
${pipelineHelp(`${PAPER_CONFIG.epsilons.join(',')}; with --quick: ${QUICK_CONFIG.epsilons.join(',')}`, PAPER_CONFIG.seed)}
  --quick                a smoke run in seconds: fewer rows, epochs and epsilons, smaller models
                         (one thread unless --threads is given)
  -h, --help             this help

${PIPELINE_OUTPUTS}

Prints the verdict (the strongest attacks against the label-only floor), the attack-accuracy
tables, the files written, the wall time and the time of each stage. Progress goes to stderr.

Examples:
  memguard demo --quick --out /tmp/memguard-demo
  memguard demo --repeats 3 --out memguard-out
`;

const OPTIONS = { ...PIPELINE_OPTIONS, quick: { type: 'boolean' } } as const;

export const demo: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const config: ExperimentConfig = { ...(v.quick ? QUICK_CONFIG : PAPER_CONFIG) };
    // A quick run is over before worker threads have loaded their engines: one thread unless asked.
    const settings = pipelineSettings(NAME, v, config, v.quick ? 1 : undefined);
    return runPipeline(ctx, { ...settings, config, dataset: loadLocation(), label: v.quick ? 'quick config' : 'paper config' });
  },
};
