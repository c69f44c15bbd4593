// `memguard demo`: the paper's experiment on the bundled Location data (SPEC §6), end to end, and
// every output written to a folder: results.json, report.html, models/*.json, released/*.csv.
import { resolve } from 'node:path';
import { PAPER_CONFIG, QUICK_CONFIG, runExperiment, type ExperimentConfig } from '../../experiment/run.js';
import { writeExperiment } from '../../experiment/output.js';
import { formatConsoleTable } from '../../report/console.js';
import type { Phase1Method } from '../../memguard/phase1.js';
import { MIXING_MODES, type MixingMode } from '../../memguard/phase2.js';
import {
  formatSeconds, optional, parseChoice, parseFlags, parseIntFlag, parseNumberFlag, parseNumberList, type Command,
} from '../args.js';
import { CliPool, threadCount } from '../parallel.js';
import { Progress } from '../progress.js';

const NAME = 'demo';

const HELP = `Usage: memguard demo [options]

Runs the MemGuard paper's experiment (SPEC §6) on the bundled Location data: trains the target
model, the defense classifier, a shadow model and the NN attack, protects the evaluation set at
every distortion budget epsilon (paper and exact mixing), runs the attack suite (NN attack,
defense-aware NN attack, metric attacks, gap attack) and writes everything to a folder.

Options:
  --out DIR              output folder (default: memguard-out)
  --epsilons LIST        distortion budgets, comma-separated; 'inf' allowed
                         (default: ${PAPER_CONFIG.epsilons.join(',')}; with --quick: ${QUICK_CONFIG.epsilons.join(',')})
  --seed N               seed of every model, shuffle and coin (default: ${PAPER_CONFIG.seed})
  --quick                a smoke run in seconds: fewer rows, epochs and epsilons, smaller models
  --mixing LIST          Phase II rules to evaluate, comma-separated: paper, exact, crossing
                         (default: ${PAPER_CONFIG.mixingModes.join(',')})
  --no-defense-aware     skip the defense-aware attacker (the costliest part)
  --lira N               add offline LiRA with N >= 3 shadow models (each a target-sized training;
                         off by default; 16 in the reference evaluations)
  --method M             Phase I optimizer: logits (the paper's, default) or projected
  --threads N            worker threads for training independent models (default: all cores,
                         1 with --quick; 1 = everything in the main thread)
  --quiet                no progress output
  -h, --help             this help

Writes, under DIR:
  results.json           every number (read back with parseResults)
  report.html            the report: tables, attack accuracy vs epsilon, ROC curves, histograms
  models/*.json          target, shadow, defense classifier and NN attack (model-file format)
  released/*.csv         released vectors of every evaluated set, header member,label,p0..p29

Prints the attack-accuracy table, the files written, the wall time and the time of each stage.
Progress goes to stderr.

Example:
  memguard demo --quick --out /tmp/memguard-demo
`;

const OPTIONS = {
  out: { type: 'string' },
  epsilons: { type: 'string' },
  seed: { type: 'string' },
  quick: { type: 'boolean' },
  mixing: { type: 'string' },
  'no-defense-aware': { type: 'boolean' },
  lira: { type: 'string' },
  method: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

export const demo: Command = {
  name: NAME,
  summary: 'run the paper\'s experiment on the bundled Location data and write the report',
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const base = v.quick ? QUICK_CONFIG : PAPER_CONFIG;
    const config: ExperimentConfig = { ...base };
    const eps = optional(v, 'epsilons');
    if (eps !== undefined) {
      const list = parseNumberList(NAME, 'epsilons', eps, (s) => parseNumberFlag(NAME, 'epsilons', s, { min: 0, allowInfinity: true }));
      config.epsilons = [...new Set(list)];
    }
    const seed = optional(v, 'seed');
    if (seed !== undefined) config.seed = parseIntFlag(NAME, 'seed', seed, 0, 2 ** 31 - 1);
    const mixing = optional(v, 'mixing');
    if (mixing !== undefined) {
      config.mixingModes = [...new Set(mixing.split(',').map((s) => parseChoice<MixingMode>(NAME, 'mixing', s.trim(), MIXING_MODES)))];
    }
    if (v['no-defense-aware']) config.defenseAware = false;
    const lira = optional(v, 'lira');
    if (lira !== undefined) config.lira = parseIntFlag(NAME, 'lira', lira, 3, 1024);
    const method = optional(v, 'method');
    if (method !== undefined) config.method = parseChoice<Phase1Method>(NAME, 'method', method, ['logits', 'projected']);
    // A quick run is over before worker threads have loaded their engines: one thread unless asked.
    const threads = v.quick && optional(v, 'threads') === undefined ? 1 : threadCount(NAME, optional(v, 'threads'));
    const dir = optional(v, 'out') ?? 'memguard-out';

    const progress = new Progress({ quiet: v.quiet === true, stream: ctx.progressStream });
    const pool = new CliPool(threads);
    const start = performance.now();
    let written: string[];
    let timings: Record<string, number>;
    let table: string;
    try {
      const out = await runExperiment({
        config,
        onProgress: (e) => progress.update(e.stage, e.done, e.total),
        fitMany: pool.fitMany(),
      });
      progress.update('write outputs', 0, 1);
      const writeStart = performance.now();
      written = writeExperiment(out, dir);
      timings = { ...out.timings, 'write outputs': (performance.now() - writeStart) / 1000 };
      table = formatConsoleTable(out.results);
      for (const m of Object.values(out.models)) m.dispose();
    } finally {
      progress.finish();
      await pool.close();
    }
    const wall = (performance.now() - start) / 1000;

    ctx.out(table + '\n');
    ctx.out(`wrote ${resolve(dir)}/\n`);
    for (const line of artifactGroups(written)) ctx.out(`  ${line}\n`);
    ctx.out(`\nwall time ${formatSeconds(wall)} (${v.quick ? 'quick' : 'paper'} config, ` +
      `${threads} thread${threads === 1 ? '' : 's'})\n`);
    ctx.out('stage timings:\n');
    const w = Math.max(...Object.keys(timings).map((s) => s.length));
    for (const [stage, s] of Object.entries(timings)) ctx.out(`  ${stage.padEnd(w)}  ${formatSeconds(s).padStart(10)}\n`);
    return 0;
  },
};

/** One line per group of written files: results.json, report.html, models/, released/. */
export function artifactGroups(paths: string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const p of paths) {
    const slash = p.indexOf('/');
    const key = slash < 0 ? p : p.slice(0, slash + 1);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(slash < 0 ? p : p.slice(slash + 1));
  }
  const describe: Record<string, string> = {
    'results.json': 'every number of the run (parseResults)',
    'report.html': 'the report (open in a browser)',
    'models/': 'model files',
    'released/': 'CSV files of released vectors (member,label,p0..)',
  };
  const w = Math.max(...[...groups.keys()].map((k) => k.length));
  return [...groups].map(([key, files]) => {
    const what = describe[key] ?? '';
    if (!key.endsWith('/')) return `${key.padEnd(w)}  ${what}`;
    const list = files.length <= 4 ? `: ${files.map((f) => f.replace(/\.[^.]*$/, '')).join(', ')}` : '';
    return `${key.padEnd(w)}  ${files.length} ${what}${list}`;
  });
}
