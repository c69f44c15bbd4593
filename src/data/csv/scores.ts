// Scores tables: confidence vectors as CSV (`p0..p{k-1}` plus optional `member`, `label` and
// pass-through columns), read whole or in streamed batches, and written whole or batch by batch,
// always through a temporary file and a rename. Every format problem is a `MemGuardFormatError`
// naming the line and the column.
import { open as openFile, rename as renameAsync, rm as rmAsync, type FileHandle } from 'node:fs/promises';
import { check, MemGuardFormatError } from '../../errors.js';
import { readTextFile, tempPathFor, writeFileAtomic } from '../files.js';
import { cellLocation, formatFloat32, parseIndexCell, parseNumberCell, quoteCsvField } from './cells.js';
import { Growable } from './growable.js';
import { readCsvBatches, type CsvSource } from './stream.js';
import { checkHeader, widthChecker } from './table.js';
import { CsvTokenizer } from './tokenizer.js';

/**
 * Released (or raw) confidence vectors as a table: `vectors` is row-major `n x k` (column `p{j}` of
 * the file is entry `j`). `member` (1 = member) and `label` are present when the file has those
 * columns; every other column passes through untouched as strings.
 *
 * @example
 * const t: ScoresTable = parseScoresCsv('id,member,p0,p1\nq1,1,0.9,0.1\n');
 * console.log(t.vectors, t.member, t.passthrough.columns); // Float32Array [0.9, 0.1] Uint8Array [1] ['id']
 */
export interface ScoresTable {
  vectors: Float32Array;
  n: number;
  k: number;
  member?: Uint8Array;
  label?: Int32Array;
  passthrough: { columns: string[]; values: string[][] };
}

/** Where each kind of column sits in a scores header. */
interface ScoresLayout {
  header: string[];
  k: number;
  /** Column position of `p{j}`, by j. */
  pAt: Int32Array;
  memberAt: number;
  labelAt: number;
  passAt: number[];
}

const P_COLUMN = /^p(0|[1-9]\d*)$/;

function scoresLayout(header: string[], line: number, source: string): ScoresLayout {
  checkHeader(header, line, source);
  const pre = source ? source + ': ' : '';
  const byIndex = new Map<number, number>();
  let memberAt = -1, labelAt = -1;
  const passAt: number[] = [];
  header.forEach((name, j) => {
    const m = P_COLUMN.exec(name);
    if (m) byIndex.set(Number(m[1]), j);
    else if (name === 'member') memberAt = j;
    else if (name === 'label') labelAt = j;
    else passAt.push(j);
  });
  const k = byIndex.size;
  if (k === 0) throw new MemGuardFormatError(`${pre}line ${line}: no probability columns (expected p0, p1, ...)`);
  const pAt = new Int32Array(k);
  for (let j = 0; j < k; j++) {
    const at = byIndex.get(j);
    if (at === undefined) {
      throw new MemGuardFormatError(`${pre}line ${line}: column p${j} is missing (found ${k} p-columns, expected p0..p${k - 1})`);
    }
    pAt[j] = at;
  }
  return { header, k, pAt, memberAt, labelAt, passAt };
}

function parseMemberCell(cell: string, line: number, source: string): number {
  const t = cell.trim();
  if (t === '1') return 1;
  if (t === '0') return 0;
  throw new MemGuardFormatError(`${cellLocation(source, line, 'member')}: ${JSON.stringify(cell)} is not 0 or 1`);
}

/** Accumulates rows of a scores file into a `ScoresTable`. */
class ScoresBuilder {
  private vectors: Growable<Float32Array>;
  private members: number[] = [];
  private labels: number[] = [];
  private pass: string[][] = [];
  n = 0;

  constructor(private readonly layout: ScoresLayout, private readonly source: string, expectRows = 0) {
    this.vectors = new Growable(new Float32Array(expectRows * layout.k), (m) => new Float32Array(m));
  }

  add(fields: string[], line: number): void {
    const { header, k, pAt, memberAt, labelAt, passAt } = this.layout;
    widthChecker(this.source)(fields, line, header.length);
    this.vectors.reserve(k);
    const v = this.vectors.data;
    const o = this.vectors.length;
    for (let j = 0; j < k; j++) v[o + j] = parseNumberCell(fields[pAt[j]!]!, line, header[pAt[j]!]!, this.source);
    this.vectors.length = o + k;
    if (memberAt >= 0) this.members.push(parseMemberCell(fields[memberAt]!, line, this.source));
    if (labelAt >= 0) {
      const y = parseIndexCell(fields[labelAt]!, line, 'label', this.source);
      if (y >= k) {
        throw new MemGuardFormatError(`${cellLocation(this.source, line, 'label')}: label ${y} is out of range for ${k} classes (p0..p${k - 1})`);
      }
      this.labels.push(y);
    }
    if (passAt.length > 0) this.pass.push(passAt.map((j) => fields[j]!));
    this.n++;
  }

  build(): ScoresTable {
    const { header, k, memberAt, labelAt, passAt } = this.layout;
    const table: ScoresTable = {
      vectors: this.vectors.view(),
      n: this.n,
      k,
      passthrough: { columns: passAt.map((j) => header[j]!), values: passAt.length > 0 ? this.pass : [] },
    };
    if (memberAt >= 0) table.member = Uint8Array.from(this.members);
    if (labelAt >= 0) table.label = Int32Array.from(this.labels);
    return table;
  }
}

/**
 * Parses a scores CSV (`p0..p{k-1}`, optional `member`, `label`, anything else passes through).
 *
 * @example
 * const t = parseScoresCsv('p0,p1,p2\n0.7,0.2,0.1\n0.1,0.3,0.6\n');
 * console.log(t.n, t.k); // 2 3
 */
export function parseScoresCsv(text: string, options: { source?: string } = {}): ScoresTable {
  const source = options.source ?? '';
  let builder: ScoresBuilder | undefined;
  const tok = new CsvTokenizer((fields, line) => {
    if (builder === undefined) builder = new ScoresBuilder(scoresLayout(fields, line, source), source);
    else builder.add(fields, line);
  }, source);
  tok.push(text);
  tok.end();
  if (builder === undefined) throw new MemGuardFormatError(`${source ? source + ': ' : ''}the file is empty`);
  return builder.build();
}

/**
 * Reads a scores CSV file (optionally gzipped). See `parseScoresCsv`.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * import { writeFileSync } from 'node:fs';
 * writeFileSync(join(dir, 'scores.csv'), 'p0,p1\n0.9,0.1\n');
 * console.log(readScoresCsv(join(dir, 'scores.csv')).vectors); // Float32Array [0.9, 0.1]
 */
export function readScoresCsv(path: string): ScoresTable {
  return parseScoresCsv(readTextFile(path), { source: path });
}

function validateScoresTable(t: ScoresTable): void {
  check(Number.isInteger(t.k) && t.k > 0, () => `scores table: k must be a positive integer, got ${t.k}`);
  check(Number.isInteger(t.n) && t.n >= 0, () => `scores table: n must be a non-negative integer, got ${t.n}`);
  check(t.vectors.length === t.n * t.k, () => `scores table: vectors has ${t.vectors.length} entries, expected n*k = ${t.n}*${t.k}`);
  check(!t.member || t.member.length === t.n, () => `scores table: member has ${t.member!.length} entries, expected ${t.n}`);
  check(!t.label || t.label.length === t.n, () => `scores table: label has ${t.label!.length} entries, expected ${t.n}`);
  const pass = t.passthrough ?? { columns: [], values: [] };
  check(pass.columns.length === 0 || pass.values.length === t.n,
    () => `scores table: passthrough has ${pass.values.length} rows, expected ${t.n}`);
  for (const name of pass.columns) {
    check(!P_COLUMN.test(name) && name !== 'member' && name !== 'label',
      () => `scores table: passthrough column ${JSON.stringify(name)} collides with a reserved column name`);
  }
}

/**
 * The header `writeScoresCsv` uses: pass-through columns, then `member`, `label` (when present), then `p0..p{k-1}`.
 *
 * @example
 * console.log(scoresCsvHeader({ k: 3, member: true, label: true })); // ['member', 'label', 'p0', 'p1', 'p2']
 */
export function scoresCsvHeader(layout: { k: number; member?: boolean; label?: boolean; passthrough?: readonly string[] }): string[] {
  const h = [...(layout.passthrough ?? [])];
  if (layout.member) h.push('member');
  if (layout.label) h.push('label');
  for (let j = 0; j < layout.k; j++) h.push(`p${j}`);
  return h;
}

function formatScoresRows(t: ScoresTable): string {
  validateScoresTable(t);
  const pass = t.passthrough ?? { columns: [], values: [] };
  const parts: string[] = [];
  const cells: string[] = [];
  for (let i = 0; i < t.n; i++) {
    cells.length = 0;
    if (pass.columns.length > 0) {
      const row = pass.values[i]!;
      check(row.length === pass.columns.length,
        () => `scores table: passthrough row ${i} has ${row.length} values, expected ${pass.columns.length}`);
      for (const s of row) cells.push(quoteCsvField(s));
    }
    if (t.member) cells.push(t.member[i] ? '1' : '0');
    if (t.label) cells.push(String(t.label[i]));
    const o = i * t.k;
    for (let j = 0; j < t.k; j++) cells.push(formatFloat32(t.vectors[o + j]!));
    parts.push(cells.join(','));
  }
  return parts.length > 0 ? parts.join('\n') + '\n' : '';
}

/**
 * Formats a scores table as CSV text, header included.
 *
 * @example
 * const text = formatScoresCsv({ vectors: new Float32Array([0.75, 0.25]), n: 1, k: 2, passthrough: { columns: [], values: [] } });
 * console.log(text); // 'p0,p1\n0.75,0.25\n'
 */
export function formatScoresCsv(t: ScoresTable): string {
  validateScoresTable(t);
  const header = scoresCsvHeader({ k: t.k, member: !!t.member, label: !!t.label, passthrough: t.passthrough?.columns });
  return header.map(quoteCsvField).join(',') + '\n' + formatScoresRows(t);
}

/**
 * Writes a scores table as CSV (header `member,label,p0,...`), atomically.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * writeScoresCsv(join(dir, 'released.csv'), parseScoresCsv('member,label,p0,p1\n1,0,0.9,0.1\n'));
 */
export function writeScoresCsv(path: string, t: ScoresTable): void {
  writeFileAtomic(path, formatScoresCsv(t));
}

/**
 * A batch of a streamed scores CSV; `firstRow` is the 0-based data-row index of its first row.
 *
 * @example
 * async function* text() { yield 'p0,p1\n0.9,0.1\n0.4,0.6\n'; }
 * for await (const batch of readScoresCsvBatches(text(), { batchSize: 1 })) {
 *   const b: ScoresBatch = batch;
 *   console.log(b.firstRow, b.lines, b.vectors);
 * }
 */
export interface ScoresBatch extends ScoresTable {
  firstRow: number;
  /** The line number of each row in the file. */
  lines: number[];
}

/**
 * Streams a scores CSV (`p0..p{k-1}`, optional `member`/`label`, pass-through columns) in batches:
 * the reader behind `memguard protect` on files too large to load at once. A file with a header but
 * no rows yields no batch.
 *
 * @example
 * async function* text() { yield 'id,p0,p1\nq1,0.9,0.1\nq2,0.4,0.6\n'; }
 * for await (const { vectors, n, passthrough } of readScoresCsvBatches(text(), { batchSize: 512 })) {
 *   console.log(n, vectors, passthrough.values); // protect `vectors`, write them back with the ids
 * }
 */
export async function* readScoresCsvBatches(source: CsvSource, options: { batchSize?: number; source?: string } = {}): AsyncGenerator<ScoresBatch> {
  const name = options.source ?? (typeof source === 'string' ? source : '');
  let layout: ScoresLayout | undefined;
  let firstRow = 0;
  for await (const batch of readCsvBatches(source, { batchSize: options.batchSize, source: name })) {
    layout ??= scoresLayout(batch.header, 1, name);
    const b = new ScoresBuilder(layout, name, batch.rows.length);
    for (let i = 0; i < batch.rows.length; i++) b.add(batch.rows[i]!, batch.lines[i]!);
    const t = b.build();
    yield { ...t, firstRow, lines: batch.lines };
    firstRow += t.n;
  }
}

/**
 * Writes a scores CSV batch by batch into a temporary file next to `path`; `close()` renames it
 * into place, `abort()` deletes it. Until `close()` succeeds, `path` is untouched.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * const w = await ScoresCsvWriter.open(join(dir, 'out.csv'), { k: 2, member: true });
 * try {
 *   await w.write({ vectors: new Float32Array([0.9, 0.1]), n: 1, k: 2, member: new Uint8Array([1]), passthrough: { columns: [], values: [] } });
 *   await w.close();   // renames the temporary file into place
 * } catch (e) {
 *   await w.abort();   // nothing is left at out.csv
 *   throw e;
 * }
 */
export class ScoresCsvWriter {
  private done = false;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly handle: FileHandle,
    readonly layout: { k: number; member: boolean; label: boolean; passthrough: string[] },
  ) {}

  /** Opens the temporary file and writes the header. */
  static async open(path: string, layout: { k: number; member?: boolean; label?: boolean; passthrough?: readonly string[] }): Promise<ScoresCsvWriter> {
    check(Number.isInteger(layout.k) && layout.k > 0, () => `ScoresCsvWriter: k must be a positive integer, got ${layout.k}`);
    const full = { k: layout.k, member: !!layout.member, label: !!layout.label, passthrough: [...(layout.passthrough ?? [])] };
    const tmp = tempPathFor(path);
    const handle = await openFile(tmp, 'w');
    const w = new ScoresCsvWriter(path, tmp, handle, full);
    try {
      await handle.write(scoresCsvHeader(full).map(quoteCsvField).join(',') + '\n');
    } catch (err) {
      await w.abort();
      throw err;
    }
    return w;
  }

  /** Appends the rows of `t`, which must have this writer's layout. */
  async write(t: ScoresTable): Promise<void> {
    check(!this.done, () => `ScoresCsvWriter(${this.path}): write after close/abort`);
    const l = this.layout;
    const cols = t.passthrough?.columns ?? [];
    check(t.k === l.k && !!t.member === l.member && !!t.label === l.label
      && cols.length === l.passthrough.length && cols.every((c, j) => c === l.passthrough[j]),
    () => `ScoresCsvWriter(${this.path}): batch layout (k=${t.k}, member=${!!t.member}, label=${!!t.label}, passthrough=[${cols}]) `
      + `differs from the file's (k=${l.k}, member=${l.member}, label=${l.label}, passthrough=[${l.passthrough}])`);
    await this.handle.write(formatScoresRows(t));
  }

  /** Flushes, closes and renames the file into place. */
  async close(): Promise<void> {
    check(!this.done, () => `ScoresCsvWriter(${this.path}): already closed`);
    this.done = true;
    try {
      await this.handle.sync();
      await this.handle.close();
      await renameAsync(this.tmp, this.path);
    } catch (err) {
      await rmAsync(this.tmp, { force: true });
      throw err;
    }
  }

  /** Discards everything written; `path` is left as it was. Safe to call more than once. */
  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.handle.close().catch(() => undefined);
    }
    await rmAsync(this.tmp, { force: true });
  }
}
