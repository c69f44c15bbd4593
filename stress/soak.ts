// npm run soak -- [--queries N] [--batch B] [--workers W] [--samples S] [--max-steps T] [--paper-shape] [--only engine|pool]
//
// Steady-state protect (issue 9 item 3): N distinct queries in batches of B through one engine
// (`MemGuard.protect`), then N through a worker pool (`protectParallel`, W <= 2 workers). Every
// N / S queries it prints the throughput of the last stretch, the WebAssembly memory size and the
// part of it allocated (per worker for the pool), the JS heap and the RSS. At the end: whether the
// WebAssembly memory stayed constant after warm-up, how far the JS heap moved, and how flat the
// throughput was. Exits 1 when the WebAssembly memory grew after warm-up or a heap block leaked.
//
// Queries are synthetic 30-class confidence vectors (softmax of random logits at mixed
// temperatures, Location-like); the defense classifier is random, 30-16-1 by default so that a
// million queries take minutes on a shared machine (the paper's 30-256-128-64-1 with --paper-shape,
// about 30x slower a step); the search is the paper's unless --max-steps T caps each c3 round at T
// steps (a million queries of the full search take an hour on a busy 2-core machine). Memory and
// flatness depend on neither: the same buffers are allocated whatever the steps.
import { MemGuard } from '../src/memguard/memguard.js';
import { Mlp } from '../src/nn/mlp.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { protectParallel } from '../src/parallel/protect.js';
import { Random } from '../src/random.js';

export interface SoakOptions { queries: number; batch: number; workers: number; samples: number; paperShape: boolean; maxSteps?: number; only?: 'engine' | 'pool' }

export interface SoakSample {
  path: 'engine' | 'pool';
  queries: number;
  queriesPerSecond: number;
  /** WebAssembly memory size and bytes allocated in it, per engine (one, or one per worker). */
  wasmBytes: number[];
  wasmInUse: number[];
  /** This thread's JS heap, and (pool) each worker's. */
  jsHeapUsed: number;
  workerHeapUsed: number[];
  rss: number;
}

const K = 30;

/** `rows` distinct Location-like confidence vectors. */
export function soakQueries(rng: Random, rows: number): Float32Array {
  const out = new Float32Array(rows * K);
  const z = new Float64Array(K);
  for (let r = 0; r < rows; r++) {
    const t = [0.3, 1, 3][rng.int(3)]!;
    let max = -Infinity, sum = 0;
    for (let j = 0; j < K; j++) { z[j] = rng.uniform(-4, 4) / t; max = Math.max(max, z[j]!); }
    for (let j = 0; j < K; j++) sum += (z[j] = Math.exp(z[j]! - max));
    for (let j = 0; j < K; j++) out[r * K + j] = z[j]! / sum;
  }
  return out;
}

function defenseClassifier(paperShape: boolean): Mlp {
  const g = Mlp.create(paperShape ? [K, 256, 128, 64, 1] : [K, 16, 1], { head: 'sigmoid', seed: 5 });
  // Spread g(s) so that some rows converge in every round of the search and others fail.
  const layers = g.parameters();
  const last = layers[layers.length - 1]!;
  for (let i = 0; i < last.weight.length; i++) last.weight[i] = last.weight[i]! * 8;
  last.bias[0] = 0.5;
  g.setParameters(layers);
  return g;
}

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 11) & 255);

export async function runSoak(o: SoakOptions, log: (line: string) => void = () => {}): Promise<SoakSample[]> {
  const g = defenseClassifier(o.paperShape);
  const guard = new MemGuard({
    defenseClassifier: g, epsilon: 0.5, coin: { mode: 'key', key: KEY }, batchSize: Math.min(o.batch, 512),
    search: o.maxSteps ? { maxSteps: o.maxSteps } : {},
  });
  const engine = g.engine;
  const every = Math.max(o.batch, Math.ceil(o.queries / o.samples / o.batch) * o.batch);
  const samples: SoakSample[] = [];
  const header = 'path    queries     q/s  wasm MiB (in use)              js heap MiB (workers)   rss MiB';
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const print = (s: SoakSample) => log(`${s.path.padEnd(6)} ${String(s.queries).padStart(9)} ${s.queriesPerSecond.toFixed(0).padStart(7)}  ` +
    `${s.wasmBytes.map((b, i) => `${mib(b)} (${mib(s.wasmInUse[i]!)})`).join(' ').padEnd(30)} ` +
    `${mib(s.jsHeapUsed)}${s.workerHeapUsed.length ? ` (${s.workerHeapUsed.map(mib).join(' ')})` : ''}`.padEnd(24) + ` ${mib(s.rss)}`);
  for (const path of ['engine', 'pool'] as const) {
    if (o.only && o.only !== path) continue;
    const pool = path === 'pool' ? new WorkerPool({ size: o.workers, build: engine.build }) : undefined;
    log(`\n${path === 'engine' ? 'one engine (MemGuard.protect)' : `worker pool (protectParallel, ${o.workers} workers)`}: ${o.queries} queries in batches of ${o.batch}`);
    log(header);
    try {
      const rng = new Random(path === 'engine' ? 1 : 2);
      let done = 0, mark = Date.now(), since = 0;
      while (done < o.queries) {
        const n = Math.min(o.batch, o.queries - done);
        const rows = soakQueries(rng, n);
        const res = pool ? await protectParallel(guard, rows, { pool }) : guard.protect(rows);
        if (res.released.length !== n * K) throw new Error(`soak: ${res.released.length} values released for ${n} rows`);
        done += n;
        since += n;
        if (done % every === 0 || done === o.queries) {
          const now = Date.now();
          const workers = pool ? await pool.memory() : [];
          const mem = process.memoryUsage();
          const s: SoakSample = {
            path, queries: done, queriesPerSecond: since / Math.max(1e-3, (now - mark) / 1000),
            wasmBytes: pool ? workers.map((w) => w.wasmBytes) : [engine.abi.memory.buffer.byteLength],
            wasmInUse: pool ? workers.map((w) => w.wasmInUse) : [engine.heap.bytesInUse],
            jsHeapUsed: mem.heapUsed, workerHeapUsed: workers.map((w) => w.jsHeapUsed), rss: mem.rss,
          };
          samples.push(s);
          print(s);
          mark = Date.now();
          since = 0;
        }
      }
    } finally {
      await pool?.close();
    }
  }
  g.dispose();
  return samples;
}

/** The verdicts over the samples of one path, after the first `warmup` samples. */
export function soakVerdict(samples: SoakSample[], warmup = 2): { wasmGrew: boolean; wasmLeaked: boolean; heapRange: [number, number]; throughput: { min: number; median: number; max: number } } {
  const steady = samples.slice(Math.min(warmup, samples.length - 1));
  const first = steady[0]!;
  const wasmGrew = steady.some((s) => s.wasmBytes.some((b, i) => b !== first.wasmBytes[i]));
  const wasmLeaked = steady.some((s) => s.wasmInUse.some((b, i) => b > first.wasmInUse[i]!));
  const heaps = steady.map((s) => s.jsHeapUsed);
  const qps = steady.map((s) => s.queriesPerSecond).sort((a, b) => a - b);
  return {
    wasmGrew, wasmLeaked, heapRange: [Math.min(...heaps), Math.max(...heaps)],
    throughput: { min: qps[0]!, median: qps[Math.floor(qps.length / 2)]!, max: qps[qps.length - 1]! },
  };
}

function parseArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = { queries: 100000, batch: 256, workers: 2, samples: 20, paperShape: false };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!;
    if (name === '--paper-shape') { o.paperShape = true; continue; }
    if (name === '--only') { const v = argv[++i]; if (v !== 'engine' && v !== 'pool') throw new Error('--only takes engine or pool'); o.only = v; continue; }
    const v = Number(argv[++i]);
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${name} needs a positive integer, got ${argv[i]}`);
    if (name === '--queries') o.queries = v;
    else if (name === '--batch') o.batch = v;
    else if (name === '--workers') o.workers = v;
    else if (name === '--samples') o.samples = v;
    else if (name === '--max-steps') o.maxSteps = v;
    else throw new Error(`unknown argument ${name} (see the header of stress/soak.ts)`);
  }
  if (o.workers > 2) throw new Error('--workers must be at most 2 (shared 2-core machine)');
  return o;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const o = parseArgs(process.argv.slice(2));
  const start = Date.now();
  const samples = await runSoak(o, console.log);
  let ok = true;
  console.log(`\nsoak: ${((Date.now() - start) / 1000).toFixed(0)} s, defense classifier ${o.paperShape ? '30-256-128-64-1' : '30-16-1'}, ` +
    `${o.maxSteps ? `at most ${o.maxSteps} steps a c3 round` : "the paper's search"}`);
  for (const path of ['engine', 'pool'] as const) {
    const mine = samples.filter((s) => s.path === path);
    if (mine.length === 0) continue;
    const v = soakVerdict(mine);
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    console.log(`${path}: WebAssembly memory ${v.wasmGrew ? 'GREW' : 'constant'} after warm-up (${mine.at(-1)!.wasmBytes.map(mib).join(', ')} MiB), ` +
      `allocated blocks ${v.wasmLeaked ? 'LEAKED' : 'steady'}; JS heap ${mib(v.heapRange[0])}-${mib(v.heapRange[1])} MiB; ` +
      `throughput min/median/max ${v.throughput.min.toFixed(0)}/${v.throughput.median.toFixed(0)}/${v.throughput.max.toFixed(0)} q/s`);
    ok &&= !v.wasmGrew && !v.wasmLeaked;
  }
  process.exitCode = ok ? 0 : 1;
}
