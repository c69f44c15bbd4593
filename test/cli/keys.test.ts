// The coin's secret key never leaves the process: the CLI is run with a known key (from a file and
// from MEMGUARD_KEY, as hex, base64 and raw bytes) on success and failure paths, and its stdout and
// stderr are searched for the key in every form, including pieces of it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCsv } from '../../src/data/csv/table.js';
import { Mlp } from '../../src/nn/mlp.js';
import { serializeModel } from '../../src/nn/modelFile.js';
import { memguard, type Run } from './memguardCli.js';

// A key with no printable structure; bytes 0x00-0xff so the raw form is not valid UTF-8 text.
const KEY = Uint8Array.from([
  0x9c, 0x3e, 0xf1, 0x07, 0xb2, 0x5d, 0xe8, 0x41, 0x0a, 0xc6, 0x7f, 0x23, 0xd9, 0x88, 0x14, 0x6b,
  0xfe, 0x02, 0x57, 0xa3, 0x39, 0xcd, 0x60, 0x9e, 0x11, 0xb7, 0x4c, 0xea, 0x85, 0x2f, 0xd0, 0x76,
]);
const buf = Buffer.from(KEY);
const HEX = buf.toString('hex'), B64 = buf.toString('base64'), B64URL = buf.toString('base64url');

/** Every 6-byte window of the key in hex (both cases), base64 (std, URL-safe) and raw bytes. */
function leaks(r: Run, key: Uint8Array = KEY): string[] {
  const found: string[] = [];
  const text = r.stdout + r.stderr;
  const b = Buffer.from(key);
  for (let i = 0; i + 6 <= b.length; i++) {
    const piece = b.subarray(i, i + 6);
    const hex = piece.toString('hex');
    if (text.toLowerCase().includes(hex)) found.push(`hex bytes ${i}..${i + 5}`);
    if (r.bytes.includes(piece)) found.push(`raw bytes ${i}..${i + 5}`);
  }
  // base64 of the whole key and of aligned 3-byte groups (what any base64 echo of the key contains).
  for (const form of [b.toString('base64'), b.toString('base64url')]) {
    for (let i = 0; i + 8 <= form.length; i += 4) if (text.includes(form.slice(i, i + 8))) found.push(`base64 chars ${i}..${i + 7}`);
  }
  return found;
}

const t = suite('cli: the key is never echoed');
const dir = mkdtempSync(join(tmpdir(), 'memguard-keys-'));
const k = 4;
const defense = join(dir, 'g.json'), scores = join(dir, 's.csv'), badScores = join(dir, 'bad.csv');

t.before(() => {
  writeFileSync(defense, serializeModel(Mlp.create([k, 8, 1], { head: 'sigmoid', seed: 5 })));
  const rows = [[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.4, 0.1], [0.05, 0.05, 0.05, 0.85]].map((r) => r.map(String));
  writeFileSync(scores, formatCsv(['p0', 'p1', 'p2', 'p3'], rows));
  writeFileSync(badScores, formatCsv(['p0', 'p1', 'p2', 'p3'], [...rows, ['0.5', '0.5', '0.5', 'x']]));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, 0o600);
  return path;
}

t('success and failure paths, key from a file and from MEMGUARD_KEY, in hex, base64 and raw bytes', async () => {
  const files = {
    hex: keyFile('key.hex', HEX + '\n'), b64: keyFile('key.b64', `base64:${B64}\n`), raw: keyFile('key.bin', KEY),
  };
  const out = (name: string) => join(dir, `out-${name}.csv`);
  const base = (o: string, input = scores) => ['protect', '--defense', defense, '--epsilon', '0.5', '--in', input, '--out', o, '--details'];
  const runs: Array<[string, Promise<Run>, 'ok' | 'fail']> = [
    ['env hex', memguard(base(out('a')), { MEMGUARD_KEY: HEX }), 'ok'],
    ['env hex: prefix, upper case', memguard(base(out('b')), { MEMGUARD_KEY: 'hex:' + HEX.toUpperCase() }), 'ok'],
    ['env base64url', memguard(base(out('c')), { MEMGUARD_KEY: 'base64:' + B64URL }), 'ok'],
    ['file hex', memguard([...base(out('d')), '--key-file', files.hex]), 'ok'],
    ['file base64', memguard([...base(out('e')), '--key-file', files.b64]), 'ok'],
    ['file raw', memguard([...base(out('f')), '--key-file', files.raw]), 'ok'],
    ['bad CSV, env key', memguard(base(out('g'), badScores), { MEMGUARD_KEY: HEX }), 'fail'],
    ['bad CSV, file key, debug stack', memguard([...base(out('h'), badScores), '--key-file', files.raw], { MEMGUARD_DEBUG: '1' }), 'fail'],
    ['missing defense, env key', memguard(['protect', '--defense', join(dir, 'none.json'), '--epsilon', '0.5', '--in', scores, '--out', out('i')], { MEMGUARD_KEY: HEX }), 'fail'],
    ['key in argv refused', memguard([...base(out('j')), '--key', HEX]), 'fail'],
    ['key file and seed together', memguard([...base(out('k')), '--key-file', files.hex, '--seed', '1']), 'fail'],
    ['env key with junk', memguard(base(out('l')), { MEMGUARD_KEY: HEX + 'zz' }), 'fail'],
    ['env key odd hex', memguard(base(out('m')), { MEMGUARD_KEY: HEX + 'a' }), 'fail'],
    ['env key bad base64', memguard(base(out('n')), { MEMGUARD_KEY: 'base64:' + B64 + '!' }), 'fail'],
    ['help', memguard(['protect', '--help'], { MEMGUARD_KEY: HEX }), 'ok'],
  ];
  for (const [what, run, want] of runs) {
    const r = await run;
    if (want === 'ok') assert.is(r.code, 0, `${what}: ${r.stderr}`);
    else assert.ok(r.code !== 0, `${what} should fail`);
    assert.equal(leaks(r), [], `${what}: the key appears in the output\n${r.stdout}\n${r.stderr}`);
  }
  // The search finds a key where one is echoed: a file name made of the key's hex is printed back.
  const echoed = await memguard(['protect', '--defense', join(dir, HEX + '.json'), '--epsilon', '0.5', '--in', scores, '--out', out('z')], { MEMGUARD_KEY: HEX });
  assert.ok(leaks(echoed).length > 0, `the leak search missed an echoed key: ${echoed.stderr}`);
  // The six successful runs used the same key: the same released file.
  const first = readdirSync(dir).filter((f) => f.startsWith('out-'));
  assert.ok(first.length >= 6, first.join(' '));
});

t('weak keys are refused without echoing them (too short, one byte value, cancelling blocks)', async () => {
  const short = KEY.subarray(0, 12), same = new Uint8Array(32).fill(0x9c);
  const doubled = new Uint8Array(32); doubled.set(KEY.subarray(0, 16)); doubled.set(KEY.subarray(0, 16), 16);
  const base = ['protect', '--defense', defense, '--epsilon', '0.5', '--in', scores, '--out', join(dir, 'weak.csv')];
  const cases: Array<[string, Uint8Array, Promise<Run>, RegExp]> = [
    ['short env', short, memguard(base, { MEMGUARD_KEY: Buffer.from(short).toString('hex') }), /12 bytes; at least 16/],
    ['short file', short, memguard([...base, '--key-file', keyFile('short.bin', short)]), /12 bytes; at least 16/],
    ['one value env', same, memguard(base, { MEMGUARD_KEY: Buffer.from(same).toString('hex') }), /all have the same value/],
    ['one value file', same, memguard([...base, '--key-file', keyFile('same.bin', same)]), /all have the same value/],
    ['zeros base64', new Uint8Array(16), memguard(base, { MEMGUARD_KEY: 'base64:' + Buffer.alloc(16).toString('base64') }), /all have the same value/],
    ['repeated block', doubled, memguard(base, { MEMGUARD_KEY: Buffer.from(doubled).toString('hex') }), /blocks cancel out/],
  ];
  for (const [what, key, run, why] of cases) {
    const r = await run;
    assert.is(r.code, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, why, what);
    // Windows of 6 bytes: the 12-byte key has 7 of them, the others more.
    const found = key.every((v) => v === key[0]) ? [] : leaks(r, key);
    assert.equal(found, [], `${what}: the key appears in the output\n${r.stderr}`);
    if (key.every((v) => v === key[0])) assert.not.match(r.stderr, /9c9c|0000000000|AAAAAAAA|nJyc/i, what);
  }
});

t.run();
