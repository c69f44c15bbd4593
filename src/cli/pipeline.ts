// What `memguard demo` and `memguard experiment` share: the flags of the design §6 pipeline, running it
// (repeated with independent seeds when asked), writing its outputs and printing the summary. The
// demo is this pipeline on the bundled Location data; `experiment` on a user's CSV.
import { resolve } from 'node:path';
import type { Dataset } from '../data/datasets.js';
import type { Splits } from '../data/splits.js';
import { writeExperiment } from '../report/experimentOutput.js';
import { PAPER_CONFIG, runRepeated, type ExperimentConfig } from '../experiment/run.js';
import { MIXING_MODES, type MixingMode } from '../memguard/phase2.js';
import type { Phase1Method } from '../memguard/phase1.js';
import { formatConsoleTable } from '../report/console.js';
import { computeVerdict } from '../experiment/verdict.js';
import {
  formatSeconds, optional, parseChoice, parseIntFlag, parseNumberFlag, parseNumberList, type CliContext,
} from './args.js';
import { CliPool, threadCount } from './parallel.js';
import { Progress } from './progress.js';

/** Flags both commands take (node:util parseArgs form). */
export const PIPELINE_OPTIONS = {
  out: { type: 'string' },
  epsilons: { type: 'string' },
  seed: { type: 'string' },
  repeats: { type: 'string' },
  'attack-seeds': { type: 'string' },
  mixing: { type: 'string' },
  'no-defense-aware': { type: 'boolean' },
  lira: { type: 'string' },
  method: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

/** Help text of the shared flags, for both commands' --help. */
export function pipelineHelp(epsilonsDefault: string, seedDefault: number): string {
  return `  --out DIR              output folder (default: memguard-out)
  --epsilons LIST        distortion budgets, comma-separated; 'inf' allowed (default: ${epsilonsDefault})
  --seed N               base seed of every model, attack and coin (default: ${seedDefault})
  --repeats N            run the whole pipeline N times with independent seeds (seed + 1000 r) and
                         report every number as mean ± the half-width of a 95% Student t interval
                         over the runs (default: 1)
  --attack-seeds N       the NN attacks are trained with N seeds and reported as their mean (default: 3)
  --mixing LIST          Phase II rules to evaluate, comma-separated: ${MIXING_MODES.join(', ')}
                         (default: ${PAPER_CONFIG.mixingModes.join(',')})
  --no-defense-aware     skip the defense-aware attacker (the costliest part)
  --lira N               add offline LiRA with N >= 3 shadow models (each a target-sized training;
                         off by default; 16 in the reference evaluations)
  --method M             Phase I optimizer: logits (the paper's, default) or projected
  --threads N            worker threads for training independent models (default: all cores;
                         1 = everything in the main thread)
  --quiet                no progress output`;
}

export const PIPELINE_OUTPUTS = `Writes, under DIR:
  results.json           every number, and the verdict (read back with parseResults)
  report.html            the report: the verdict first, then tables, attack accuracy vs epsilon,
                         ROC curves, histograms (self-contained: open it offline in any browser)
  models/*.json          target, shadow, defense classifier and NN attack (model-file format; the
                         first run's with --repeats)
  released/*.csv         released vectors of every evaluated set, header member,label,p0..p{k-1}
                         (the first run's with --repeats)`;

/** Applies the shared flags to `config`; returns the run settings. */
export function pipelineSettings(name: string, v: Record<string, string | boolean | undefined>, config: ExperimentConfig, defaultThreads?: number) {
  const eps = optional(v, 'epsilons');
  if (eps !== undefined) {
    const list = parseNumberList(name, 'epsilons', eps, (s) => parseNumberFlag(name, 'epsilons', s, { min: 0, allowInfinity: true }));
    config.epsilons = [...new Set(list)];
  }
  const seed = optional(v, 'seed');
  if (seed !== undefined) config.seed = parseIntFlag(name, 'seed', seed, 0, 2 ** 31 - 1 - 1000 * 100);
  const attackSeeds = optional(v, 'attack-seeds');
  if (attackSeeds !== undefined) config.attackSeeds = parseIntFlag(name, 'attack-seeds', attackSeeds, 1, 10);
  const mixing = optional(v, 'mixing');
  if (mixing !== undefined) {
    config.mixingModes = [...new Set(mixing.split(',').map((s) => parseChoice<MixingMode>(name, 'mixing', s.trim(), MIXING_MODES)))];
  }
  if (v['no-defense-aware']) config.defenseAware = false;
  const lira = optional(v, 'lira');
  if (lira !== undefined) config.lira = parseIntFlag(name, 'lira', lira, 3, 1024);
  const method = optional(v, 'method');
  if (method !== undefined) config.method = parseChoice<Phase1Method>(name, 'method', method, ['logits', 'projected']);
  const repeatsText = optional(v, 'repeats');
  const repeats = repeatsText === undefined ? 1 : parseIntFlag(name, 'repeats', repeatsText, 1, 100);
  const threadsText = optional(v, 'threads');
  const threads = threadsText === undefined && defaultThreads !== undefined ? defaultThreads : threadCount(name, threadsText);
  return { repeats, threads, dir: optional(v, 'out') ?? 'memguard-out', quiet: v.quiet === true };
}

/** Runs the pipeline, writes its outputs and prints the verdict, tables, files and timings. */
export async function runPipeline(ctx: CliContext, run: {
  config: ExperimentConfig; dataset: Dataset; splits?: Splits; repeats: number; threads: number; dir: string; quiet: boolean; label: string;
}): Promise<number> {
  const progress = new Progress({ quiet: run.quiet, stream: ctx.progressStream });
  const pool = new CliPool(run.threads);
  const start = performance.now();
  let written: string[];
  let timings: Record<string, number>;
  let table: string;
  try {
    const out = await runRepeated({
      config: run.config, dataset: run.dataset, splits: run.splits,
      onProgress: (e) => progress.update(e.stage, e.done, e.total),
      fitMany: pool.fitMany(),
    }, run.repeats);
    out.results.verdict = computeVerdict(out.results);
    progress.update('write outputs', 0, 1);
    const writeStart = performance.now();
    written = writeExperiment(out, run.dir);
    timings = { ...out.timings, 'write outputs': (performance.now() - writeStart) / 1000 };
    table = formatConsoleTable(out.results);
    for (const m of Object.values(out.models)) m.dispose();
  } finally {
    progress.finish();
    await pool.close();
  }
  const wall = (performance.now() - start) / 1000;

  ctx.out(table + '\n');
  ctx.out(`wrote ${resolve(run.dir)}/\n`);
  for (const line of artifactGroups(written)) ctx.out(`  ${line}\n`);
  ctx.out(`\nwall time ${formatSeconds(wall)} (${run.label}, ${run.repeats} run${run.repeats === 1 ? '' : 's'}, ` +
    `${run.threads} thread${run.threads === 1 ? '' : 's'})\n`);
  ctx.out(`stage timings${run.repeats > 1 ? ' (summed over the runs)' : ''}:\n`);
  const w = Math.max(...Object.keys(timings).map((s) => s.length));
  for (const [stage, s] of Object.entries(timings)) ctx.out(`  ${stage.padEnd(w)}  ${formatSeconds(s).padStart(10)}\n`);
  return 0;
}

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
    'results.json': 'every number of the run and the verdict (parseResults)',
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
