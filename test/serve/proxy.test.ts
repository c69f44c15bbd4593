// Proxy (transformer) mode end to end against a real model server on loopback: a small Python V2/V1
// server (test/serve/python/model_server.py, standard library only) whose confidence output memguard
// replaces with the released vectors, keeping the rest of its answer; upstream errors and timeouts
// as clear 4xx/502/504 (nothing hangs); KServe's transformer arguments, PORT and the cgroup CPU
// quota through the CLI.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuQuota, defaultThreads } from '../../src/serve/cpuQuota.js';
import { call, expected, KEY_HEX, startServer, workDir, type Reply } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K = 30, D = 8;

interface Upstream { child: ChildProcess; url: string }

/** Starts the Python model server; resolves with its URL once it listens. */
function startUpstream(): Promise<Upstream> {
  const child = spawn('python3', [join(ROOT, 'test/serve/python/model_server.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, url: `http://127.0.0.1:${d.toString().trim()}` }));
    child.once('exit', (code) => reject(new Error(`model_server.py exited with ${code}`)));
  });
}

const postJson = (url: string, path: string, body: unknown) => call(url, 'POST', path, JSON.stringify(body), { 'content-type': 'application/json' });

function json(r: Reply): any {
  try {
    return JSON.parse(r.text);
  } catch {
    assert.unreachable(`not JSON (status ${r.status}): ${r.text.slice(0, 200)}`);
  }
}

const features = (n: number, seed = 0) => Array.from({ length: n }, (_, r) => Array.from({ length: D }, (_, i) => Math.sin(seed + r * 7 + i * 3) * 2));

/** The released values must be MemGuard.protect's on the rows the model server itself answers. */
function assertReleased(got: number[], upstreamRows: number[][], ids: string[] | undefined, what: string): void {
  const want = expected(upstreamRows.map((r) => r.map(Math.fround)), ids).released;
  assert.is(got.length, want.length, what);
  got.forEach((x, i) => { if (!Object.is(Math.fround(x), want[i])) assert.unreachable(`${what}: value ${i}: ${x} vs ${want[i]}`); });
}

const t = suite('serve: proxy mode');

t('V2 and V1 through memguard: only the confidence output replaced; upstream errors and timeouts', async () => {
  const up = await startUpstream();
  const { server, url } = await startServer({ upstream: up.url, modelName: 'tiny', upstreamTimeoutMs: 1500, threads: 2, maxWaitMs: 5 });
  const labelsOnly = await startServer({ upstream: up.url, modelName: 'tiny', outputName: 'label' });
  try {
    const x = features(5), ids = x.map((_, i) => `id-${i}`);
    const request = { id: 'req-7', parameters: { ids }, inputs: [{ name: 'features', shape: [5, D], datatype: 'FP32', data: x.flat() }] };
    const direct = json(await postJson(up.url, '/v2/models/tiny/infer', request));
    const viaGuard = await postJson(url, '/v2/models/tiny/infer', request);
    assert.is(viaGuard.status, 200, viaGuard.text);
    const answer = json(viaGuard);
    // Everything but the confidence output's data is the model server's answer, unchanged.
    const strip = (a: any) => ({ ...a, outputs: a.outputs.map((o: any) => (o.name === 'probabilities' ? { ...o, data: null } : o)) });
    assert.equal(strip(answer), strip(direct));
    const upstreamRows = Array.from({ length: 5 }, (_, r) => direct.outputs[1].data.slice(r * K, (r + 1) * K));
    assertReleased(answer.outputs[1].data, upstreamRows, ids, 'V2');
    assert.not.equal(answer.outputs[1].data, direct.outputs[1].data, 'the output was replaced (epsilon 0.5 moves some rows)');
    // FP64 output: kept FP64, values the exact float32 results.
    const fp64 = json(await postJson(url, '/v2/models/tiny/infer', { ...request, parameters: { ids, output_datatype: 'FP64' } }));
    assert.is(fp64.outputs[1].datatype, 'FP64');
    assertReleased(fp64.outputs[1].data, upstreamRows, ids, 'V2 FP64');
    // Model metadata comes from the model server.
    assert.is(json(await call(url, 'GET', '/v2/models/tiny')).platform, 'python-stdlib');

    // V1: predictions as rows; as objects with --output-name; class labels refused.
    const v1direct = json(await postJson(up.url, '/v1/models/tiny:predict', { instances: x }));
    const v1 = await postJson(url, '/v1/models/tiny:predict', { instances: x });
    assert.is(v1.status, 200, v1.text);
    assertReleased(json(v1).predictions.flat(), v1direct.predictions, undefined, 'V1');
    const objects = await startServer({ upstream: up.url, modelName: 'tiny', outputName: 'probabilities' });
    try {
      const o = json(await postJson(objects.url, '/v1/models/tiny:predict', { instances: x, mode: 'objects' }));
      assert.equal(o.predictions.map((p: any) => p.label), v1direct.predictions.map((p: number[]) => p.indexOf(Math.max(...p))));
      assertReleased(o.predictions.flatMap((p: any) => p.probabilities), v1direct.predictions, undefined, 'V1 objects');
    } finally {
      await objects.server.drain();
    }
    const labels = await postJson(url, '/v1/models/tiny:predict', { instances: x, mode: 'labels' });
    assert.is(labels.status, 502);
    assert.match(json(labels).error, /prediction 0 of the model server is \d+ \(a class label\?\)/);
    const named = await postJson(labelsOnly.url, '/v2/models/tiny/infer', request);
    assert.is(named.status, 502);
    assert.match(json(named).error, /output "label" has datatype "INT64" \(integer class labels\?\)/);

    // Upstream errors: its 4xx back as it came, a 5xx as a 502, no answer in time a 504, no server a 502.
    const bad = await postJson(url, '/v2/models/tiny/infer', { inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });
    assert.is(bad.status, 400);
    assert.equal(json(bad), { error: `expected rows of ${D} features` });
    const failed = await postJson(url, '/v2/models/tiny/infer', { inputs: [{ name: 'fail', shape: [1, D], datatype: 'FP32', data: x[0] }] });
    assert.is(failed.status, 502);
    assert.match(json(failed).error, /answered 500: .*the model crashed/);
    const t0 = performance.now();
    const slow = await postJson(url, '/v2/models/tiny/infer', { inputs: [{ name: 'slow', shape: [1, D], datatype: 'FP32', data: x[0] }] });
    assert.is(slow.status, 504);
    assert.match(json(slow).error, /did not answer within 1500 ms/);
    assert.ok(performance.now() - t0 < 4000, 'the 504 comes at the timeout, not when the model server wakes up');
    up.child.kill('SIGKILL');
    await new Promise((r) => up.child.once('exit', r));
    const down = await postJson(url, '/v2/models/tiny/infer', request);
    assert.is(down.status, 502);
    assert.match(json(down).error, /cannot reach the model server .*ECONNREFUSED/);
    // memguard itself stays live and ready.
    assert.is((await call(url, 'GET', '/v2/health/ready')).status, 200);
  } finally {
    up.child.kill('SIGKILL');
    await server.drain();
    await labelsOnly.server.drain();
  }
});

t('the CPU quota from cgroup v2 cpu.max, cgroup v1, or none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memguard-cgroup-'));
  const files = { cpuMax: join(dir, 'cpu.max'), cfsQuota: join(dir, 'cfs_quota_us'), cfsPeriod: join(dir, 'cfs_period_us') };
  assert.is(cpuQuota(files), undefined, 'no files: no quota');
  assert.is(defaultThreads(files, 8), 8);
  writeFileSync(files.cfsQuota, '300000\n');
  writeFileSync(files.cfsPeriod, '100000\n');
  assert.is(cpuQuota(files), 3, 'cgroup v1');
  writeFileSync(files.cfsQuota, '-1\n');
  assert.is(cpuQuota(files), undefined, 'cgroup v1 without a limit');
  writeFileSync(files.cpuMax, '250000 100000\n');
  assert.is(cpuQuota(files), 2.5, 'cgroup v2 wins over v1');
  assert.is(defaultThreads(files, 8), 2, '2.5 CPUs: 2 threads');
  assert.is(defaultThreads(files, 1), 1, 'never more than the cores');
  writeFileSync(files.cpuMax, '50000 100000\n');
  assert.is(defaultThreads(files, 8), 1, 'half a CPU: still one thread');
  writeFileSync(files.cpuMax, 'max 100000\n');
  assert.is(cpuQuota(files), undefined, 'cgroup v2 without a limit');
});

t('the CLI as KServe starts a transformer: --predictor_host, --model_name, --http_port, --protocol; PORT; cgroup-sized workers', async () => {
  const up = await startUpstream();
  const cgroup = mkdtempSync(join(tmpdir(), 'memguard-cgroup-'));
  mkdirSync(join(cgroup, 'cpu'));
  writeFileSync(join(cgroup, 'cpu.max'), '100000 100000\n');
  const host = up.url.replace('http://', '');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--defense', join(workDir(), 'g.json'), '--epsilon', '0.5',
    '--model_name', 'tiny', '--predictor_host', host, '--http_port', '0', '--protocol', 'v2', '--grpc_port', '8081', '--host', '127.0.0.1'],
  { cwd: ROOT, env: { ...process.env, MEMGUARD_KEY: KEY_HEX, MEMGUARD_CGROUP_ROOT: cgroup }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const ready = await new Promise<any>((resolve, reject) => {
      let buf = '';
      child.stderr!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let nl; (nl = buf.indexOf('\n')) >= 0; buf = buf.slice(nl + 1)) {
          const e = JSON.parse(buf.slice(0, nl));
          if (e.event === 'ready') resolve(e);
        }
      });
      void exit.then((code) => reject(new Error(`exited ${code}: ${buf}`)));
    });
    assert.is(ready.threads, 1, 'one worker thread for a 1-CPU quota');
    assert.is(ready.upstream, up.url);
    assert.is(ready.modelName, 'tiny');
    const x = features(3, 5);
    const r = await postJson(ready.url, '/v2/models/tiny/infer', { inputs: [{ name: 'features', shape: [3, D], datatype: 'FP32', data: x.flat() }] });
    assert.is(r.status, 200, r.text);
    const direct = json(await postJson(up.url, '/v2/models/tiny/infer', { inputs: [{ name: 'features', shape: [3, D], datatype: 'FP32', data: x.flat() }] }));
    assertReleased(json(r).outputs[1].data, Array.from({ length: 3 }, (_, i) => direct.outputs[1].data.slice(i * K, (i + 1) * K)), undefined, 'CLI');
    const v1 = await postJson(ready.url, '/v1/models/tiny:predict', { instances: x });
    assert.is(v1.status, 400, 'the predictor speaks v2 (--protocol v2)');
    assert.match(json(v1).error, /--protocol v2/);
    child.kill('SIGTERM');
    assert.is(await exit, 0);
  } finally {
    child.kill('SIGKILL');
    up.child.kill('SIGKILL');
  }
  // PORT from the environment (KServe and Cloud Run set it) when no --port / --http_port is given.
  const probe = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--defense', join(workDir(), 'g.json'), '--epsilon', '0.5', '--threads', '1'],
    { cwd: ROOT, env: { ...process.env, MEMGUARD_KEY: KEY_HEX, PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const probeExit = new Promise<number | null>((resolve) => probe.on('exit', resolve));
  try {
    const listening = await new Promise<any>((resolve, reject) => {
      let buf = '';
      probe.stderr!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let nl; (nl = buf.indexOf('\n')) >= 0; buf = buf.slice(nl + 1)) {
          const e = JSON.parse(buf.slice(0, nl));
          if (e.event === 'listening') resolve(e);
        }
      });
      void probeExit.then((code) => reject(new Error(`exited ${code}: ${buf}`)));
    });
    assert.not.match(listening.url, /:8642$/, 'PORT=0 picked a free port instead of the default');
    // Live at once; ready (and /healthz) only once the engine is loaded.
    assert.is((await call(listening.url, 'GET', '/v2/health/live')).status, 200);
  } finally {
    probe.kill('SIGTERM');
    await probeExit;
  }
});

t.run();
