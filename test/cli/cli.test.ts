// The `memguard` command line, run as a user runs it: a child process per call
// (`node --import tsx src/cli/main.ts ...`), outputs in a temporary folder.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScoresCsv, type ScoresTable } from '../../src/data/csv/scores.js';
import { formatCsv, parseCsv } from '../../src/data/csv/table.js';
import { parseResults } from '../../src/experiment/results.js';
import { loadModel } from '../../src/nn/modelFile.js';
import { firstArgmax } from '../memguard/invariants.js';
import { memguard, type Run } from './memguardCli.js';

const KEY_HEX = '000102030405060708090a0b0c0d0e0f1011121314151617';

function ok(r: Run, what: string): void {
  assert.is(r.code, 0, `${what}: exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 2000)}`);
}

/** design §5 on every row of `t`: entries >= 0, sum 1 within 1e-6, argmax of the matching `clean` row. */
function checkReleased(t: ScoresTable, clean: ScoresTable, what: string): void {
  assert.is(t.n, clean.n, `${what}: row count`);
  assert.is(t.k, clean.k, `${what}: k`);
  const k = t.k;
  for (let i = 0; i < t.n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const x = t.vectors[i * k + j]!;
      if (!(x >= 0)) assert.unreachable(`${what}: row ${i}, p${j} = ${x} < 0`);
      sum += x;
    }
    if (!(Math.abs(sum - 1) <= 1e-6)) assert.unreachable(`${what}: row ${i} sums to ${sum}`);
    const a = firstArgmax(t.vectors, i * k, k), b = firstArgmax(clean.vectors, i * k, k);
    if (a !== b) assert.unreachable(`${what}: row ${i}: argmax ${a}, clean argmax ${b}`);
    if (t.member && clean.member && t.member[i] !== clean.member[i]) assert.unreachable(`${what}: row ${i}: member differs`);
    if (t.label && clean.label && t.label[i] !== clean.label[i]) assert.unreachable(`${what}: row ${i}: label differs`);
  }
}

const t = suite('cli');
let dir = '';
let demoRun: Promise<Run> | undefined;
/** The quick demo, run once and shared by the tests that use its outputs. */
const demoOut = () => (demoRun ??= memguard(['demo', '--quick', '--out', join(dir, 'demo'), '--quiet']));

t.before(() => { dir = mkdtempSync(join(tmpdir(), 'memguard-cli-')); });
t.after(() => { rmSync(dir, { recursive: true, force: true }); });

t('--help: the top level lists every command; every command has its own help', async () => {
  const commands = ['demo', 'experiment', 'protect', 'train-defense', 'evaluate'];
  const [top, ...each] = await Promise.all([memguard(['--help']), ...commands.map((c) => memguard([c, '--help']))]);
  ok(top!, '--help');
  for (const c of commands) assert.match(top!.stdout, new RegExp(`^  ${c} `, 'm'), `--help lists ${c}`);
  each.forEach((r, i) => {
    ok(r, `${commands[i]} --help`);
    assert.match(r.stdout, new RegExp(`^Usage: memguard ${commands[i]}`), `${commands[i]} --help usage line`);
    assert.is(r.stderr, '', `${commands[i]} --help writes nothing to stderr`);
  });
  // --help wins over anything else on the line.
  ok(await memguard(['protect', '--bogus', '--help']), 'protect --bogus --help');
});

t('usage errors exit 2 with a clear message', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /Usage: memguard <command>/],
    [['frob'], /unknown command "frob"/],
    [['demo', '--bogus'], /memguard demo: unknown option --bogus/],
    [['demo', 'extra'], /unexpected argument "extra"/],
    [['demo', '--method', 'newton'], /--method must be one of logits, projected/],
    [['demo', '--epsilons', '0,x'], /--epsilons must be a number/],
    [['demo', '--out'], /--out needs a value/],
    [['demo', '--repeats', '0'], /--repeats must be between 1 and 100/],
    [['experiment', '--label', 'y'], /--features is required/],
    [['experiment', '--features', 'd.csv', '--label', 'y', '--target-hidden', '64,x'], /--target-hidden must be an integer/],
    [['demo', '--lira', '2'], /--lira must be between 3 and 1024, got 2/],
    [['demo', '--mixing', 'paper,coin'], /--mixing must be one of paper, exact, crossing, got "coin"/],
    [['protect', '--key', 'abc'], /never taken from the command line/],
    [['protect', '--defense', 'g.json', '--in', 'a.csv', '--out', 'b.csv'], /--epsilon is required/],
    [['protect', '--defense', 'g.json', '--epsilon', '0.5', '--in', 'a.csv', '--out', 'b.csv', '--seed', '1', '--expectation'], /exclude each other/],
    [['protect', '--defense', 'g.json', '--epsilon', '0.5', '--in', 'a.csv', '--out', 'b.csv'], /needs a secret key/],
    [['train-defense', '--members', 'm.csv'], /--nonmembers is required/],
    [['train-defense', '--members', 'm.csv', '--nonmembers', 'n.csv', '--out', 'g.json', '--hidden', '64,,8'], /--hidden must be a comma-separated list/],
    [['evaluate', '--shadow', 's.csv', '--target', 't.csv', '--epochs', '0'], /--epochs must be between 1/],
  ];
  const runs = await Promise.all(cases.map(([args]) => memguard(args)));
  runs.forEach((r, i) => {
    const [args, message] = cases[i]!;
    assert.is(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, `${args.join(' ')}: ${r.stderr}`);
    assert.not.match(r.stderr, /\n\s+at /, `${args.join(' ')}: no stack trace`);
  });
});

t('demo --quick writes a report, models and released CSVs that satisfy design §5', async () => {
  const r = await demoOut();
  ok(r, 'demo --quick');
  const out = join(dir, 'demo');
  assert.match(r.stdout, /^VERDICT, mixing = paper/m);
  assert.ok(r.stdout.indexOf('VERDICT') < r.stdout.indexOf('mixing = paper: attack accuracy'), 'the verdict comes first');
  assert.match(r.stdout, /mixing = paper: attack accuracy/);
  assert.match(r.stdout, /wall time /);
  assert.match(r.stdout, /stage timings:/);
  assert.is(r.stderr, '', 'nothing on stderr with --quiet');

  const results = parseResults(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.is(results.runs.length, 6, 'quick: 3 epsilons x 2 mixing modes');
  assert.equal(results.verdict?.tables.map((x) => x.mixing), ['paper', 'exact']);
  for (const run of results.runs) assert.is(run.labelLoss, 0, `label loss at eps ${run.epsilon} ${run.mixing}`);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);
  // The timing channel: three searches; fixed work gives every row the same passes of g,
  // so their AUC is exactly 0.5; wall time is measured for all but the literal search.
  assert.equal(results.timing?.rows.map((x) => x.search), ['default', 'literal', 'fixed-work']);
  assert.is(results.timing!.rows[2]!.ticksAuc, 0.5);
  assert.ok(Number.isNaN(results.timing!.rows[1]!.wallTimeAuc) && Number.isFinite(results.timing!.rows[0]!.wallTimeAuc));
  assert.match(r.stdout, /timing channel: membership AUC/);

  const models = readdirSync(join(out, 'models')).filter((f) => f.endsWith('.json')).sort();
  assert.equal(models, ['attack.json', 'defense.json', 'shadow.json', 'target.json']);
  for (const f of models) {
    const m = loadModel(readFileSync(join(out, 'models', f), 'utf8'));
    assert.ok(m.inputSize > 0, f);
    m.dispose();
  }

  const header = ['member', 'label', ...Array.from({ length: 30 }, (_, j) => `p${j}`)].join(',');
  const files = readdirSync(join(out, 'released')).filter((f) => f.endsWith('.csv')).sort();
  assert.ok(files.includes('eval-clean.csv') && files.includes('shadow-clean.csv'), files.join(' '));
  assert.ok(files.length >= 8, `released/ has ${files.length} CSVs`);
  const clean = { eval: readScoresCsv(join(out, 'released', 'eval-clean.csv')), shadow: readScoresCsv(join(out, 'released', 'shadow-clean.csv')) };
  for (const f of files) {
    const path = join(out, 'released', f);
    assert.is(readFileSync(path, 'utf8').split('\n', 1)[0], header, `${f}: header`);
    const table = readScoresCsv(path);
    checkReleased(table, f.startsWith('shadow') ? clean.shadow : clean.eval, f);
  }
});

t('demo --quick --lira 3 adds offline LiRA to every run; --mixing picks the rules', async () => {
  const out = join(dir, 'demo-lira');
  const r = await memguard(['demo', '--quick', '--lira', '3', '--mixing', 'paper,crossing', '--epsilons', '0,1', '--no-defense-aware', '--out', out, '--quiet']);
  ok(r, 'demo --lira');
  assert.match(r.stdout, /mixing = crossing: attack accuracy/);
  assert.match(r.stdout, /LiRA shadow models/);
  const results = parseResults(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(results.config.mixingModes, ['paper', 'crossing']);
  assert.is(results.config.lira, 3);
  assert.is(results.runs.length, 4, '2 epsilons x 2 mixing modes');
  for (const run of results.runs) {
    const lira = run.attacks.lira;
    assert.ok(lira, `lira at eps ${run.epsilon} ${run.mixing}`);
    assert.ok(lira.tprAt01Fpr <= lira.tprAt1Fpr && lira.tprAt1Fpr <= 1, 'TPR at 0.1% <= TPR at 1%');
    assert.is(run.labelLoss, 0);
  }
  // The quick target overfits (train 0.9, test 0.2): undefended, LiRA must see it.
  const undefended = results.runs.find((x) => x.epsilon === 0)!.attacks.lira!;
  assert.ok(undefended.auc > 0.7, `undefended LiRA AUC ${undefended.auc}`);
});

/** A small input for protect: passthrough columns around the vector, one with commas and quotes. */
async function protectInput(): Promise<{ path: string; text: string; defense: string; rows: number }> {
  ok(await demoOut(), 'demo');
  const clean = parseCsv(readFileSync(join(dir, 'demo', 'released', 'eval-clean.csv'), 'utf8'));
  const rows = clean.rows.filter((_, i) => i % 9 === 0).slice(0, 40);
  const header = ['id', ...clean.header, 'note'];
  const text = formatCsv(header, rows.map((r, i) => [`q${i}`, ...r, `say "hi", row ${i}`]));
  const path = join(dir, 'scores.csv');
  writeFileSync(path, text);
  return { path, text, defense: join(dir, 'demo', 'models', 'defense.json'), rows: rows.length };
}

t('protect: passthrough columns unchanged, same rows in order, valid vectors, deterministic under a key', async () => {
  const input = await protectInput();
  const out1 = join(dir, 'released1.csv'), out2 = join(dir, 'released2.csv'), out3 = join(dir, 'released3.csv');
  const keyFile = join(dir, 'key.hex');
  writeFileSync(keyFile, KEY_HEX + '\n');
  chmodSync(keyFile, 0o600);
  const args = (out: string) => ['protect', '--defense', input.defense, '--epsilon', '0.5', '--in', input.path, '--out', out, '--batch', '16'];
  const [r1, r2, r3] = await Promise.all([
    memguard(args(out1), { MEMGUARD_KEY: KEY_HEX }),
    memguard(args(out2), { MEMGUARD_KEY: KEY_HEX }),
    memguard([...args(out3), '--key-file', keyFile]),
  ]);
  ok(r1!, 'protect #1'); ok(r2!, 'protect #2'); ok(r3!, 'protect --key-file');
  assert.match(r1!.stdout, new RegExp(`protected ${input.rows} rows`));
  const text1 = readFileSync(out1, 'utf8');
  assert.is(readFileSync(out2, 'utf8'), text1, 'the same key gives the same output');
  assert.is(readFileSync(out3, 'utf8'), text1, 'the same key from a hex key file gives the same output');

  const inTable = parseCsv(input.text), outTable = parseCsv(text1);
  assert.equal(outTable.header, inTable.header, 'same header, same column order');
  assert.is(outTable.rows.length, input.rows);
  const pass = inTable.header.map((h, j) => [h, j] as const).filter(([h]) => !/^p\d+$/.test(h));
  assert.equal(pass.map(([h]) => h), ['id', 'member', 'label', 'note']);
  for (let i = 0; i < input.rows; i++) {
    for (const [h, j] of pass) assert.is(outTable.rows[i]![j], inTable.rows[i]![j], `row ${i}, column ${h}`);
  }
  const released = readScoresCsv(out1) as ScoresTable, original = readScoresCsv(input.path);
  checkReleased(released, original, 'protect output');
  assert.ok(released.vectors.some((x, i) => x !== original.vectors[i]), 'some noise was released at epsilon 0.5');

  // A different key, --details, and epsilon 0 (which returns the input exactly).
  const other = join(dir, 'released-other.csv'), zero = join(dir, 'released-zero.csv');
  const [r4, r5] = await Promise.all([
    memguard([...args(other), '--details'], { MEMGUARD_KEY: 'base64:' + Buffer.from('another secret key, 32 bytes!!!!').toString('base64') }),
    memguard(['protect', '--defense', input.defense, '--epsilon', '0', '--in', input.path, '--out', zero], { MEMGUARD_KEY: KEY_HEX }),
  ]);
  ok(r4!, 'protect --details'); ok(r5!, 'protect --epsilon 0');
  const details = parseCsv(readFileSync(other, 'utf8'));
  assert.equal(details.header, [...inTable.header, 'noise_l1', 'mix_p', 'noisy']);
  for (const row of details.rows) {
    const p = Number(row.at(-2)), noisy = row.at(-1);
    assert.ok(p >= 0 && p <= 1, `mix_p ${p}`);
    assert.ok(noisy === '0' || noisy === '1', `noisy ${noisy}`);
  }
  const z = readScoresCsv(zero);
  assert.equal(Array.from(z.vectors), Array.from(original.vectors), 'epsilon 0 releases the input unchanged');
});

t('protect --expectation writes the noisy candidate and mix_p; --epsilon inf', async () => {
  const input = await protectInput();
  const out = join(dir, 'expectation.csv');
  const r = await memguard(['protect', '--defense', input.defense, '--epsilon', 'inf', '--in', input.path, '--out', out, '--expectation', '--quiet']);
  ok(r, 'protect --expectation');
  const table = parseCsv(readFileSync(out, 'utf8'));
  assert.is(table.header.at(-1), 'mix_p');
  for (const row of table.rows) {
    const p = Number(row.at(-1));
    assert.ok(p >= 0 && p <= 1, `mix_p ${p}`);
  }
  checkReleased(readScoresCsv(out), readScoresCsv(input.path), 'expectation output');
});

t('protect: --logits, --query-id, and a file with a header but no rows', async () => {
  const input = await protectInput();
  const table = parseCsv(input.text);
  const logits = formatCsv(table.header, table.rows.map((row) =>
    row.map((cell, j) => (/^p\d+$/.test(table.header[j]!) ? String(Math.log(Math.max(Number(cell), 1e-30))) : cell))));
  const logitsPath = join(dir, 'logits.csv'), emptyPath = join(dir, 'empty.csv');
  writeFileSync(logitsPath, logits);
  writeFileSync(emptyPath, table.header.join(',') + '\n');
  const base = ['protect', '--defense', input.defense, '--epsilon', '1', '--quiet'];
  const env = { MEMGUARD_KEY: KEY_HEX };
  const [r1, r2, r3] = await Promise.all([
    memguard([...base, '--in', logitsPath, '--out', join(dir, 'from-logits.csv'), '--logits'], env),
    memguard([...base, '--in', input.path, '--out', join(dir, 'by-id.csv'), '--query-id', 'id'], env),
    memguard([...base, '--in', emptyPath, '--out', join(dir, 'empty-out.csv'), '--details'], env),
  ]);
  ok(r1!, 'protect --logits'); ok(r2!, 'protect --query-id'); ok(r3!, 'protect on a header-only file');
  const original = readScoresCsv(input.path);
  checkReleased(readScoresCsv(join(dir, 'from-logits.csv')), original, 'from logits');
  checkReleased(readScoresCsv(join(dir, 'by-id.csv')), original, 'by query id');
  assert.is(readFileSync(join(dir, 'empty-out.csv'), 'utf8'), [...table.header, 'noise_l1', 'mix_p', 'noisy'].join(',') + '\n');
});

t('protect: a bad row is reported with its line number and leaves no output behind', async () => {
  const input = await protectInput();
  const lines = input.text.split('\n');
  const bad = lines.slice();
  // Line 20 of the file: one entry below 0.5 raised by 0.4, so the row no longer sums to 1.
  const cells = parseCsv(lines[0] + '\n' + lines[19] + '\n').rows[0]!;
  const j = cells.findIndex((c, i) => i >= 3 && i < 33 && Number(c) < 0.5);
  cells[j] = String(Number(cells[j]) + 0.4);
  bad[19] = formatCsv([], [cells]).trim();
  const badPath = join(dir, 'bad.csv');
  writeFileSync(badPath, bad.join('\n'));
  const notNumber = lines.slice();
  notNumber[33] = notNumber[33]!.replace(/^(q\d+,\d,\d+,)[^,]+/, '$1abc');
  const nanPath = join(dir, 'bad-number.csv');
  writeFileSync(nanPath, notNumber.join('\n'));

  const outDir = mkdtempSync(join(dir, 'bad-out-'));
  const out = join(outDir, 'released.csv');
  const [r1, r2] = await Promise.all([
    memguard(['protect', '--defense', input.defense, '--epsilon', '0.5', '--in', badPath, '--out', out, '--batch', '8'], { MEMGUARD_KEY: KEY_HEX }),
    memguard(['protect', '--defense', input.defense, '--epsilon', '0.5', '--in', nanPath, '--out', out, '--batch', '8'], { MEMGUARD_KEY: KEY_HEX }),
  ]);
  assert.is(r1!.code, 1, r1!.stderr);
  assert.match(r1!.stderr, /^memguard: .*bad\.csv: line 20 sums to /m);
  assert.is(r2!.code, 1, r2!.stderr);
  assert.match(r2!.stderr, /^memguard: .*bad-number\.csv: line 34, column p0: "abc" is not a number/m);
  for (const r of [r1!, r2!]) assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(readdirSync(outDir), [], 'no output and no temporary file left behind');
  assert.not.ok(existsSync(out));

  // A key that is too short is refused, without echoing it.
  const r3 = await memguard(['protect', '--defense', input.defense, '--epsilon', '0.5', '--in', input.path, '--out', out], { MEMGUARD_KEY: 'deadbeef' });
  assert.is(r3.code, 1);
  assert.match(r3.stderr, /MEMGUARD_KEY: the key has 4 bytes; at least 16/);
  assert.not.match(r3.stderr, /deadbeef/);
});

t('train-defense writes a loadable defense classifier', async () => {
  ok(await demoOut(), 'demo');
  const clean = parseCsv(readFileSync(join(dir, 'demo', 'released', 'eval-clean.csv'), 'utf8'));
  const pCols = clean.header.map((h, j) => j).filter((j) => /^p\d+$/.test(clean.header[j]!));
  const write = (name: string, member: string) => {
    const rows = clean.rows.filter((r) => r[0] === member).slice(0, 100).map((r) => pCols.map((j) => r[j]!));
    writeFileSync(join(dir, name), formatCsv(pCols.map((j) => clean.header[j]!), rows));
  };
  write('members.csv', '1');
  write('nonmembers.csv', '0');
  const out = join(dir, 'g', 'defense.json');
  const r = await memguard(['train-defense', '--members', join(dir, 'members.csv'), '--nonmembers', join(dir, 'nonmembers.csv'),
    '--out', out, '--epochs', '5', '--hidden', '16,8', '--learning-rate', '0.05', '--seed', '3']);
  ok(r, 'train-defense');
  assert.match(r.stdout, /30 -> 16 -> 8 -> 1/);
  const g = loadModel(readFileSync(out, 'utf8'));
  assert.is(g.inputSize, 30);
  assert.is(g.outputSize, 1);
  g.dispose();
});

t('evaluate runs the attack suite on the demo exports and writes results', async () => {
  ok(await demoOut(), 'demo');
  const released = join(dir, 'demo', 'released');
  const out = join(dir, 'evaluation');
  const r = await memguard(['evaluate', '--shadow', join(released, 'shadow-clean.csv'), '--target', join(released, 'eval-eps0.5.csv'),
    '--out', out, '--epochs', '20', '--quiet']);
  ok(r, 'evaluate');
  assert.match(r.stdout, /^nn\s/m);
  assert.match(r.stdout, /^gap\s/m);
  const results = parseResults(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.is(results.runs.length, 1);
  const attacks = results.runs[0]!.attacks;
  assert.ok(attacks.nn && attacks.gap, Object.keys(attacks).join(' '));
  assert.ok(attacks.nn.accuracy >= 0 && attacks.nn.accuracy <= 1);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);

  // Files without member/label columns are refused with a clear message.
  const clean = parseCsv(readFileSync(join(released, 'eval-clean.csv'), 'utf8'));
  writeFileSync(join(dir, 'vectors-only.csv'), formatCsv(clean.header.slice(2), clean.rows.map((row) => row.slice(2))));
  const r2 = await memguard(['evaluate', '--shadow', join(dir, 'vectors-only.csv'), '--target', join(released, 'eval-eps0.5.csv')]);
  assert.is(r2.code, 1);
  assert.match(r2.stderr, /needs the columns member, label and p0\.\.p29; missing member, label/);
});

/**
 * A dataset built to be memorizable: random features and random labels (nothing to generalize, so
 * the target model can only memorize its members).
 */
function memorizable(n: number, d: number, k: number): string {
  let x = 12345;
  const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x / 4294967296; };
  const header = [...Array.from({ length: d }, (_, j) => `f${j}`), 'y'].join(',');
  const rows = Array.from({ length: n }, () => [...Array.from({ length: d }, () => (rnd() * 2 - 1).toFixed(3)), String(Math.floor(rnd() * k))].join(','));
  return [header, ...rows].join('\n') + '\n';
}

t('experiment: the design §6 protocol on a user CSV (scaled split, tiny models), same outputs as the demo', async () => {
  const data = join(dir, 'memorizable.csv');
  writeFileSync(data, memorizable(300, 40, 3));
  const out = join(dir, 'experiment');
  const tiny = ['--target-hidden', '64', '--epochs', '60', '--learning-rate', '0.1', '--batch-size', '16',
    '--defense-hidden', '16', '--defense-epochs', '15', '--attack-hidden', '16', '--attack-epochs', '15', '--attack-seeds', '1', '--threads', '1'];
  const r = await memguard(['experiment', '--features', data, '--label', 'y', '--epsilons', '0,1', '--seed', '3', '--out', out, '--quiet', ...tiny]);
  ok(r, 'experiment');
  assert.match(r.stdout, /^VERDICT, mixing = paper/m);
  const results = parseResults(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.is(results.config.dataset, 'memorizable.csv');
  assert.equal(results.config['splitSizes'], { targetTrain: 59, targetTest: 60, evalNonMembers: 60, shadowTrain: 30, shadowDefenseNonMembers: 30, shadowTest: 30 });
  assert.is(results.published, undefined, 'no paper figures for user data');
  assert.ok((results.models.targetTrain as number) > 0.9, `memorized: train accuracy ${results.models.targetTrain}`);
  const undefended = results.runs.find((x) => x.mixing === 'paper' && x.epsilon === 0)!;
  assert.ok(undefended.attacks['gap']!.accuracy > 0.65, `undefended gap attack ${undefended.attacks['gap']!.accuracy}`);
  assert.ok(results.verdict!.tables[0]!.rows[0]!.metrics.accuracy!.value > 0.65, 'the verdict sees it');
  for (const run of results.runs) assert.is(run.labelLoss, 0, `label loss at eps ${run.epsilon} ${run.mixing}`);
  assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes('<h2>Verdict</h2>'));
  const header = ['member', 'label', 'p0', 'p1', 'p2'].join(',');
  const files = readdirSync(join(out, 'released')).filter((f) => f.endsWith('.csv'));
  const clean = { eval: readScoresCsv(join(out, 'released', 'eval-clean.csv')), shadow: readScoresCsv(join(out, 'released', 'shadow-clean.csv')) };
  assert.is(clean.eval.n, 59 + 60);
  for (const f of files) {
    assert.is(readFileSync(join(out, 'released', f), 'utf8').split('\n', 1)[0], header, `${f}: header`);
    checkReleased(readScoresCsv(join(out, 'released', f)), f.startsWith('shadow') ? clean.shadow : clean.eval, f);
  }

  // A split file too small for its data, and a data file too small for the scaled split, fail clearly.
  writeFileSync(join(dir, 'split.json'), JSON.stringify({ targetTrain: [0, 1] }));
  const bad = await memguard(['experiment', '--features', data, '--label', 'y', '--split', join(dir, 'split.json'), ...tiny]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /split\.json: role targetTrain has 2 rows, at least 10 needed/);
  writeFileSync(join(dir, 'small.csv'), memorizable(50, 4, 2));
  const small = await memguard(['experiment', '--features', join(dir, 'small.csv'), '--label', 'y', ...tiny]);
  assert.is(small.code, 1);
  assert.match(small.stderr, /a dataset of 50 rows is too small for the evaluation protocol's six roles/);
});

t.run();
