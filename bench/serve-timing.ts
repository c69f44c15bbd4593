// The cost and the leak of each timing design of `memguard serve` (design §7, §8.1), measured the way
// a user meets them: `memguard serve` in its own process (2 worker threads, --logits), closed-loop
// 1-row clients in this process over loopback (keep-alive), for each design (fixed-work, the
// default; deadline; off) and for an unprotected echo server (bench/echo-server.ts: same JSON in
// and out, no MemGuard):
//   - p50 / p99 latency and rows/s at concurrency 1, 8 and 64;
//   - the batched API's rows/s in the same mode (protectParallel, 2 workers, 512 rows), timed right
//     before each design's scenarios (the machine is shared: its load moves within minutes);
//   - the AUC of response time as a membership score: every evaluation row (members and
//     non-members) as a 1-row request in a seeded shuffled order, by 2 clients (64 for the deadline
//     design, whose every answer takes D) and by 4 (48) while 16 other clients load the server (the
//     loaders send random rows);
//   - V2 infer against /v1/protect (fixed-work, concurrency 1, alternating): the protocol's overhead.
// Workload: the paper's defense classifier and the 2,000 Location evaluation logits
// (scripts/location-phase1-data.ts; its cache), or with --quick 40 rows of the test fixture and tiny
// budgets (a smoke run: the numbers mean nothing).
//
//   node --import tsx bench/serve-timing.ts [--quick] [--designs fixed-work,deadline,off,echo] [--no-leak]
//                                           [--no-load] [--leak-repeats N] [--serve-args "--max-batch 1 ..."]
//     --no-leak       latency and throughput only (skips the AUC runs and the V2 comparison)
//     --no-load       the AUC runs only (skips latency and throughput)
//     --leak-repeats  each AUC run N times, each in its own shuffled order (the spread shows what is
//                     noise: one run's AUC has a standard error of about 0.013 on 2,000 rows)
//     --serve-args    extra arguments for every 'memguard serve' (to measure a variant)
//     --warm-up-ms    how long the loading clients run before the measured ones start (default 3000)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { auc } from '../src/attacks/metrics.js';
import { startServeProcess, type ServeProcess } from '../scripts/serve-process.js';
import { MemGuard, type Phase1Options } from '../src/memguard/memguard.js';
import { loadModel, serializeModel } from '../src/nn/modelFile.js';
import type { Mlp } from '../src/nn/mlp.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { protectParallel } from '../src/parallel/protect.js';
import { Random } from '../src/random.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const quick = process.argv.includes('--quick');
const arg = (name: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
// The echo runs first whatever the order given: the others' added latency is measured against it.
const DESIGNS = (arg('--designs') ?? 'echo,fixed-work,deadline,off').split(',').sort((a, b) => Number(b === 'echo') - Number(a === 'echo'));
const LEAK_REPEATS = Number(arg('--leak-repeats') ?? 1);
const SERVE_ARGS = (arg('--serve-args') ?? '').split(' ').filter(Boolean);
const NO_LOAD = process.argv.includes('--no-load');
const WARM_UP_MS = Number(arg('--warm-up-ms') ?? 3000);
const K = 30, THREADS = 2;
const KEY_HEX = '5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e';
const BUDGET = quick ? { requests: 16, seconds: 1 } : { requests: 4000, seconds: 10 };
const CONCURRENCY = [1, 8, 64];

interface Workload { defense: Mlp; logits: Float32Array; isMember: Uint8Array; rows: number }

async function workload(): Promise<Workload> {
  if (quick) {
    // 20 members and 20 non-members of the test fixture (its rows 0-99 are members, 100-199 not).
    const f = JSON.parse(gunzipSync(readFileSync(join(ROOT, 'test/fixtures/location-phase1.json.gz'))).toString('utf8')) as
      { logits: number[][]; isMember: number[]; defense: unknown };
    const picked = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => 100 + i)];
    return {
      defense: loadModel(JSON.stringify(f.defense)), logits: Float32Array.from(picked.flatMap((r) => f.logits[r]!)),
      isMember: Uint8Array.from(picked, (r) => f.isMember[r]!), rows: picked.length,
    };
  }
  const { phase1Workload } = await import('../scripts/location-phase1-data.js');
  const w = await phase1Workload((m) => console.error(m));
  return { defense: w.defense, logits: w.logits, isMember: w.isMember, rows: w.isMember.length };
}

type Proc = ServeProcess;

function startProcess(args: string[]): Promise<Proc> {
  return startServeProcess(['--import', 'tsx', ...args],
    { cwd: ROOT, env: { ...process.env, MEMGUARD_KEY: KEY_HEX }, stdout: 'inherit', name: args.join(' '), tolerant: true });
}

function post(agent: Agent, url: string, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rowText = (logits: Float32Array, r: number) => `[${Array.from(logits.subarray(r * K, (r + 1) * K)).join(',')}]`;
const protectBody = (logits: Float32Array, r: number) => `{"logits":[${rowText(logits, r)}]}`;
const v2Body = (logits: Float32Array, r: number) => `{"inputs":[{"name":"logits","shape":[1,${K}],"datatype":"FP32","data":${rowText(logits, r)}}]}`;

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Closed-loop 1-row clients: latencies and rows/s. */
async function load(url: string, w: Workload, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const rng = new Random(concurrency);
  const times: number[] = [];
  let sent = 0;
  const start = performance.now(), stopAt = start + BUDGET.seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < BUDGET.requests && performance.now() < stopAt) {
      sent++;
      const body = protectBody(w.logits, rng.int(w.rows));
      const t0 = performance.now();
      await post(agent, url, '/v1/protect', body);
      times.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(times).sort();
  return { requests: times.length, rowsPerSecond: times.length / seconds, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** AUC of response time as a membership score, with `loaders` extra clients sending random rows meanwhile. */
async function leak(url: string, w: Workload, measured: number, loaders: number, orderSeed = 11) {
  const agent = new Agent({ keepAlive: true, maxSockets: measured + loaders });
  const order = new Random(orderSeed).shuffle(Int32Array.from({ length: w.rows }, (_, i) => i));
  const times = new Float64Array(w.rows);
  let next = 0, done = false;
  const rng = new Random(5);
  const background = Array.from({ length: loaders }, async () => {
    while (!done) await post(agent, url, '/v1/protect', protectBody(w.logits, rng.int(w.rows)));
  });
  // Measure the loaded server in its steady state: its first seconds under load are slower (larger
  // batches meet cold code and a growing WebAssembly memory), a trend that one shuffled order can
  // happen to line up with membership.
  if (loaders > 0) await new Promise((r) => setTimeout(r, WARM_UP_MS));
  await Promise.all(Array.from({ length: measured }, async () => {
    while (next < w.rows) {
      const r = order[next++]!;
      const body = protectBody(w.logits, r);
      const t0 = performance.now();
      await post(agent, url, '/v1/protect', body);
      times[r] = performance.now() - t0;
    }
  }));
  done = true;
  await Promise.all(background);
  agent.destroy();
  let m = 0, n = 0, mc = 0, nc = 0;
  for (let r = 0; r < w.rows; r++) if (w.isMember[r]) { m += times[r]!; mc++; } else { n += times[r]!; nc++; }
  return { auc: auc(times, w.isMember), membersMs: m / mc, nonMembersMs: n / nc };
}

/** V2 infer against /v1/protect, alternating 1-row requests (concurrency 1): p50 of each. */
async function protocolOverhead(url: string, w: Workload) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const v1: number[] = [], v2: number[] = [];
  const count = quick ? 10 : 400;
  for (let i = 0; i < count; i++) {
    const r = i % w.rows;
    const useV2 = i % 2 === 1;
    const t0 = performance.now();
    await post(agent, url, useV2 ? '/v2/models/memguard/infer' : '/v1/protect', useV2 ? v2Body(w.logits, r) : protectBody(w.logits, r));
    (useV2 ? v2 : v1).push(performance.now() - t0);
  }
  agent.destroy();
  const p50 = (x: number[]) => quantile(Float64Array.from(x).sort(), 0.5);
  return { v1p50: p50(v1), v2p50: p50(v2) };
}

/** The batched API's rows/s in a design's search (protectParallel, 2 workers, 512 rows). */
async function batched(w: Workload, search: Phase1Options): Promise<number> {
  const guard = new MemGuard({ defenseClassifier: w.defense, epsilon: 0.5, coin: { mode: 'key', key: Buffer.from(KEY_HEX, 'hex') }, search });
  const pool = new WorkerPool({ size: THREADS, build: w.defense.engine.simd ? 'simd' : 'scalar' });
  try {
    const n = Math.min(512, w.rows);
    const part = w.logits.slice(0, n * K);
    await protectParallel(guard, w.logits.slice(0, 2 * K), { pool, input: 'logits' }); // workers loaded
    const t0 = performance.now();
    await protectParallel(guard, part, { pool, input: 'logits' });
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await pool.close();
  }
}

async function loadAverage(): Promise<string> {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function main(): Promise<void> {
  const w = await workload();
  const dir = mkdtempSync(join(tmpdir(), 'memguard-serve-timing-'));
  const gPath = join(dir, 'g.json');
  writeFileSync(gPath, serializeModel(w.defense));
  console.log(`# serve timing designs: ${new Date().toISOString()}, node ${process.version}, load average ${await loadAverage()}, ${w.rows} rows${quick ? ' (--quick)' : ''}`);
  const perf: string[] = [], leaks: string[] = [];
  let echoP50 = NaN;
  try {
    for (const design of DESIGNS) {
      const search: Phase1Options = design === 'fixed-work' ? { fixedWork: true } : {};
      const reference = design === 'echo' || NO_LOAD ? NaN : await batched(w, search);
      const proc = design === 'echo'
        ? await startProcess(['bench/echo-server.ts'])
        : await startProcess(['src/cli/main.ts', 'serve', '--defense', gPath, '--epsilon', '0.5', '--logits', '--port', '0', '--threads', String(THREADS),
          '--queue', '100000', '--timing', design, ...SERVE_ARGS]);
      try {
        for (const c of NO_LOAD ? [] : CONCURRENCY) {
          const r = await load(proc.url, w, c);
          if (design === 'echo' && c === 1) echoP50 = r.p50;
          const vs = Number.isNaN(reference) ? '-' : `${Math.round((100 * r.rowsPerSecond) / reference)} %`;
          const added = design !== 'echo' && c === 1 ? (r.p50 - echoP50).toFixed(1) : '-';
          perf.push(`| ${design} | ${c} | ${r.requests} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${added} | ${r.rowsPerSecond.toFixed(1)} | ${Number.isNaN(reference) ? '-' : reference.toFixed(1)} | ${vs} |`);
          console.error(perf.at(-1));
        }
        if (design !== 'echo' && !process.argv.includes('--no-leak')) {
          // The deadline holds every answer for D (hundreds of ms): 64 measured clients, or it takes hours.
          const [measured, underLoad] = design === 'deadline' ? [64, 48] : [2, 4];
          for (let i = 0; i < LEAK_REPEATS; i++) {
            const alone = await leak(proc.url, w, measured, 0, 11 + i);
            const loaded = await leak(proc.url, w, underLoad, 16, 11 + i);
            const order = LEAK_REPEATS > 1 ? ` (order ${i + 1})` : '';
            for (const [name, l] of [[`${measured} measured clients${order}`, alone], [`${underLoad} measured + 16 loading clients${order}`, loaded]] as const) {
              leaks.push(`| ${design} | ${name} | ${w.rows} | ${l.auc.toFixed(3)} | ${l.membersMs.toFixed(1)} | ${l.nonMembersMs.toFixed(1)} |`);
              console.error(leaks.at(-1));
            }
          }
          if (design === 'fixed-work') {
            const o = await protocolOverhead(proc.url, w);
            leaks.push(`| fixed-work: V2 infer vs /v1/protect (p50, concurrency 1, alternating) | | | | ${o.v2p50.toFixed(2)} (V2) | ${o.v1p50.toFixed(2)} (/v1/protect) |`);
          }
        }
      } finally {
        proc.child.kill('SIGTERM');
        await proc.exit;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n| design | concurrency | requests | p50 ms | p99 ms | p50 added over echo (ms) | rows/s | batched API rows/s (same search) | vs batched |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const line of perf) console.log(line);
  console.log('\n| design | clients | queries | latency AUC | ms members | ms non-members |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const line of leaks) console.log(line);
  console.log(`\nload average at the end: ${await loadAverage()}`);
}

await main();
