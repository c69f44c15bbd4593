// The Python client (clients/python) tested with the system Python against real `memguard serve`
// processes: this file writes the defense, the key and the oracle (MemGuard.protect in-process),
// runs `python3 -m unittest` on clients/python/tests, and fails when any Python test fails or
// errors. Python is installed from Debian when missing (scripts/debian-packages.mjs).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs script without declarations
import { ensureDebianPackage } from '../../scripts/debian-packages.mjs';
import { expected, KEY_HEX, sampleRows, workDir } from '../serve/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = '/usr/bin/python3';

function python(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d; });
    child.stderr.on('data', (d: Buffer) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

const t = suite('python client');

t('clients/python: every unittest passes against real memguard serve processes', async () => {
  ensureDebianPackage(PYTHON, ['python3']);
  const dir = workDir();
  const keyFile = join(dir, 'python-key.hex');
  writeFileSync(keyFile, KEY_HEX + '\n', { mode: 0o600 });
  const rows = sampleRows(12, 40);
  const ids = rows.map((_, i) => `py-${i}`);
  const oracle = expected(rows, ids);
  const k = rows[0]!.length;
  const released = Array.from({ length: rows.length }, (_, r) => Array.from(oracle.released.subarray(r * k, (r + 1) * k)));
  // Without ids the keyed coin reads the row's content: the oracle for 1-row requests.
  const byContent = expected(rows);
  const releasedByContent = Array.from({ length: rows.length }, (_, r) => Array.from(byContent.released.subarray(r * k, (r + 1) * k)));
  const expectedFile = join(dir, 'python-expected.json');
  writeFileSync(expectedFile, JSON.stringify({ rows, ids, released, noisy: Array.from(oracle.noiseReleased), releasedByContent }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: join(ROOT, 'clients/python/src'),
    PYTHONDONTWRITEBYTECODE: '1',
    MEMGUARD_SERVE_CMD: JSON.stringify([process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve']),
    MEMGUARD_DEFENSE: join(dir, 'g.json'),
    MEMGUARD_KEY_FILE: keyFile,
    MEMGUARD_EXPECTED: expectedFile,
  };
  delete env.MEMGUARD_KEY;
  const { code, output } = await python(['-m', 'unittest', 'discover', '-s', 'clients/python/tests', '-v'], env);
  const ran = /^Ran (\d+) tests? in/m.exec(output);
  assert.ok(code === 0 && ran && /^OK\b/m.test(output), `python3 -m unittest exited ${code}:\n${output}`);
  // Every test ran: none skipped for a missing variable (numpy's test may skip where numpy is absent).
  assert.not.match(output, /skipped '[A-Z_]+ is not set/, output);
  assert.ok(Number(ran[1]) >= 15, `only ${ran[1]} Python tests ran:\n${output}`);
});

t.run();
