// `memguard serve` as users run it, in child processes: two replicas with the same key answer
// byte for byte alike and like `memguard protect`; SIGTERM with requests in flight answers them
// all and exits 0; the startup log; --help and the key's rules; with the default timing mode
// (fixed work per row) response time carries no membership signal (AUC 0.5 +- 0.05); --timing
// deadline calibrates its deadline at startup.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auc } from '../../src/attacks/metrics.js';
import { Random } from '../../src/random.js';
import { MemGuardClient } from '../../src/serve/client.js';
import { KEY_HEX, post, sampleRows, workDir, type Reply } from './helpers.js';
import { startServeProcess, type ServeProcess } from '../../scripts/serve-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.MEMGUARD_DEBUG;
  if (!('MEMGUARD_KEY' in extra)) delete env.MEMGUARD_KEY;
  return env;
}

type Replica = ServeProcess;

/** Starts `memguard serve ...args` and resolves once its log says ready. */
function startReplica(args: string[], env: Record<string, string>): Promise<Replica> {
  return startServeProcess([...CLI, 'serve', '--defense', join(workDir(), 'g.json'), '--epsilon', '0.5', '--port', '0', ...args],
    { cwd: ROOT, env: cleanEnv(env), stdout: 'pipe', name: 'memguard serve' });
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { cwd: ROOT, env: cleanEnv(env) }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

const t = suite('serve (processes)');

t('replicas with the same key answer alike and like memguard protect; SIGTERM drains; the log', async () => {
  const dir = workDir();
  const keyFile = join(dir, 'key.hex');
  writeFileSync(keyFile, KEY_HEX + '\n', { mode: 0o600 });
  const rows = sampleRows(24, 100);
  const csv = join(dir, 'rows.csv'), out = join(dir, 'released.csv');
  writeFileSync(csv, `id,${Array.from({ length: 30 }, (_, j) => `p${j}`).join(',')}\n` +
    rows.map((r, i) => `${i},${r.join(',')}`).join('\n') + '\n');
  const [a, b, c, cli, help, argKey] = await Promise.all([
    startReplica(['--threads', '1'], { MEMGUARD_KEY: KEY_HEX }), // the default timing mode: fixed work
    startReplica(['--threads', '1', '--key-file', keyFile, '--fixed-latency-ms', '400', '--max-batch', '4'], {}),
    startReplica(['--threads', '1', '--timing', 'deadline'], { MEMGUARD_KEY: KEY_HEX }), // the deadline from the startup calibration
    run(['protect', '--defense', join(dir, 'g.json'), '--epsilon', '0.5', '--in', csv, '--out', out, '--threads', '1', '--quiet', '--search', 'fixed-work'],
      { MEMGUARD_KEY: KEY_HEX }),
    run(['serve', '--help']),
    run(['serve', '--defense', join(dir, 'g.json'), '--epsilon', '0.5', '--key', KEY_HEX]),
  ]);
  try {
    assert.is(cli.code, 0, cli.stderr);
    assert.is(help.code, 0);
    assert.match(help.stdout, /POST \/v1\/protect/);
    assert.match(help.stdout, /--fixed-latency-ms/);
    assert.is(argKey.code, 2);
    assert.match(argKey.stderr, /never taken from the command line/);
    assert.ok(!argKey.stderr.includes(KEY_HEX), 'the usage error does not echo the key');

    const ready = JSON.parse(a.log.find((l) => l.includes('"event":"ready"'))!);
    assert.is(ready.timing, 'fixed-work');
    assert.is(ready.fixedLatencyFrom, 'off');
    const calibrated = JSON.parse(c.log.find((l) => l.includes('"event":"ready"'))!);
    assert.is(calibrated.timing, 'deadline');
    assert.is(calibrated.fixedLatencyFrom, 'calibration');
    assert.ok(calibrated.fixedLatencyMs > 0 && calibrated.fixedLatencyMs % 10 === 0, `deadline ${calibrated.fixedLatencyMs}`);
    const t0 = performance.now();
    const held = await post(c.url, { scores: rows.slice(0, 2) });
    assert.is(held.status, 200, held.text);
    assert.ok(performance.now() - t0 >= calibrated.fixedLatencyMs - 1, 'the deadline holds the answer');
    c.child.kill('SIGTERM');
    assert.is(await c.exit, 0);
    assert.is(ready.threads, 1);
    assert.ok(['simd', 'scalar'].includes(ready.build));
    assert.is(ready.maxBatch, 64);
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback by default');

    // Scale-out: the same rows to both replicas (in different splits, so in different batches).
    const [fromA, fromB1, fromB2] = await Promise.all([
      post(a.url, { scores: rows }), post(b.url, { scores: rows.slice(0, 10) }), post(b.url, { scores: rows.slice(10) }),
    ]);
    assert.is(fromA.status, 200, fromA.text);
    const releasedOf = (r: Reply) => r.text.slice(r.text.indexOf('[[') + 1, r.text.indexOf(']],') + 1);
    assert.is(`${releasedOf(fromB1)},${releasedOf(fromB2)}`, releasedOf(fromA), 'byte-identical released vectors from both replicas');
    // ... and the very text memguard protect writes into its CSV cells.
    const cells = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((line) => `[${line.split(',').slice(1).join(',')}]`);
    assert.is(releasedOf(fromA), cells.join(','), 'the same text as memguard protect');

    // SIGTERM with requests in flight (B holds every answer 400 ms): all are answered, exit 0.
    const inFlight = Array.from({ length: 6 }, (_, i) => post(b.url, { scores: rows.slice(i * 4, i * 4 + 4) }));
    await new Promise((r) => setTimeout(r, 150));
    b.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    for (const [i, r] of answers.entries()) {
      assert.is(r.status, 200, `request ${i} after SIGTERM: ${r.status} ${r.text}`);
      assert.is(releasedOf(r), cells.slice(i * 4, i * 4 + 4).join(','));
    }
    assert.is(await b.exit, 0, 'exit code after SIGTERM');
    const events = b.log.map((l) => JSON.parse(l).event);
    assert.equal(events.slice(-2), ['draining', 'stopped']);
    assert.is(JSON.parse(b.log.at(-1)!).unanswered, 0);
    // The timing channel (design §7) through A's default timing mode (fixed work): response time as a membership
    // score on Location rows. 500 member and 500 non-member queries (the fixture's 300 + 300 rows,
    // then 200 + 200 again) in a shuffled order, so that drift over time cannot line up with
    // membership; under the null the AUC's standard deviation at this size is 0.018 (0.05 = 2.7 of them).
    const queries: Array<{ row: number[]; member: number }> = [];
    for (let i = 0; i < 500; i++) {
      queries.push({ row: sampleRows(1, 2 * (i % 300))[0]!, member: 1 }, { row: sampleRows(1, 2 * (i % 300) + 1)[0]!, member: 0 });
    }
    const order = new Random(7).shuffle(Int32Array.from(queries, (_, i) => i));
    const times = new Float64Array(queries.length);
    const client = new MemGuardClient({ url: a.url });
    let next = 0;
    await Promise.all(Array.from({ length: 48 }, async () => {
      while (next < queries.length) {
        const q = order[next++]!;
        const t0 = performance.now();
        await client.protect([queries[q]!.row]).catch((e: Error & { cause?: unknown }) => { throw new Error(`${e.message}: ${String(e.cause)}`); });
        times[q] = performance.now() - t0;
      }
    }));
    const timingAuc = auc(times, Uint8Array.from(queries, (q) => q.member));
    assert.ok(Math.abs(timingAuc - 0.5) <= 0.05, `AUC of response time as a membership score: ${timingAuc.toFixed(3)}`);

    a.child.kill('SIGINT');
    assert.is(await a.exit, 0, 'exit code after SIGINT');
    const logs = [...a.log, ...b.log].join('\n');
    assert.ok(!logs.includes(KEY_HEX) && !logs.includes(KEY_HEX.slice(0, 16)), 'no key in the log');
    assert.ok(!logs.includes(String(rows[0]![0])), 'no vector in the log');
  } finally {
    a.child.kill('SIGKILL');
    b.child.kill('SIGKILL');
    c.child.kill('SIGKILL');
  }
});

t.run();
