// A smoke run of the serve timing benchmark (bench/serve-timing.ts --quick: tiny budgets, 40 rows;
// the numbers mean nothing): it starts the echo baseline and `memguard serve` in their own
// processes, drives them, and prints both tables with a row per design and concurrency.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('bench/serve-timing.ts --quick runs the echo and fixed-work designs end to end', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/serve-timing.ts', '--quick', '--designs', 'echo,fixed-work'], { cwd: ROOT, timeout: 300_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  for (const design of ['echo', 'fixed-work']) {
    for (const c of [1, 8, 64]) assert.match(out, new RegExp(`^\\| ${design} \\| ${c} \\| \\d+ \\| [\\d.]+ \\| [\\d.]+ \\|`, 'm'), `${design} at concurrency ${c}`);
  }
  const aucs = [...out.matchAll(/^\| fixed-work \| \d+ measured[^|]*\| 40 \| ([\d.]+) \|/gm)].map((m) => Number(m[1]));
  assert.is(aucs.length, 2, 'a latency AUC alone and under load');
  assert.ok(aucs.every((a) => a >= 0 && a <= 1));
  assert.match(out, /V2 infer vs \/v1\/protect/);
});

test.run();
