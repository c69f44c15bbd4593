// `npm run loadtest`: `memguard serve` (the built CLI, its own process, 2 worker threads) under
// closed-loop load on the loopback interface: concurrency 1, 8 and 64 with 1-row and 32-row
// requests; throughput, p50/p99/max latency and the batch-size histogram (from /metrics), next to
// the batched API's rows/s (protectParallel on 2 workers) from the same run. Then the timing
// channel (design §7): the AUC of response time as a membership score on the 2,000 Location
// evaluation vectors, without and with the fixed deadline. Bounded in requests and time per
// scenario; stops by itself. `--quick`: tiny budgets (a smoke run; the numbers mean nothing).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auc } from '../src/attacks/metrics.js';
import { MemGuard } from '../src/memguard/memguard.js';
import { serializeModel } from '../src/nn/modelFile.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { Random } from '../src/random.js';
import { protectParallel } from '../src/parallel/protect.js';
import { setup } from './defense.bench.js';
import { machine, printTable } from './util.js';
import { startServeProcess, type ServeProcess } from '../scripts/serve-process.js';

const quick = process.argv.includes('--quick');
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const K = 30, THREADS = 2, MAX_BATCH = 64, MAX_WAIT_MS = 2;
const KEY_HEX = '5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e';
const BUDGET = quick ? { requests: 40, seconds: 2 } : { requests: 3000, seconds: 12 };

type Server = ServeProcess;

function startServer(defensePath: string, extra: string[]): Promise<Server> {
  return startServeProcess([join(ROOT, 'dist/cli/main.js'), 'serve', '--defense', defensePath, '--epsilon', '0.5', '--port', '0',
    '--threads', String(THREADS), '--max-batch', String(MAX_BATCH), '--max-wait-ms', String(MAX_WAIT_MS), '--queue', '100000', ...extra],
  { cwd: ROOT, env: { ...process.env, MEMGUARD_KEY: KEY_HEX }, stdout: 'inherit' });
}

async function stop(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  const code = await server.exit;
  if (code !== 0) throw new Error(`server exit code ${code} after SIGTERM`);
}

function httpCall(agent: Agent, url: string, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Bucket counts of memguard_batch_rows (cumulative, by upper bound), from /metrics. */
async function batchBuckets(agent: Agent, url: string): Promise<Map<string, number>> {
  const text = (await httpCall(agent, url, 'GET', '/metrics')).text;
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^memguard_batch_rows_bucket\{le="([^"]+)"\} (\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  const sum = /^memguard_batch_rows_sum (\S+)$/m.exec(text), count = /^memguard_batch_rows_count (\S+)$/m.exec(text);
  out.set('sum', Number(sum?.[1] ?? 0));
  out.set('count', Number(count?.[1] ?? 0));
  return out;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Closed-loop load: `concurrency` clients each sending `rowsPerRequest`-row requests until the budget ends. */
async function scenario(url: string, bodies: string[], concurrency: number, rowsPerRequest: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const before = await batchBuckets(agent, url);
  const latencies: number[] = [];
  let errors = 0, sent = 0, next = 0;
  const t0 = performance.now(), deadline = t0 + BUDGET.seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < BUDGET.requests && performance.now() < deadline) {
      sent++;
      const body = bodies[next++ % bodies.length]!;
      const s = performance.now();
      const r = await httpCall(agent, url, 'POST', '/v1/protect', body).catch(() => ({ status: 0, text: '' }));
      latencies.push(performance.now() - s);
      if (r.status !== 200) errors++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const after = await batchBuckets(agent, url);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const batches = after.get('count')! - before.get('count')!;
  const hist = [...after.keys()].filter((k) => k !== 'sum' && k !== 'count')
    .map((le, i, all) => {
      const cum = after.get(le)! - before.get(le)!;
      const prev = i === 0 ? 0 : after.get(all[i - 1]!)! - before.get(all[i - 1]!)!;
      return [le, cum - prev] as const;
    }).filter(([, n]) => n > 0).map(([le, n]) => `<=${le}: ${n}`).join(', ');
  return {
    concurrency, rowsPerRequest, requests: latencies.length, errors, seconds,
    rowsPerSecond: (latencies.length * rowsPerRequest) / seconds,
    p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1)!,
    meanBatch: batches > 0 ? (after.get('sum')! - before.get('sum')!) / batches : 0, hist,
  };
}

/** Response time of each of `rows` sent alone (`concurrency` clients, shuffled order). */
async function timings(url: string, rows: Float32Array, count: number, concurrency: number): Promise<Float64Array> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const order = new Random(12345).shuffle(Int32Array.from({ length: count }, (_, i) => i));
  const times = new Float64Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = order[next++]!;
      const body = JSON.stringify({ scores: [Array.from(rows.subarray(i * K, (i + 1) * K))] });
      const t0 = performance.now();
      const r = await httpCall(agent, url, 'POST', '/v1/protect', body);
      times[i] = performance.now() - t0;
      if (r.status !== 200) throw new Error(`timing run: status ${r.status}`);
    }
  }));
  agent.destroy();
  return times;
}

async function main(): Promise<void> {
  console.log(`memguard serve load test (${quick ? 'quick smoke run' : 'full'}); ${machine()}; ${new Date().toISOString()}`);
  const { scores, rows, defense, notes } = setup(quick);
  console.log(notes);
  const dir = mkdtempSync(join(tmpdir(), 'memguard-loadtest-'));
  const defensePath = join(dir, 'g.json');
  writeFileSync(defensePath, serializeModel(defense));
  try {
    // The batched API on the same rows and threads, measured right before each scenario (while the
    // server idles): the reference for the server's rows/s on a machine whose load keeps changing.
    const guard = new MemGuard({ defenseClassifier: defense, epsilon: 0.5, coin: { mode: 'key', key: Uint8Array.from(Buffer.from(KEY_HEX, 'hex')) } });
    const pool = new WorkerPool({ size: THREADS, build: defense.engine.simd ? 'simd' : 'scalar' });
    const params = defense.parameters();
    const refRows = quick ? 64 : 512;
    let refAt = 0;
    const reference = async () => {
      const part = new Float32Array(refRows * K);
      for (let i = 0; i < refRows; i++, refAt = (refAt + 1) % rows) part.set(scores.subarray(refAt * K, (refAt + 1) * K), i * K);
      let t0 = performance.now();
      await protectParallel(guard, part, { pool });
      const rate = refRows / ((performance.now() - t0) / 1000);
      // One full batch's compute (max-batch rows on one worker), for the p99 aim.
      const job = guard.searchJob(part.subarray(0, MAX_BATCH * K));
      t0 = performance.now();
      await pool.phase1({ defenseClassifier: params, scores: job.scores.slice(), rows: MAX_BATCH, options: job.options, batchSize: job.batchSize });
      return { rate, batchMs: performance.now() - t0 };
    };
    await reference(); // warm-up

    // The default search without a deadline (--timing off), as measured before issue 17; the timing
    // designs (fixed work, the default since) are compared in bench/serve-timing.ts.
    const server = await startServer(defensePath, ['--timing', 'off']);
    const results = [];
    try {
      for (const rowsPerRequest of [1, 32]) {
        const bodies: string[] = [];
        for (let start = 0; start + rowsPerRequest <= rows; start += rowsPerRequest) {
          const part = Array.from({ length: rowsPerRequest }, (_, i) => Array.from(scores.subarray((start + i) * K, (start + i + 1) * K)));
          bodies.push(JSON.stringify({ scores: part }));
        }
        for (const concurrency of [1, 8, 64]) {
          const ref = await reference();
          results.push({ ...(await scenario(server.url, bodies, concurrency, rowsPerRequest)), ref });
        }
      }
    } finally {
      await stop(server);
      await pool.close();
    }
    console.log(`\nServer: ${THREADS} worker threads, --max-batch ${MAX_BATCH}, --max-wait-ms ${MAX_WAIT_MS}, --timing off. ` +
      `Batched API: protectParallel on ${refRows} rows with ${THREADS} workers, measured just before each scenario, ` +
      `as is one ${MAX_BATCH}-row Phase I batch on one worker (p99 aim = max-wait + that).\n`);
    printTable(['concurrency', 'rows/request', 'requests', 'errors', 'rows/s', 'batched API rows/s', 'vs batched API', 'p50 ms', 'p99 ms', 'max ms',
      'p99 aim ms', 'mean batch', 'batch sizes'],
    results.map((r) => [String(r.concurrency), String(r.rowsPerRequest), String(r.requests), String(r.errors), r.rowsPerSecond.toFixed(1),
      r.ref.rate.toFixed(1), `${((100 * r.rowsPerSecond) / r.ref.rate).toFixed(0)} %`, r.p50.toFixed(1), r.p99.toFixed(1), r.max.toFixed(1),
      (MAX_WAIT_MS + r.ref.batchMs).toFixed(1), r.meanBatch.toFixed(1), r.hist]), 2);

    // The timing channel on the 2,000 evaluation vectors (members first, then non-members).
    const count = quick ? 100 : rows;
    const member = Uint8Array.from({ length: count }, (_, i) => (i < count / 2 ? 1 : 0));
    const evalRows = quick ? new Float32Array([...scores.subarray(0, 50 * K), ...scores.subarray(scores.length - 50 * K)]) : scores;
    const rowsTimed = [];
    for (const [fixed, concurrency] of [['0', 1], ['0', 64], ['auto', 64]] as const) {
      const s = await startServer(defensePath, fixed === '0' ? ['--timing', 'off'] : ['--timing', 'deadline']);
      try {
        const times = await timings(s.url, evalRows, count, concurrency);
        const sorted = Array.from(times).sort((a, b) => a - b);
        const late = /^memguard_late_responses_total (\S+)$/m.exec((await httpCall(new Agent(), s.url, 'GET', '/metrics')).text)?.[1];
        rowsTimed.push([fixed === '0' ? 'off' : `${s.ready.fixedLatencyMs} ms (calibrated)`, String(concurrency), String(count), auc(times, member).toFixed(3),
          quantile(sorted, 0.5).toFixed(1), quantile(sorted, 0.99).toFixed(1), sorted.at(-1)!.toFixed(1), late ?? '?']);
      } finally {
        await stop(s);
      }
    }
    console.log('\nTiming channel: response time as a membership score (1-row requests, shuffled order)\n');
    printTable(['fixed deadline', 'concurrency', 'queries', 'AUC', 'p50 ms', 'p99 ms', 'max ms', 'late responses'], rowsTimed, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
