// npm run fuzz -- [--vectors N] [--seed S] [--threads T] [--case I] [--files N]
//
// --vectors N  random and adversarial rows through MemGuard.protect (stress/fuzzCases.ts), split
//              over T worker processes (default 2, at most 2 on the shared machine); a worker
//              silent for --hang-seconds (default 300) is killed and counted as a hang.
// --case I     replays one case of the seed in this process and prints its settings and verdict.
// --files N    N mutations each of a model file and of a scores CSV (stress/hostileFiles.ts).
// Exits 1 when anything was violated; prints vectors/s and the counts.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emptyTally, makeCase, mergeTally, runCase, type FuzzTally } from './fuzzCases.js';

interface Args { vectors: number; seed: number; threads: number; case?: number; files: number; hangSeconds: number; worker?: number }

function parseArgs(argv: string[]): Args {
  const a: Args = { vectors: 0, seed: 1, threads: 2, files: 0, hangSeconds: 300 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!, value = Number(argv[i + 1]);
    const set = (key: keyof Args) => {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} needs a non-negative integer, got ${argv[i + 1]}`);
      (a as unknown as Record<string, number>)[key] = value;
      i++;
    };
    if (name === '--vectors') set('vectors');
    else if (name === '--seed') set('seed');
    else if (name === '--threads') set('threads');
    else if (name === '--case') set('case');
    else if (name === '--files') set('files');
    else if (name === '--hang-seconds') set('hangSeconds');
    else if (name === '--worker') set('worker');
    else throw new Error(`unknown argument ${name} (see the header of stress/fuzz.ts)`);
  }
  if (a.threads < 1 || a.threads > 2) throw new Error('--threads must be 1 or 2 (shared 2-core machine)');
  if (a.vectors === 0 && a.files === 0 && a.case === undefined) a.vectors = 20000;
  return a;
}

type Message = { type: 'progress'; tally: FuzzTally; caseIndex: number } | { type: 'done'; tally: FuzzTally };

/** Worker process: cases worker, worker + threads, ... until `vectors / threads` rows are done. */
function worker(args: Args): void {
  const share = Math.ceil(args.vectors / args.threads);
  let pending = emptyTally(), done = 0, last = Date.now();
  for (let index = args.worker!; done < share; index += args.threads) {
    const c = makeCase(args.seed, index);
    runCase(c, pending);
    done += c.rows;
    if (Date.now() - last > 1000) {
      process.send!({ type: 'progress', tally: pending, caseIndex: index } satisfies Message);
      pending = emptyTally();
      last = Date.now();
    }
  }
  process.send!({ type: 'done', tally: pending } satisfies Message, () => process.exit(0));
}

function summary(t: FuzzTally, seconds: number, hangs: number): string {
  const kinds = Object.entries(t.byKind).sort().map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `vectors ${t.vectors} in ${t.cases} cases, ${seconds.toFixed(1)} s, ${(t.vectors / seconds).toFixed(0)} vectors/s`,
    `rows released and checked ${t.checkedRows} (noise released on ${t.noiseReleased}); batches rejected with the expected typed error ${t.rejectedBatches}`,
    `rows by kind: ${kinds}`,
    `largest k ${t.maxK}, largest batch ${t.maxRows} rows (released and checked)`,
    `logit rows whose float32 softmax tied distinct top logits: ${t.softmaxTies}`,
    `violations ${t.violations}, hangs ${hangs}`,
    ...t.examples.map((e) => `  ${e}`),
  ].join('\n');
}

async function vectors(args: Args): Promise<boolean> {
  const total = emptyTally();
  const start = Date.now();
  let hangs = 0;
  const script = fileURLToPath(import.meta.url);
  console.log(`fuzz: ${args.vectors} vectors, seed ${args.seed}, ${args.threads} worker process(es)`);
  const timer = setInterval(() => {
    const s = (Date.now() - start) / 1000;
    console.log(`  ${s.toFixed(0)} s: ${total.vectors} vectors (${(total.vectors / s).toFixed(0)}/s), ${total.violations} violations, heap ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB rss (parent)`);
  }, 30000);
  await Promise.all(Array.from({ length: args.threads }, (_, w) => new Promise<void>((resolve) => {
    const child: ChildProcess = fork(script, [
      '--vectors', String(args.vectors), '--seed', String(args.seed), '--threads', String(args.threads), '--worker', String(w),
    ], { execArgv: ['--import', 'tsx'] });
    let lastCase = w, silent: NodeJS.Timeout;
    const watch = () => {
      clearTimeout(silent);
      silent = setTimeout(() => {
        hangs++;
        total.violations++;
        total.examples.push(`worker ${w} silent for ${args.hangSeconds} s after case ${lastCase} (replay: --seed ${args.seed} --case ${lastCase}..)`);
        child.kill('SIGKILL');
      }, args.hangSeconds * 1000);
    };
    watch();
    child.on('message', (m: Message) => {
      mergeTally(total, m.tally);
      if (m.type === 'progress') lastCase = m.caseIndex;
      watch();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(silent);
      if (code !== 0 && signal !== 'SIGKILL') {
        total.violations++;
        total.examples.push(`worker ${w} died (code ${code}, signal ${signal}) after case ${lastCase}`);
      }
      resolve();
    });
  })));
  clearInterval(timer);
  console.log(summary(total, (Date.now() - start) / 1000, hangs));
  return total.violations === 0;
}

function replay(args: Args): boolean {
  const c = makeCase(args.seed, args.case!);
  const { data: _data, protect, options, ...rest } = c;
  console.log(JSON.stringify({ ...rest, kinds: [...new Set(c.kinds)], options: { ...options, coin: options.coin?.mode }, protect: { ...protect, queryIds: protect.queryIds?.length } }, null, 1));
  const tally = emptyTally();
  const found = runCase(c, tally);
  console.log(found.length ? found.join('\n') : 'no violation');
  return found.length === 0;
}

const args = parseArgs(process.argv.slice(2));
if (args.worker !== undefined) worker(args);
else {
  let ok = true;
  if (args.case !== undefined) ok = replay(args) && ok;
  else if (args.vectors > 0) ok = (await vectors(args)) && ok;
  if (args.files > 0) {
    const { fuzzFiles } = await import('./hostileFiles.js');
    ok = (await fuzzFiles(args.files, args.seed, console.log)) && ok;
  }
  process.exitCode = ok ? 0 : 1;
}
