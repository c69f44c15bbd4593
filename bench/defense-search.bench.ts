// Phase I's early stop (the default search) against the paper-literal search (`search: { literal:
// true }`) on the paper's workload. Runs with the defense suite (`npm run bench -- defense`), or
// alone: `npm run bench -- defense-search`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Task } from 'tinybench';
import { MemGuard, type ProtectResult, type SearchResult } from '../src/memguard/memguard.js';
import { serializeModel } from '../src/nn/modelFile.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { protectAsync } from '../src/parallel/protect.js';
import { phase1Workload } from '../scripts/location-phase1-data.js';
import { EPSILON, K, KEY, mean, meanMs, sameRelease, time } from './defense.bench.js';
import { printTable, ratio, type SuiteOptions } from './util.js';

export const description = "early stop vs the paper-literal Phase I search: 2,000 Location queries, the paper's defense classifier";

/**
 * The early stop (the default search) against the paper-literal search, on the paper's workload:
 * the 2,000 Location evaluation queries (target logits) and the paper's defense classifier
 * (scripts/location-phase1-data.ts, trained on first use and cached). Phase I alone, protectAsync
 * on 1 and 2 threads, single-query latency, and the `memguard protect` CLI end to end.
 */
export async function run({ quick }: SuiteOptions): Promise<void> {
  const w = await phase1Workload((m) => console.log(m));
  const rows = quick ? 100 : 2000;
  const logits = w.logits.subarray(0, rows * K);
  const guards = {
    default: new MemGuard({ defenseClassifier: w.defense, epsilon: EPSILON, coin: { mode: 'key', key: KEY } }),
    literal: new MemGuard({ defenseClassifier: w.defense, epsilon: EPSILON, coin: { mode: 'key', key: KEY }, search: { literal: true } }),
    fast: new MemGuard({ defenseClassifier: w.defense, epsilon: EPSILON, coin: { mode: 'key', key: KEY }, search: { mode: 'fast' } }),
  };
  guards.default.protect(logits.subarray(0, 10 * K), { input: 'logits' }); // warm-up
  const found: Record<string, SearchResult> = {};
  const tasks: Record<string, Task> = {};
  for (const name of ['literal', 'default', 'fast'] as const) {
    tasks[name] = await time(`Phase I ${name}`, () => { found[name] = guards[name].search(logits, 'logits'); }, { once: true });
  }
  const same = Array.from({ length: rows }, (_, r) => r).every((r) => found.default!.status[r] === found.literal!.status[r] &&
    found.default!.c3[r] === found.literal!.c3[r] && found.default!.noise.subarray(r * K, (r + 1) * K).every((v, j) => Object.is(v, found.literal!.noise[r * K + j])));
  const sec = (t: Task) => meanMs(t) / 1000;
  console.log(`Phase I early stop vs the literal search: ${rows} Location evaluation queries (target logits), the paper's defense classifier, one thread\n`);
  const fastSame = Array.from(found.fast!.c3).filter((c, r) => c === found.literal!.c3[r]).length;
  const label = { literal: 'literal (paper loop)', default: 'default (early stop)', fast: "mode 'fast'" };
  printTable(['search', 'steps/query', 'seconds', 'queries/s', 'vs literal', 'status, c3, noise vs literal'], (['literal', 'default', 'fast'] as const).map((name) => [
    label[name], mean(found[name]!.steps).toFixed(1), sec(tasks[name]!).toFixed(2), (rows / sec(tasks[name]!)).toFixed(1), ratio(sec(tasks.literal!), sec(tasks[name]!)),
    name === 'literal' ? 'reference' : name === 'fast' ? `same c3 on ${fastSame}/${rows} (not exact)` : same ? 'identical' : 'DIFFERENT',
  ]), 1);
  console.log('');

  // 1 vs 2 threads through the documented async entry (a pool each, started before timing).
  const want = guards.default.protect(logits, { input: 'logits' });
  const threadRows: string[][] = [];
  let one = NaN;
  for (const size of availableParallelism() > 1 ? [1, 2] : [1]) {
    const pool = new WorkerPool({ size });
    try {
      await protectAsync(guards.default, logits.subarray(0, 300 * K), { pool, input: 'logits' });
      let got: ProtectResult<Float32Array> | undefined;
      const task = await time(`protectAsync ${size}`, async () => { got = await protectAsync(guards.default, logits, { pool, input: 'logits' }); }, { once: true });
      if (size === 1) one = sec(task);
      threadRows.push([String(size), sec(task).toFixed(2), (rows / sec(task)).toFixed(1), ratio(one, sec(task)), sameRelease(got!, want) ? 'identical' : 'DIFFERENT']);
    } finally {
      await pool.close();
    }
  }
  console.log('protectAsync (default search), all rows, 1 and 2 worker threads\n');
  printTable(['workers', 'seconds', 'queries/s', 'vs 1', 'released vs protect'], threadRows, 0);
  console.log('');

  // Single-query latency, both searches.
  const latRows: string[][] = [];
  for (const name of ['literal', 'default'] as const) {
    let next = 0;
    const task = await time(`one row ${name}`, () => {
      const r = next++ % rows;
      guards[name].protect(logits.subarray(r * K, (r + 1) * K), { input: 'logits' });
    }, { budgetMs: quick ? 5 : 4000 });
    const lat = task.result.state === 'completed' ? task.result.latency : undefined;
    latRows.push([name, String(lat?.samplesCount), lat!.p50!.toFixed(2), lat!.p99!.toFixed(2), lat!.mean.toFixed(2)]);
  }
  console.log('Single-query latency: protect with one row (logits), the queries in turn\n');
  printTable(['search', 'samples', 'p50 ms', 'p99 ms', 'mean ms'], latRows, 1);
  console.log('');

  // The CLI end to end: a logits CSV in, released vectors out, all cores (2 threads at most here).
  const dir = mkdtempSync(join(tmpdir(), 'memguard-bench-'));
  try {
    const csv = join(dir, 'logits.csv'), model = join(dir, 'g.json');
    writeFileSync(model, serializeModel(w.defense));
    const header = Array.from({ length: K }, (_, j) => `p${j}`).join(',');
    const lines = Array.from({ length: rows }, (_, r) => Array.from(logits.subarray(r * K, (r + 1) * K)).join(','));
    writeFileSync(csv, `${header}\n${lines.join('\n')}\n`);
    const cli = [builtCli()];
    const cliRows: string[][] = [];
    let literalSec = NaN;
    for (const search of ['literal', 'early-stop', 'fast']) {
      const args = [...cli, 'protect', '--defense', model, '--epsilon', String(EPSILON), '--in', csv, '--out', join(dir, `out-${search}.csv`),
        '--logits', '--threads', '2', '--quiet', '--search', search];
      const env = { ...process.env, MEMGUARD_KEY: Buffer.from(KEY).toString('hex') };
      const task = await time(`cli ${search}`, () => {
        const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`memguard protect failed: ${r.stderr}`);
      }, { once: true });
      if (search === 'literal') literalSec = sec(task);
      cliRows.push([search, sec(task).toFixed(2), ratio(literalSec, sec(task))]);
    }
    const identical = readFileSync(join(dir, 'out-literal.csv'), 'utf8') === readFileSync(join(dir, 'out-early-stop.csv'), 'utf8');
    console.log(`memguard protect end to end (node dist/cli/main.js: process start, CSV in and out, --threads 2): ${rows} rows\n`);
    printTable(['--search', 'seconds', 'vs literal'], cliRows, 1);
    console.log(`\nOutput of early-stop and literal: ${identical ? 'identical' : 'DIFFERENT'} files.`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * dist/cli/main.js, the published `memguard` bin, rebuilt first (`npm run build:ts`; `npm run bench`
 * has just built the wasm) when a source is newer: timing the sources through tsx would add about
 * a second of start-up that users never pay.
 */
function builtCli(): string {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const main = join(root, 'dist', 'cli', 'main.js');
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) =>
    e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs));
  // tsc rewrites every output, so main.js is as old as the last build.
  if (!existsSync(main) || newest(join(root, 'src')) > statSync(main).mtimeMs) {
    console.log('dist/ is older than src/: npm run build:ts\n');
    const r = spawnSync('npm', ['run', 'build:ts'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build:ts failed: the CLI row needs the built package (dist/)');
  }
  return main;
}
