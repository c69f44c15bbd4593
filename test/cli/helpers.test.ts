// The CLI's helpers in-process: flag parsing, key decoding, the progress reporter, atomic output.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemGuardInputError } from '../../src/errors.js';
import { parseFlags, parseIntFlag, parseNumberFlag, UsageError, wantsHelp } from '../../src/cli/args.js';
import { atLine } from '../../src/cli/commands/protect.js';
import { AtomicTextWriter, removePendingFiles } from '../../src/cli/io.js';
import { KeyError, keyFromEnv, keyFromFile } from '../../src/cli/key.js';
import { Progress } from '../../src/cli/progress.js';

const t = suite('cli/helpers');
let dir = '';
t.before(() => { dir = mkdtempSync(join(tmpdir(), 'memguard-cli-helpers-')); });
t.after(() => { rmSync(dir, { recursive: true, force: true }); });

function throwsUsage(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, UsageError);
    assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable('expected a UsageError');
}

t('flags: strict parsing, clear messages', () => {
  const spec = { out: { type: 'string' }, quick: { type: 'boolean' } } as const;
  assert.equal(parseFlags('demo', ['--out', 'x', '--quick'], spec), { out: 'x', quick: true });
  throwsUsage(() => parseFlags('demo', ['--nope'], spec), /^unknown option --nope$/);
  throwsUsage(() => parseFlags('demo', ['stray'], spec), /unexpected argument "stray"/);
  throwsUsage(() => parseFlags('demo', ['--out'], spec), /--out needs a value/);
  throwsUsage(() => parseFlags('demo', ['--quick=yes'], spec), /--quick does not take a value/);
  throwsUsage(() => parseFlags('protect', ['--key', 'secret'], spec), /never taken from the command line/);
  assert.ok(wantsHelp(['--x', '-h']));
  assert.not.ok(wantsHelp(['--', '--help']));
  assert.is(parseNumberFlag('p', 'epsilon', 'inf', { min: 0, allowInfinity: true }), Infinity);
  assert.is(parseNumberFlag('p', 'epsilon', '0.25', { min: 0 }), 0.25);
  throwsUsage(() => parseNumberFlag('p', 'epsilon', 'inf', { min: 0 }), /--epsilon must be a number/);
  throwsUsage(() => parseNumberFlag('p', 'epsilon', '-1', { min: 0 }), /--epsilon must be >= 0, got -1/);
  throwsUsage(() => parseNumberFlag('p', 'epsilon', '0x10', { min: 0 }), /must be a number/);
  throwsUsage(() => parseIntFlag('p', 'batch', '1.5', 1), /--batch must be an integer/);
  throwsUsage(() => parseIntFlag('p', 'batch', '0', 1, 10), /between 1 and 10, got 0/);
});

t('key: hex and base64 text, raw key files, length checked, never echoed', () => {
  const bytes = Uint8Array.from({ length: 20 }, (_, i) => i * 7);
  const hex = Buffer.from(bytes).toString('hex');
  assert.equal(keyFromEnv(hex), bytes);
  assert.equal(keyFromEnv(`hex:${hex.toUpperCase()}\n`), bytes);
  assert.equal(keyFromEnv('base64:' + Buffer.from(bytes).toString('base64')), bytes);
  assert.equal(keyFromEnv('base64:' + Buffer.from(bytes).toString('base64url')), bytes);
  const errors: Array<[string, RegExp]> = [
    ['', /set but empty/],
    ['0011', /has 2 bytes; at least 16/],
    ['abc', /odd number of hex digits/],
    ['not a key at all!!', /must be hex digits .* \(the value is not shown\)/],
    ['base64:@@@@', /not valid base64/],
  ];
  for (const [value, message] of errors) {
    try {
      keyFromEnv(value);
      assert.unreachable(`accepted ${JSON.stringify(value)}`);
    } catch (err) {
      assert.instance(err, KeyError);
      assert.match((err as Error).message, message);
      if (value.length > 3) assert.not.ok((err as Error).message.includes(value), 'the key is not echoed');
    }
  }
  const hexFile = join(dir, 'key.hex'), rawFile = join(dir, 'key.bin'), shortFile = join(dir, 'short.bin');
  writeFileSync(hexFile, hex + '\n', { mode: 0o600 });
  const raw = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 200) & 0xff);
  writeFileSync(rawFile, raw, { mode: 0o644 });
  writeFileSync(shortFile, raw.subarray(0, 8));
  const warnings: string[] = [];
  assert.equal(keyFromFile(hexFile, (m) => warnings.push(m)), bytes);
  assert.equal(warnings, []);
  assert.equal(keyFromFile(rawFile, (m) => warnings.push(m)), raw);
  if (process.platform !== 'win32') {
    assert.match(warnings[0] ?? '', /can be read by every user \(mode 644\)/);
    // A Kubernetes Secret mounted 0440 for the pod's fsGroup (deploy/): no warning; group-writable: one.
    chmodSync(hexFile, 0o440);
    keyFromFile(hexFile, (m) => warnings.push(m));
    assert.is(warnings.length, 1, warnings.join('\n'));
    chmodSync(hexFile, 0o660);
    keyFromFile(hexFile, (m) => warnings.push(m));
    assert.match(warnings[1] ?? '', /can be changed by its group \(mode 660\)/);
  }
  assert.throws(() => keyFromFile(shortFile), /has 8 bytes; at least 16/);
});

/** A stand-in for process.stderr. */
function fakeStream(isTTY: boolean, columns?: number): NodeJS.WriteStream & { text: string } {
  const s = { text: '', isTTY, columns, write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

t('progress: a redrawn bar on a terminal, one line per stage otherwise, nothing when quiet', () => {
  const tty = fakeStream(true, 80);
  const bar = new Progress({ stream: tty, interval: 0 });
  for (let e = 1; e <= 4; e++) bar.update('train', e, 4);
  bar.update('phase I', 0, 1);
  bar.finish();
  assert.is(bar.mode, 'bar');
  assert.not.ok(tty.text.includes('\n'), 'a terminal gets one line, redrawn');
  assert.match(tty.text, /\r\x1b\[2Ktrain {2}\[#{10}\.{10}\] {2}2\/4 {2}[\d.]+ s, ETA [\d.]+ s/);
  assert.match(tty.text, /4\/4/);
  assert.ok(tty.text.endsWith('\r\x1b[2K'), 'the bar is cleared at the end');
  const line = bar.render('a very long stage name that does not fit at all', 3, 10, 1.5);
  assert.ok(line.length <= 79, line);
  assert.match(line, /3\/10 {2}1\.50 s, ETA 3\.50 s$/);

  const pipe = fakeStream(false);
  const lines = new Progress({ stream: pipe });
  for (let e = 1; e <= 4; e++) lines.update('train', e, 4);
  lines.update('phase I', 1, 1);
  lines.update('train', 4, 4);
  assert.is(lines.mode, 'lines');
  assert.is(pipe.text.split('\n').filter(Boolean).length, 2, pipe.text);

  // With the whole job's share: the time left in all, on the bar and every tenth on a pipe.
  const whole = fakeStream(true, 200);
  const wholeBar = new Progress({ stream: whole, interval: 0 });
  wholeBar.update('train', 1, 4, 0.25);
  assert.match(whole.text, /1\/4 {2}[\d.]+ s, ETA [\d.]+ s, about [\d.]+ s left in all$/);
  const wholePipe = fakeStream(false);
  const tenths = new Progress({ stream: wholePipe });
  for (const f of [0, 0.05, 0.12, 0.15, 0.34, 1]) tenths.update(f < 0.3 ? 'train' : 'attack', 1, 4, f);
  const wholeLines = wholePipe.text.split('\n').filter(Boolean);
  assert.equal(wholeLines.map((l) => l.replace(/^\[[^\]]*\] /, '').replace(/, about .*/, '')),
    ['train', '10 % of the whole run', 'attack', '30 % of the whole run'], wholePipe.text);
  assert.ok(wholeLines.slice(1).every((l) => / left in all$/.test(l)), wholePipe.text);

  const quiet = fakeStream(true, 80);
  const off = new Progress({ stream: quiet, quiet: true });
  off.update('train', 1, 4);
  off.log('hello');
  off.finish();
  assert.is(quiet.text, '');
});

t('atomic writer: nothing at the path until close; abort and interruption leave nothing', async () => {
  const path = join(dir, 'out', 'file.csv');
  const w = await AtomicTextWriter.open(path);
  await w.write('a,b\n');
  assert.not.ok(existsSync(path));
  await w.close();
  assert.is(readFileSync(path, 'utf8'), 'a,b\n');
  const w2 = await AtomicTextWriter.open(path);
  await w2.write('partial\n');
  await w2.abort();
  assert.is(readFileSync(path, 'utf8'), 'a,b\n', 'abort leaves the old file');
  const interrupted = await AtomicTextWriter.open(join(dir, 'out', 'other.csv'));
  removePendingFiles(); // what the SIGINT/SIGTERM handler does before the process exits
  assert.equal(readdirSync(join(dir, 'out')), ['file.csv']);
  await interrupted.abort(); // this process goes on: release the handle the exit would have closed
});

t("protect's batch-relative errors name the file line and column", () => {
  const lines = [5, 9, 14];
  const mapped = (msg: string) => (atLine(new MemGuardInputError(msg), lines, 'in.csv') as Error).message;
  assert.is(mapped('protect: row 1 sums to 1.5; probabilities must sum to 1 (within 0.001)'),
    'in.csv: line 9 sums to 1.5; probabilities must sum to 1 (within 0.001)');
  assert.is(mapped("protect: row 2, column 3 is 1.5; probabilities must be in [0, 1] (pass input: 'logits' for logits)"),
    'in.csv: line 14, column p3 is 1.5; probabilities must be in [0, 1] (use --logits for logits)');
  assert.is(mapped('protect (logits): row 0, column 1 is NaN (must be finite)'), 'in.csv: line 5, column p1 is NaN (must be finite)');
  assert.is(mapped('coin: something else'), 'coin: something else');
  const other = new Error('x');
  assert.is(atLine(other, lines, 'in.csv'), other);
});

t.run();
