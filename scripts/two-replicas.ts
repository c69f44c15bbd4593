// Two `memguard serve` replicas behind Debian's nginx on loopback (issue 17 item 6, design §8
// scale-out): bounded concurrent load through nginx, SIGTERM to one replica mid-load, and the
// checks: every request answered 200 (nginx retried the ones the stopping replica refused or
// dropped, or the replica drained them), every released row byte-identical to MemGuard.protect
// with the shared key whichever replica served it, both replicas served, the stopped one exited 0.
//
//   node --import tsx scripts/two-replicas.ts [--rows 3000] [--concurrency 16] [--max-rows 8]
//
// Prints one JSON report and exits 1 when a check fails. test/deploy/nginx.test.ts runs a short
// version. nginx is installed with apt-get when missing; its config is generated into a temporary
// prefix and it runs in the foreground (`daemon off`), stopped by this script.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatFloat32 } from '../src/data/csv/cells.js';
import { MemGuard } from '../src/memguard/memguard.js';
import { serializeModel } from '../src/nn/modelFile.js';
import { Random } from '../src/random.js';
import { locationFixture } from '../test/fixtures.js';
// @ts-expect-error: a plain .mjs script without declarations
import { ensureDebianPackage } from './debian-packages.mjs';
import { startServeProcess, type ServeProcess } from './serve-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NGINX = '/usr/sbin/nginx';
const KEY_HEX = '5eed0123456789abcdef0123456789abcdef0123456789ab';
const EPSILON = 0.5;

export interface TwoReplicaOptions {
  /** Rows sent in all (split into requests of 1..maxRows rows). */
  rows: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Most rows in one request. */
  maxRows: number;
  /** SIGTERM goes to replica A once this fraction of the requests has been answered. */
  stopAt: number;
  log?: (line: string) => void;
}

export interface TwoReplicaReport {
  requests: number;
  rows: number;
  /** Requests answered 200 (must equal `requests`). */
  answered: number;
  /** Requests that got anything else, with what they got. */
  failures: string[];
  /** Released rows that differ from MemGuard.protect with the shared key. */
  mismatches: number;
  /** Requests served per replica (nginx's $upstream_addr; two addresses = retried). */
  servedBy: Record<string, number>;
  /** Requests nginx sent to more than one replica (retried after an error or a 503). */
  retried: number;
  /** Requests still in flight when replica A got SIGTERM. */
  inFlightAtStop: number;
  stoppedExitCode: number | null;
  seconds: number;
  rowsPerSecond: number;
}

type Replica = ServeProcess & { port: number };

async function startReplica(dir: string, name: string): Promise<Replica> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MEMGUARD_KEY; // the key comes from --key-file only
  delete env.PORT;
  const replica = await startServeProcess(['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve',
    '--defense', join(dir, 'g.json'), '--epsilon', String(EPSILON), '--key-file', join(dir, 'key.hex'),
    '--port', '0', '--threads', '1', '--fixed-latency-ms', '0'], { cwd: ROOT, env, name: `replica ${name}` });
  return { ...replica, port: Number(new URL(replica.url).port) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/**
 * The nginx config: both replicas in one upstream; a request that meets a connection error, a
 * timeout or a 503 (the draining replica's not_ready) goes to the other replica. `non_idempotent`
 * lets nginx retry POSTs: safe here because a protect request has no side effect and both
 * replicas give the same answer.
 */
export function nginxConfig(prefix: string, listen: number, upstreams: number[]): string {
  return `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log notice;
events { worker_connections 1024; }
http {
  log_format upstream '$status $upstream_addr $upstream_status $request_time';
  access_log ${prefix}/access.log upstream;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  client_max_body_size 8m;
  client_body_buffer_size 1m;
  upstream memguard {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://memguard;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 3;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

async function startNginx(prefix: string, listen: number, upstreams: number[]): Promise<{ child: ChildProcess; exit: Promise<number | null> }> {
  ensureDebianPackage(NGINX, ['nginx']);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, 'tmp', d), { recursive: true });
  // Run as root, nginx's worker switches to `nobody`: it must be able to reach the prefix.
  chmodSync(prefix, 0o755);
  writeFileSync(join(prefix, 'nginx.conf'), nginxConfig(prefix, listen, upstreams));
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d; });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port: listen, path: '/healthz', agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (up) return { child, exit };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not come up on 127.0.0.1:${listen}: ${stderr}${readFileSync(join(prefix, 'error.log'), 'utf8').slice(-2000)}`);
}

/** The expected body text of POST /v1/protect for rows (the server writes shortest float32 text). */
function expectedReleased(guard: MemGuard, rows: number[][]): string[] {
  const { released } = guard.protect(rows);
  const k = rows[0]!.length;
  return rows.map((_, r) => `[${Array.from(released.subarray(r * k, (r + 1) * k), formatFloat32).join(',')}]`);
}

export async function runTwoReplicas(options: TwoReplicaOptions): Promise<TwoReplicaReport> {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'memguard-replicas-'));
  const prefix = join(dir, 'nginx');
  mkdirSync(prefix);
  const fixture = locationFixture();
  writeFileSync(join(dir, 'g.json'), serializeModel(fixture.defense));
  writeFileSync(join(dir, 'key.hex'), KEY_HEX + '\n', { mode: 0o600 });
  const children: ChildProcess[] = [];
  try {
    const [a, b] = await Promise.all([startReplica(dir, 'A'), startReplica(dir, 'B')]);
    children.push(a.child, b.child);
    const listen = await freePort();
    const nginx = await startNginx(prefix, listen, [a.port, b.port]);
    children.push(nginx.child);
    log(`replicas on :${a.port} and :${b.port}, nginx on :${listen}`);

    // The workload: Location rows (members and non-members), in requests of 1..maxRows rows.
    const random = new Random(17);
    const pool = [fixture.members, fixture.nonMembers];
    const requests: number[][][] = [];
    for (let sent = 0; sent < options.rows;) {
      const n = Math.min(options.rows - sent, 1 + random.int(options.maxRows));
      requests.push(Array.from({ length: n }, () => {
        const src = pool[random.int(2)]!, r = random.int(src.length / 30);
        return Array.from(src.subarray(r * 30, (r + 1) * 30));
      }));
      sent += n;
    }
    const guard = new MemGuard({ defenseClassifier: fixture.defense, epsilon: EPSILON, coin: { mode: 'key', key: Uint8Array.from(Buffer.from(KEY_HEX, 'hex')) } });
    const want = requests.map((rows) => expectedReleased(guard, rows));

    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    const report: TwoReplicaReport = {
      requests: requests.length, rows: options.rows, answered: 0, failures: [], mismatches: 0, servedBy: {}, retried: 0,
      inFlightAtStop: 0, stoppedExitCode: null, seconds: 0, rowsPerSecond: 0,
    };
    let next = 0, done = 0, inFlight = 0, stopped = false;
    const stopAfter = Math.floor(requests.length * options.stopAt);
    const started = performance.now();
    const one = (i: number) => new Promise<void>((resolve) => {
      const body = JSON.stringify({ scores: requests[i] });
      const req = request({ host: '127.0.0.1', port: listen, path: '/v1/protect', method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          const upstream = String(res.headers['x-upstream'] ?? '?');
          if (upstream.includes(',')) report.retried++;
          const served = upstream.split(',').at(-1)!.trim();
          report.servedBy[served] = (report.servedBy[served] ?? 0) + 1;
          if (res.statusCode !== 200) report.failures.push(`request ${i}: ${res.statusCode} via ${upstream}: ${text.slice(0, 200)}`);
          else {
            report.answered++;
            const start = '{"released":['.length;
            const released = text.slice(start, text.indexOf('],"noisy"'));
            if (released !== want[i]!.join(',')) report.mismatches++;
          }
          resolve();
        });
      });
      req.on('error', (err) => { report.failures.push(`request ${i}: ${err.message}`); resolve(); });
      req.end(body);
    });
    await new Promise<void>((resolveAll) => {
      const pump = () => {
        while (inFlight < options.concurrency && next < requests.length) {
          const i = next++;
          inFlight++;
          void one(i).then(() => {
            inFlight--;
            done++;
            if (!stopped && done >= stopAfter) {
              stopped = true;
              report.inFlightAtStop = inFlight;
              log(`SIGTERM to replica A after ${done} of ${requests.length} requests (${inFlight} in flight)`);
              a.child.kill('SIGTERM');
            }
            if (done === requests.length) resolveAll();
            else pump();
          });
        }
      };
      pump();
    });
    report.seconds = (performance.now() - started) / 1000;
    report.rowsPerSecond = options.rows / report.seconds;
    agent.destroy();
    report.stoppedExitCode = await Promise.race([a.exit, new Promise<null>((r) => setTimeout(() => r(null), 60_000))]);
    return report;
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every check of the report; empty when all hold. */
export function problems(r: TwoReplicaReport): string[] {
  const out: string[] = [];
  if (r.answered !== r.requests) out.push(`${r.requests - r.answered} of ${r.requests} requests not answered 200: ${r.failures.slice(0, 5).join(' | ')}`);
  if (r.mismatches > 0) out.push(`${r.mismatches} answers differ from MemGuard.protect with the shared key`);
  if (Object.keys(r.servedBy).filter((k) => k !== '?').length < 2) out.push(`not both replicas served: ${JSON.stringify(r.servedBy)}`);
  if (r.stoppedExitCode !== 0) out.push(`the stopped replica exited ${r.stoppedExitCode}, not 0`);
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string, fallback: number) => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : fallback; };
  const report = await runTwoReplicas({
    rows: arg('--rows', 3000), concurrency: arg('--concurrency', 16), maxRows: arg('--max-rows', 8), stopAt: arg('--stop-at', 0.4),
    log: (line) => console.error(line),
  });
  const found = problems(report);
  console.log(JSON.stringify({ ...report, failures: report.failures.slice(0, 10), problems: found }, null, 2));
  process.exit(found.length === 0 ? 0 : 1);
}
