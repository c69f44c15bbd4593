// `memguard compare` end to end on a tiny synthetic CSV: every output with its documented shape, the
// distortion of each released CSV recomputed from the files, and a killed run that resumes from
// its models without retraining them and writes the same results.json.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScoresCsv } from '../../src/data/csv/scores.js';
import { memguard, ROOT, type Run } from '../cli/memguardCli.js';

const t = suite('compare (CLI)');
let dir = '';
let fresh: Promise<Run> | undefined;

/** Random features, random labels: only memorization helps, so the tiny target leaks. */
function memorizable(n: number, d: number, k: number): string {
  let x = 777;
  const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x / 4294967296; };
  const header = [...Array.from({ length: d }, (_, j) => `f${j}`), 'y'].join(',');
  const rows = Array.from({ length: n }, () => [...Array.from({ length: d }, () => (rnd() * 2 - 1).toFixed(3)), String(Math.floor(rnd() * k))].join(','));
  return [header, ...rows].join('\n') + '\n';
}

const TINY = ['--quick', '--target-hidden', '32', '--epochs', '30', '--learning-rate', '0.1', '--batch-size', '16', '--defense-hidden', '8',
  '--defense-epochs', '10', '--attack-hidden', '8', '--attack-epochs', '10', '--lira', '3', '--epsilons', '0.3,1', '--seed', '5', '--defenses', 'early-stopping,stacking,uniform,hamp-output,memguard'];
const args = (out: string, threads = '1') => ['compare', '--features', join(dir, 'data.csv'), '--label', 'y', ...TINY, '--threads', threads, '--out', out];
const freshRun = () => (fresh ??= memguard([...args(join(dir, 'fresh')), '--quiet']));

function ok(r: Run, what: string): void {
  assert.is(r.code, 0, `${what} exited ${r.code}\n${r.stderr}`);
}

const resultsOf = (out: string) => {
  const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  delete r.createdAt;
  return r;
};

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memguard-compare-'));
  writeFileSync(join(dir, 'data.csv'), memorizable(450, 30, 3));
});
t.after(() => { rmSync(dir, { recursive: true, force: true }); });

t('compare --quick writes results.json, report.html and released/*.csv with the documented shapes', async () => {
  const r = await freshRun();
  ok(r, 'compare');
  const out = join(dir, 'fresh');
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.is(results.kind, 'compare');
  const ids = results.defenses.map((e: { id: string }) => e.id);
  assert.is(new Set(ids).size, ids.length, 'ids are unique');
  const defenses = new Set(results.defenses.map((e: { defense: string }) => e.defense));
  for (const d of ['none', 'early-stopping', 'stacking', 'uniform', 'hamp-output', 'memguard']) assert.ok(defenses.has(d), `has ${d}`);
  assert.ok([...defenses].some((d) => String(d).startsWith('memguard+')), 'MemGuard on top of a training-time defense');
  for (const e of results.defenses) {
    assert.equal(Object.keys(e).filter((k) => ['id', 'defense', 'params', 'utility', 'attacks'].includes(k)).sort(), ['attacks', 'defense', 'id', 'params', 'utility']);
    for (const k of ['distortion', 'labelLoss', 'testAccuracy']) assert.type(e.utility[k], 'number', `${e.id} utility.${k}`);
    for (const a of ['nn', 'nn/defense-aware', 'nn-at', 'nn-r1', 'nn-r2/defense-aware', 'gap', 'label-only/noise', 'lira']) assert.type(e.attacks[a]?.accuracy, 'number', `${e.id} attack ${a}`);
    assert.ok(existsSync(join(out, 'released', `${e.id}.csv`)), `released/${e.id}.csv`);
  }
  // MemGuard: both mixing rules, each epsilon; label-preserving on the reference model.
  const mg = results.defenses.filter((e: { defense: string }) => e.defense === 'memguard');
  assert.is(mg.length, 4);
  for (const e of mg) {
    assert.is(e.utility.labelLoss, 0, `${e.id} label loss`);
    assert.ok(e.utility.distortion <= e.params.epsilon + 1e-6, `${e.id}: distortion ${e.utility.distortion} within epsilon`);
  }
  const none = results.defenses.find((e: { id: string }) => e.id === 'none');
  assert.equal(none.utility.distortion, 0);
  for (const k of ['distortion', 'labelLoss', 'testAccuracy', 'referenceTestAccuracy']) assert.type(results.seedFloor[k], 'number', `seedFloor.${k}`);
  assert.ok(results.seedFloor.distortion > 0, 'two seeds give different models');
  assert.is(results.labelOnlyFloor.attack, 'gap');
  assert.ok(Array.isArray(results.verdict.sentences) && results.verdict.sentences.length > 0);
  for (const name of ['reference', 'shadow-reference']) {
    const table = readScoresCsv(join(out, 'released', `${name}.csv`));
    assert.is(table.k, 3);
    assert.ok(table.member && table.label, `${name}.csv has member and label columns`);
  }
  const header = readFileSync(join(out, 'released', 'none.csv'), 'utf8').split('\n')[0];
  assert.is(header, 'member,label,p0,p1,p2');
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.indexOf('<h2>Verdict</h2>') < html.indexOf('<svg'), 'the verdict comes before the figures');
  assert.match(r.stdout, /^Verdict:/);
  // Identical trainings (e.g. MemGuard releases equal at two budgets) are trained once and loaded after.
  assert.match(r.stdout, /models\/\s+(\d+) trained now, (\d+) loaded/);
});

t('the distortion of every released CSV, recomputed from the files, is the reported one', async () => {
  ok(await freshRun(), 'compare');
  const out = join(dir, 'fresh');
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const ref = readScoresCsv(join(out, 'released', 'reference.csv'));
  for (const e of results.defenses) {
    const rel = readScoresCsv(join(out, 'released', `${e.id}.csv`));
    assert.is(rel.n, ref.n);
    assert.equal(Array.from(rel.member!), Array.from(ref.member!), `${e.id}: same rows in the same order`);
    let sum = 0;
    for (let i = 0; i < rel.vectors.length; i++) sum += Math.abs(rel.vectors[i]! - ref.vectors[i]!);
    const reported = e.defense.startsWith('memguard') ? e.utility.sampledDistortion : e.utility.distortion;
    assert.ok(Math.abs(sum / ref.n - reported) < 2e-5, `${e.id}: ${sum / ref.n} recomputed vs ${reported} reported`);
  }
});

t('a killed run resumes from the models it wrote, retrains none of them, and writes the same results.json', async () => {
  const first = await freshRun();
  ok(first, 'compare');
  const [, freshTrained, freshLoaded] = /models\/\s+(\d+) trained now, (\d+) loaded/.exec(first.stdout)!.map(Number);
  const total = freshTrained! + freshLoaded!;
  const out = join(dir, 'killed');
  const models = join(out, 'models');
  // Kill the run (SIGKILL: no clean-up of any kind) once it has written a few models.
  const saved = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args(out), '--quiet'], { cwd: ROOT, stdio: 'ignore' });
    const timer = setInterval(() => {
      const n = existsSync(models) ? readdirSync(models).filter((f) => f.endsWith('.json')).length : 0;
      if (n >= 3) { clearInterval(timer); child.kill('SIGKILL'); resolve(n); }
    }, 5);
    child.on('exit', () => { clearInterval(timer); resolve(existsSync(models) ? readdirSync(models).filter((f) => f.endsWith('.json')).length : 0); });
    child.on('error', reject);
  });
  assert.ok(saved >= 3, `the killed run wrote ${saved} models`);
  const again = await memguard([...args(out), '--quiet']);
  ok(again, 'restarted compare');
  const [, trained, loaded] = /models\/\s+(\d+) trained now, (\d+) loaded/.exec(again.stdout)!.map(Number);
  assert.ok(loaded! >= saved, `loaded ${loaded} of the ${saved} models written before the kill`);
  assert.is(trained! + loaded!, total, 'every model once: trained before the kill, or now');
  assert.equal(resultsOf(out), resultsOf(join(dir, 'fresh')), 'same results as the uninterrupted run');
  // A third run trains nothing at all; its progress (a pipe: a line per stage and per tenth of the run) names the 8 stages in order.
  const third = await memguard(args(out));
  ok(third, 'third compare');
  assert.match(third.stdout, new RegExp(`models/\\s+0 trained now, ${total} loaded`));
  const stages = [...new Set([...third.stderr.matchAll(/stage (\d)\/8: /g)].map((m) => Number(m[1])))];
  assert.equal(stages, [1, 2, 3, 4, 5, 6, 7, 8], third.stderr);
  const tenths = [...third.stderr.matchAll(/(\d+) % of the whole run, about .* left in all/g)].map((m) => Number(m[1]));
  assert.ok(tenths.length >= 3 && tenths.every((p, i) => i === 0 || p > tenths[i - 1]!), third.stderr);
});

t('--report-only rewrites the verdict and report.html from results.json alone', async () => {
  ok(await freshRun(), 'compare');
  const fresh = JSON.parse(readFileSync(join(dir, 'fresh', 'results.json'), 'utf8'));
  const out = join(dir, 'rerender');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), JSON.stringify({ ...fresh, verdict: { sentences: ['stale'] } }));
  const r = await memguard(['compare', '--report-only', '--out', out]);
  ok(r, 'compare --report-only');
  assert.equal(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')), fresh, 'the same numbers and the verdict recomputed');
  assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes('<html'), 'report.html written');
  assert.ok(r.stdout.startsWith('Verdict:'), r.stdout);
  assert.not.ok(existsSync(join(out, 'models')), 'nothing trained');
  const missing = await memguard(['compare', '--report-only', '--out', join(dir, 'nowhere')]);
  assert.is(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /results\.json/);
});

t('usage errors: an unknown defense, --features without --label', async () => {
  const bad = await memguard(['compare', '--defenses', 'none,frob']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /unknown defense "frob"; available: none, l2, dropout, .*, stacking, uniform, .*, memguard/);
  const half = await memguard(['compare', '--features', 'x.csv']);
  assert.is(half.code, 2);
  assert.match(half.stderr, /--features and --label go together/);
});

t.run();
