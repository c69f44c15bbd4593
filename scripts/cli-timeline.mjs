// Where the time of `memguard protect` goes, from the built package: copies dist/ to a temporary
// folder, inserts a timestamp at each step of the protect path (main thread and workers), runs the
// copy once with the given arguments and prints the steps in time order, in ms since the spawn.
// The product code stays free of timing hooks; an anchor that no longer matches fails loudly.
//
//   npm run build:ts && node scripts/cli-timeline.mjs protect --defense g.json --epsilon 0.5 \
//     --in logits.csv --out out.csv --logits --threads 2 --quiet
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MARK = "const __mark = (step) => process.stderr.write(`@mark ${performance.timeOrigin + performance.now()} ${step}\\n`);\n";

// [file, text to find, step recorded before it (or after it when the step starts with '+')]
const ANCHORS = [
  ['cli/main.js', 'export const COMMANDS', 'main.js and its imports loaded'],
  ['cli/commands/protect.js', 'const v = parseFlags(NAME, argv, OPTIONS);', 'protect command loaded'],
  ['parallel/pool.js', 'const slot = { worker: spawn(', 'worker spawned'],
  ['cli/commands/protect.js', 'const guard = new MemGuard(', 'defense classifier read (main engine compiled)'],
  ['cli/commands/protect.js', 'const n = batch.rows.length;', 'CSV batch read and split'],
  ['cli/commands/protect.js', 'let queryIds;', 'numbers parsed'],
  ['parallel/worker.js', 'const port = parentPort;', 'worker: modules loaded'],
  ['parallel/worker.js', "port.postMessage({ type: 'ready' });", 'worker: engine compiled'],
  ['parallel/worker.js', 'const output = handler(', 'worker: Phase I chunk start'],
  ['parallel/worker.js', "port.postMessage({ id, type: 'done'", 'worker: Phase I chunk end'],
  ['memguard/memguard.js', 'const result = this.release(search, options);', 'Phase I done (in this thread)'],
  ['parallel/protect.js', 'const result = guard.releaseSearch(', 'Phase I done (all chunks back)'],
  ['memguard/memguard.js', 'return { ...result, released: output(result.released, search.rows', 'Phase II done'],
  ['parallel/protect.js', 'return { ...result, released: output(', 'Phase II done'],
  ['cli/commands/protect.js', 'const formatted = formatRows(', 'protected (batch)'],
  ['cli/commands/protect.js', 'await writer.write(formatted.text);', 'output formatted'],
  ['cli/commands/protect.js', 'await writer.close();', '+output written and renamed'],
  ['cli/commands/protect.js', 'const eps = epsilon', 'workers terminated'],
];

const dir = mkdtempSync(join(tmpdir(), 'memguard-timeline-'));
try {
  const dist = join(dir, 'dist');
  cpSync(join(ROOT, 'dist'), dist, { recursive: true });
  // package.json for packageVersion(), node_modules for ndarray.
  symlinkSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const patched = new Map();
  for (const [file, anchor, step] of ANCHORS) {
    let text = patched.get(file) ?? readFileSync(join(dist, file), 'utf8').replace(/^((?:#![^\n]*\n)?)/, `$1${MARK}`);
    if (!text.includes(anchor)) throw new Error(`scripts/cli-timeline.mjs: dist/${file} no longer contains ${JSON.stringify(anchor)}`);
    const call = `__mark(${JSON.stringify(step.replace(/^\+/, ''))});`;
    text = text.replace(anchor, step.startsWith('+') ? `${anchor}${call}` : `${call}${anchor}`);
    patched.set(file, text);
  }
  for (const [file, text] of patched) writeFileSync(join(dist, file), text);

  const start = performance.timeOrigin + performance.now();
  const r = spawnSync(process.execPath, [join(dist, 'cli', 'main.js'), ...process.argv.slice(2)], { encoding: 'utf8' });
  const end = performance.timeOrigin + performance.now();
  const steps = [];
  for (const line of r.stderr.split('\n')) {
    const m = /^@mark (\S+) (.*)$/.exec(line);
    if (m) steps.push([Number(m[1]), m[2]]);
    else if (line) console.error(line);
  }
  steps.push([end, 'process exited']);
  steps.sort((a, b) => a[0] - b[0]);
  let prev = start;
  console.log('    ms   (+step)  step (main thread unless "worker:")');
  for (const [t, step] of steps) {
    console.log(`${(t - start).toFixed(1).padStart(7)}  (+${(t - prev).toFixed(1).padStart(6)})  ${step}`);
    prev = t;
  }
  if (r.status !== 0) process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
