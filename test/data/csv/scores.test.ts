import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MemGuardFormatError } from '../../../src/errors.js';
import {
  formatScoresCsv, parseScoresCsv, readScoresCsv, readScoresCsvBatches, ScoresCsvWriter, writeScoresCsv, type ScoresTable,
} from '../../../src/data/csv/scores.js';
import { readCsvBatches } from '../../../src/data/csv/stream.js';
import { randomArray, throwsTyped } from '../../helpers.js';

const t = suite('data/csv/scores');
let dir = '';
t.before(() => { dir = mkdtempSync(join(tmpdir(), 'memguard-scores-')); });
t.after(() => { rmSync(dir, { recursive: true, force: true }); });

function sampleTable(n: number, k: number, seed: number): ScoresTable {
  const vectors = randomArray(n * k, seed, 0, 1);
  return {
    vectors, n, k,
    member: Uint8Array.from({ length: n }, (_, i) => i % 2),
    label: Int32Array.from({ length: n }, (_, i) => i % k),
    passthrough: {
      columns: ['id', 'note'],
      values: Array.from({ length: n }, (_, i) => [`q${i}`, i === 1 ? 'has "quotes", commas\nand a newline' : ` padded ${i} `]),
    },
  };
}

t('scores CSV: header layout and an exact round trip', () => {
  const tab = sampleTable(5, 3, 17);
  const text = formatScoresCsv(tab);
  assert.is(text.split('\n')[0], 'id,note,member,label,p0,p1,p2');
  const back = parseScoresCsv(text);
  assert.is(back.n, 5);
  assert.is(back.k, 3);
  assert.equal(Array.from(back.vectors), Array.from(tab.vectors)); // bit-exact float32
  assert.equal(Array.from(back.member!), Array.from(tab.member!));
  assert.equal(Array.from(back.label!), Array.from(tab.label!));
  assert.equal(back.passthrough, tab.passthrough);
  // Only p-columns: no member/label arrays, header is just p0..p{k-1}.
  const bare = formatScoresCsv({ vectors: new Float32Array([0.25, 0.75]), n: 1, k: 2, passthrough: { columns: [], values: [] } });
  assert.is(bare, 'p0,p1\n0.25,0.75\n');
  const parsedBare = parseScoresCsv(bare);
  assert.is(parsedBare.member, undefined);
  assert.is(parsedBare.label, undefined);
  // Columns in any order; p-columns mapped by index.
  const shuffled = parseScoresCsv('p1,label,p0,pid\n0.75,1,0.25,x\n');
  assert.equal(Array.from(shuffled.vectors), [0.25, 0.75]);
  assert.equal(shuffled.passthrough, { columns: ['pid'], values: [['x']] });
});

t('scores CSV errors name the line and the column', () => {
  const rows = ['member,label,p0,p1'];
  for (let i = 2; i <= 16; i++) rows.push('1,0,0.5,0.5');
  rows.push('0,1,0.5,abc');
  throwsTyped(() => parseScoresCsv(rows.join('\n') + '\n'), MemGuardFormatError, /^line 17, column p1: "abc" is not a number$/);
  // A quoted newline earlier shifts the physical line number.
  throwsTyped(() => parseScoresCsv('id,p0,p1\n"a\nb",0.5,0.5\nc,0.5,\n'), MemGuardFormatError, /line 4, column p1: "" is not a number/);
  throwsTyped(() => parseScoresCsv('member,p0,p1\nyes,0.5,0.5\n'), MemGuardFormatError, /line 2, column member: "yes" is not 0 or 1/);
  throwsTyped(() => parseScoresCsv('label,p0,p1\n2,0.5,0.5\n'), MemGuardFormatError, /line 2, column label: label 2 is out of range for 2 classes/);
  throwsTyped(() => parseScoresCsv('p0,p2\n0.5,0.5\n'), MemGuardFormatError, /line 1: column p1 is missing/);
  throwsTyped(() => parseScoresCsv('member,label\n1,0\n'), MemGuardFormatError, /no probability columns/);
  throwsTyped(() => parseScoresCsv('p0,p1\n0.5,0.5,0.1\n'), MemGuardFormatError, /line 2: expected 2 fields, found 3/);
});

t('writeScoresCsv writes atomically and leaves no temporary file', () => {
  const path = join(dir, 'out.csv');
  writeFileSync(path, 'old contents');
  const tab = sampleTable(20, 4, 5);
  writeScoresCsv(path, tab);
  assert.is(readFileSync(path, 'utf8'), formatScoresCsv(tab));
  assert.equal(Array.from(readScoresCsv(path).vectors), Array.from(tab.vectors));
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  // A failing write leaves nothing behind.
  assert.throws(() => writeScoresCsv(join(dir, 'missing-folder', 'y.csv'), tab), /ENOENT/);
  // The rename fails (a folder is in the way): the temporary file is removed.
  mkdirSync(join(dir, 'a-folder'));
  assert.throws(() => writeScoresCsv(join(dir, 'a-folder'), tab), /EISDIR|EEXIST|ENOTEMPTY|EPERM/);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

t('streaming: batches of parsed rows, plain or gzipped, with line-numbered errors', async () => {
  const tab = sampleTable(2500, 3, 9);
  const text = formatScoresCsv(tab);
  const plain = join(dir, 'big.csv'), gz = join(dir, 'big.csv.gz');
  writeFileSync(plain, text);
  writeFileSync(gz, gzipSync(text));
  for (const path of [plain, gz]) {
    const sizes: number[] = [], firsts: number[] = [];
    const vec: number[] = [];
    for await (const b of readScoresCsvBatches(path, { batchSize: 1000 })) {
      sizes.push(b.n); firsts.push(b.firstRow);
      vec.push(...b.vectors);
      assert.is(b.passthrough.values[0]![0], `q${b.firstRow}`);
    }
    assert.equal(sizes, [1000, 1000, 500]);
    assert.equal(firsts, [0, 1000, 2000]);
    assert.equal(vec, Array.from(tab.vectors));
  }
  // An async iterable source split at awkward places (inside multi-byte characters too).
  const bytes = Buffer.from('h,"é\n"\n1,"ü,x"\n', 'utf8');
  async function* drip() { for (const b of bytes) yield Uint8Array.of(b); }
  const batches: string[][][] = [];
  for await (const b of readCsvBatches(drip(), { batchSize: 1 })) batches.push(b.rows);
  assert.equal(batches, [[['1', 'ü,x']]]);
  // The physical line of a bad cell in a later batch. Row 1500 sits on line 1502 (header + quoted newline in row 1).
  const lines = text.split('\n');
  const bad = lines.slice();
  bad[1502] = bad[1502]!.replace(/,[^,]*$/, ',oops');
  writeFileSync(plain, bad.join('\n'));
  let caught: unknown;
  try {
    for await (const _ of readScoresCsvBatches(plain, { batchSize: 1000 })) { /* drain */ }
  } catch (err) { caught = err; }
  assert.instance(caught, MemGuardFormatError);
  assert.match((caught as Error).message, /big\.csv: line 1503, column p2: "oops" is not a number/);
});

t('ScoresCsvWriter: nothing at the path until close; abort leaves nothing', async () => {
  const path = join(dir, 'stream.csv');
  const a = sampleTable(7, 3, 1), b = sampleTable(4, 3, 2);
  const w = await ScoresCsvWriter.open(path, { k: 3, member: true, label: true, passthrough: ['id', 'note'] });
  await w.write(a);
  await w.write(b);
  assert.not.ok(existsSync(path), 'not visible before close');
  await w.close();
  const back = readScoresCsv(path);
  assert.is(back.n, 11);
  assert.equal(Array.from(back.vectors), [...a.vectors, ...b.vectors]);
  const w2 = await ScoresCsvWriter.open(join(dir, 'aborted.csv'), { k: 3 });
  let layoutError: unknown;
  try { await w2.write(a); } catch (err) { layoutError = err; }
  assert.match(String(layoutError), /batch layout .* differs/);
  await w2.abort();
  assert.not.ok(existsSync(join(dir, 'aborted.csv')));
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

t('streaming a missing file rejects with ENOENT (the process does not crash on an unhandled stream error)', async () => {
  const missing = join(tmpdir(), `memguard-missing-${process.pid}.csv`);
  let error: unknown;
  try {
    for await (const _ of readCsvBatches(missing)) assert.unreachable('no batch expected');
  } catch (err) {
    error = err;
  }
  assert.is((error as NodeJS.ErrnoException)?.code, 'ENOENT');
  await new Promise((resolve) => setTimeout(resolve, 50)); // an orphaned stream's 'error' would fire by now
});

t.run();
