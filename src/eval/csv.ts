// CSV in and out: an incremental RFC 4180 tokenizer (quoted fields, "" escapes, CRLF, newlines
// inside quotes), feature tables (features + a label column), confidence-vector tables
// (`p0..p{k-1}` plus optional `member`, `label` and pass-through columns), a streaming batch reader
// for large files, and writers that go through a temporary file and a rename so a crash never leaves
// a half-written output behind. Every format problem is a `MemGuardFormatError` naming the line and
// the column, e.g. `line 17, column p3: "abc" is not a number`.
import { closeSync, createReadStream, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open as openFile, rename as renameAsync, rm as rmAsync, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { check, MemGuardFormatError } from '../errors.js';

// ---------------------------------------------------------------------------------------------
// Tokenizer

const QUOTE = 34, COMMA = 44, LF = 10, CR = 13;
const enum State { FieldStart, Unquoted, Quoted, QuoteInQuoted }

/**
 * Called once per record with its fields and the (1-based) line the record starts on.
 *
 * @example
 * const sink: RecordSink = (fields, line) => console.log(line, fields);
 * const tok = new CsvTokenizer(sink);
 * tok.push('a,b\n1,2\n');
 * tok.end();
 */
export type RecordSink = (fields: string[], line: number) => void;

/**
 * Incremental CSV tokenizer. Feed it text in chunks of any size (a chunk may end anywhere, even
 * inside a quoted field or between CR and LF); it calls `sink` once per record. Blank lines are
 * skipped. A leading byte-order mark is dropped.
 *
 * @example
 * const rows: string[][] = [];
 * const tok = new CsvTokenizer((fields) => rows.push(fields));
 * tok.push('a,"b,c"\n1,'); tok.push('2\n'); tok.end();   // rows = [['a', 'b,c'], ['1', '2']]
 */
export class CsvTokenizer {
  private state = State.FieldStart;
  private field = '';
  private record: string[] = [];
  private line = 1;
  private recordLine = 1;
  private started = false;
  private quoted = false;
  private skipLF = false;
  private quotedCR = false;
  private first = true;

  constructor(private readonly sink: RecordSink, private readonly source = '') {}

  /** Tokenizes one more chunk of text. */
  push(chunk: string): void {
    let i = 0;
    const n = chunk.length;
    if (this.first && n > 0) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    let q = -2; // position of the next quote at or after i (-1: none left in this chunk; -2: unknown)
    while (i < n) {
      if (this.skipLF) {
        this.skipLF = false;
        if (chunk.charCodeAt(i) === LF) { i++; continue; }
      }
      if (!this.started) {
        // Fast path: a whole line without quotes or stray CRs is split natively.
        const nl = chunk.indexOf('\n', i);
        if (nl >= 0) {
          if (q !== -1 && q < i) q = chunk.indexOf('"', i);
          if (q === -1 || q > nl) {
            const end = nl > i && chunk.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
            const text = chunk.slice(i, end);
            if (text.indexOf('\r') < 0) {
              const line = this.line++;
              if (text.length > 0) this.sink(text.split(','), line);
              i = nl + 1;
              continue;
            }
          }
        }
        this.started = true;
        this.recordLine = this.line;
      }
      if (this.state === State.FieldStart) {
        if (chunk.charCodeAt(i) === QUOTE) {
          this.state = State.Quoted;
          this.quoted = true;
          i++;
          continue;
        }
        this.state = State.Unquoted;
      }
      if (this.state === State.Unquoted) {
        let j = i;
        let c = 0;
        while (j < n) {
          c = chunk.charCodeAt(j);
          if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
          j++;
        }
        if (j > i) this.field = this.field === '' ? chunk.slice(i, j) : this.field + chunk.slice(i, j);
        if (j === n) return;
        if (c === QUOTE) throw this.error(`a quote inside an unquoted field (quote the whole field and double the quote: "")`);
        this.endField();
        if (c === COMMA) this.state = State.FieldStart;
        else this.endRecord(c === CR);
        i = j + 1;
      } else if (this.state === State.Quoted) {
        const q = chunk.indexOf('"', i);
        const end = q < 0 ? n : q;
        // Count line breaks inside the quoted field (CRLF once, even when split across chunks).
        for (let j = i; j < end; j++) {
          const c = chunk.charCodeAt(j);
          if (c === CR) { this.line++; this.quotedCR = true; } else {
            if (c === LF && !this.quotedCR) this.line++;
            this.quotedCR = false;
          }
        }
        this.field += chunk.slice(i, end);
        if (q < 0) return;
        this.quotedCR = false;
        this.state = State.QuoteInQuoted;
        i = q + 1;
      } else {
        // State.QuoteInQuoted: the previous character closed the quoted field or starts an escape.
        const c = chunk.charCodeAt(i);
        if (c === QUOTE) {
          this.field += '"';
          this.state = State.Quoted;
        } else if (c === COMMA) {
          this.endField();
          this.state = State.FieldStart;
        } else if (c === LF || c === CR) {
          this.endField();
          this.endRecord(c === CR);
        } else {
          throw this.error(`unexpected ${JSON.stringify(chunk[i])} after a closing quote`);
        }
        i++;
      }
    }
  }

  /** Flushes the last record (a final line without a newline); throws on an unterminated quote. */
  end(): void {
    if (this.state === State.Quoted) {
      throw new MemGuardFormatError(`${this.prefix()}line ${this.recordLine}: unterminated quoted field`);
    }
    if (this.started) {
      this.endField();
      this.endRecord(false);
    }
  }

  private endField(): void {
    this.record.push(this.field);
    this.field = '';
  }

  private endRecord(cr: boolean): void {
    const rec = this.record;
    const line = this.recordLine;
    this.record = [];
    this.state = State.FieldStart;
    this.started = false;
    this.line++;
    this.skipLF = cr;
    const blank = rec.length === 1 && rec[0] === '' && !this.quoted;
    this.quoted = false;
    if (!blank) this.sink(rec, line);
  }

  private prefix(): string {
    return this.source ? `${this.source}: ` : '';
  }

  private error(what: string): MemGuardFormatError {
    return new MemGuardFormatError(`${this.prefix()}line ${this.line}: ${what}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Cells

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function where(source: string, line: number, column: string): string {
  return `${source ? source + ': ' : ''}line ${line}, column ${column}`;
}

/**
 * Parses a finite decimal number (no hex, no blanks, no `Infinity`/`NaN`), or throws naming the cell.
 *
 * @example
 * console.log(parseNumberCell('0.25', 3, 'p1')); // 0.25
 * try { parseNumberCell('abc', 17, 'p3', 'in.csv'); } catch (e) { console.log((e as Error).message); } // in.csv: line 17, column p3: "abc" is not a number
 */
export function parseNumberCell(cell: string, line: number, column: string, source = ''): number {
  if (cell === '0') return 0;
  if (cell === '1') return 1;
  const t = cell.trim();
  if (NUMBER_RE.test(t)) {
    const v = Number(t);
    if (Number.isFinite(v)) return v;
    throw new MemGuardFormatError(`${where(source, line, column)}: ${JSON.stringify(cell)} is not a finite number`);
  }
  throw new MemGuardFormatError(`${where(source, line, column)}: ${JSON.stringify(cell)} is not a number`);
}

function parseIndexCell(cell: string, line: number, column: string, source: string): number {
  const t = cell.trim();
  const v = /^\+?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v) || v > 0x7fffffff) {
    throw new MemGuardFormatError(`${where(source, line, column)}: ${JSON.stringify(cell)} is not a non-negative integer`);
  }
  return v;
}

function parseMemberCell(cell: string, line: number, source: string): number {
  const t = cell.trim();
  if (t === '1') return 1;
  if (t === '0') return 0;
  throw new MemGuardFormatError(`${where(source, line, 'member')}: ${JSON.stringify(cell)} is not 0 or 1`);
}

/**
 * Quotes a field when it contains a comma, quote, CR/LF or surrounding blanks.
 *
 * @example
 * console.log(quoteCsvField('a,b'), quoteCsvField('plain')); // "a,b" plain
 */
export function quoteCsvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/**
 * The shortest decimal string that reads back (through `Math.fround`) as exactly the float32 `x`:
 * CSV written from a `Float32Array` round-trips bit for bit.
 *
 * @example
 * console.log(formatFloat32(Math.fround(0.1))); // '0.1' (reads back as the same float32)
 */
export function formatFloat32(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return s;
  }
  return String(f);
}

// ---------------------------------------------------------------------------------------------
// Whole tables

/**
 * A parsed CSV: the header, the rows (each as long as the header) and each row's line number.
 *
 * @example
 * const table: CsvTable = parseCsv('id,p0\nq1,0.5\n');
 * console.log(table.header, table.rows, table.lines); // ['id', 'p0'] [['q1', '0.5']] [2]
 */
export interface CsvTable {
  header: string[];
  rows: string[][];
  lines: number[];
}

/**
 * How to read a CSV: with or without a header row, and a name for error messages.
 *
 * @example
 * const options: CsvOptions = { header: false, source: 'scores.csv' };
 * console.log(parseCsv('1,2\n3,4\n', options).header); // ['0', '1']
 */
export interface CsvOptions {
  /** The first record is a header (default true). Without one, columns are named `0, 1, ...`. */
  header?: boolean;
  /** A name for messages (usually the file path). */
  source?: string;
}

function widthChecker(source: string): (fields: string[], line: number, width: number) => void {
  return (fields, line, width) => {
    if (fields.length !== width) {
      throw new MemGuardFormatError(
        `${source ? source + ': ' : ''}line ${line}: expected ${width} fields, found ${fields.length}`,
      );
    }
  };
}

function checkHeader(header: string[], line: number, source: string): void {
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      throw new MemGuardFormatError(`${source ? source + ': ' : ''}line ${line}: duplicate column name ${JSON.stringify(name)}`);
    }
    seen.add(name);
  }
}

/**
 * A tokenizer sink that takes the header (or numbers the columns when there is none), checks every
 * row's width against it, and hands each data row on with its line number.
 */
function dataRows(hasHeader: boolean, source: string, onRow: (header: string[], fields: string[], line: number) => void) {
  const checkWidth = widthChecker(source);
  let header: string[] | undefined;
  const sink: RecordSink = (fields, line) => {
    if (header === undefined) {
      if (hasHeader) {
        checkHeader(fields, line, source);
        header = fields;
        return;
      }
      header = fields.map((_, j) => String(j));
    }
    checkWidth(fields, line, header.length);
    onRow(header, fields, line);
  };
  const headerOf = (): string[] => {
    if (header === undefined) throw new MemGuardFormatError(`${source ? source + ': ' : ''}the file is empty`);
    return header;
  };
  return { sink, headerOf };
}

/**
 * Parses CSV text into a header and rows of strings; every row must have the header's width.
 *
 * @example
 * console.log(parseCsv('a,b\n"x, y",2\n').rows); // [['x, y', '2']]
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const source = options.source ?? '';
  const rows: string[][] = [];
  const lines: number[] = [];
  const { sink, headerOf } = dataRows(options.header ?? true, source, (_, fields, line) => { rows.push(fields); lines.push(line); });
  const tok = new CsvTokenizer(sink, source);
  tok.push(text);
  tok.end();
  return { header: headerOf(), rows, lines };
}

/**
 * Formats a header and rows as CSV text (LF line ends, fields quoted only when needed).
 *
 * @example
 * console.log(formatCsv(['id', 'note'], [['1', 'a, b']])); // 'id,note\n1,"a, b"\n'
 */
export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  let out = header.map(quoteCsvField).join(',') + '\n';
  for (const row of rows) out += row.map(quoteCsvField).join(',') + '\n';
  return out;
}

const GZIP_MAGIC0 = 0x1f, GZIP_MAGIC1 = 0x8b;

/**
 * Reads a text file, gunzipping it when it starts with the gzip magic bytes.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * import { writeFileSync } from 'node:fs';
 * writeFileSync(join(dir, 'a.txt'), 'hello');
 * console.log(readTextFile(join(dir, 'a.txt'))); // 'hello' (a .gz file is gunzipped)
 */
export function readTextFile(path: string): string {
  const bytes = readFileSync(path);
  const raw = bytes.length >= 2 && bytes[0] === GZIP_MAGIC0 && bytes[1] === GZIP_MAGIC1 ? gunzipSync(bytes) : bytes;
  return new TextDecoder('utf-8', { fatal: false }).decode(raw);
}

// ---------------------------------------------------------------------------------------------
// Feature tables

/**
 * Numeric features (row-major `n x d`) with an integer label per row.
 *
 * @example
 * const t: FeatureTable = parseFeatureCsv('f1,f2,label\n0,1,2\n');
 * console.log(t.n, t.d, t.featureNames); // 1 2 ['f1', 'f2']
 */
export interface FeatureTable {
  features: Float32Array;
  labels: Int32Array;
  n: number;
  d: number;
  /** Names of the feature columns, in order (from the header, or `"1".."d"` positions without one). */
  featureNames: string[];
}

/**
 * How to read a feature CSV: `CsvOptions` plus which column holds the label.
 *
 * @example
 * const options: FeatureCsvOptions = { header: false, labelColumn: 2 };
 * console.log(parseFeatureCsv('0,1,3\n1,0,4\n', options).labels); // Int32Array [3, 4]
 */
export interface FeatureCsvOptions extends CsvOptions {
  /** The label column: a name (default `"label"`) or a 0-based position (default 0 without a header). */
  labelColumn?: string | number;
}

/** Grows a typed array by doubling; `view()` returns the filled part. */
class Growable<T extends Float32Array | Int32Array> {
  length = 0;
  constructor(public data: T, private readonly make: (n: number) => T) {}
  reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const next = this.make(Math.max(this.data.length * 2, this.length + extra, 1024));
    next.set(this.data.subarray(0, this.length) as never);
    this.data = next;
  }
  view(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * Parses a CSV of numeric features plus an integer label column (non-negative integers).
 *
 * @example
 * parseFeatureCsv('a,b,label\n0,1,2\n1,0.5,0\n')  // { n: 2, d: 2, features: [0,1,1,0.5], labels: [2,0] }
 */
export function parseFeatureCsv(text: string, options: FeatureCsvOptions = {}): FeatureTable {
  const source = options.source ?? '';
  const hasHeader = options.header ?? true;
  const checkWidth = widthChecker(source);
  let header: string[] | undefined;
  let labelAt = -1, d = 0;
  const feats = new Growable(new Float32Array(0), (n) => new Float32Array(n));
  const labels = new Growable(new Int32Array(0), (n) => new Int32Array(n));
  const tok = new CsvTokenizer((fields, line) => {
    if (header === undefined) {
      const named = hasHeader ? fields : fields.map((_, j) => String(j));
      if (hasHeader) checkHeader(fields, line, source);
      const want = options.labelColumn ?? (hasHeader ? 'label' : 0);
      labelAt = typeof want === 'number' ? want : named.indexOf(want);
      if (!(labelAt >= 0 && labelAt < named.length && Number.isInteger(labelAt))) {
        throw new MemGuardFormatError(
          `${source ? source + ': ' : ''}line ${line}: no label column ${JSON.stringify(want)} among ${named.length} columns`,
        );
      }
      header = hasHeader ? fields : named;
      d = header.length - 1;
      if (hasHeader) return;
    }
    checkWidth(fields, line, header.length);
    feats.reserve(d);
    labels.reserve(1);
    const f = feats.data;
    let o = feats.length;
    for (let j = 0; j < fields.length; j++) {
      if (j === labelAt) continue;
      f[o++] = parseNumberCell(fields[j]!, line, header[j]!, source);
    }
    feats.length = o;
    labels.data[labels.length++] = parseIndexCell(fields[labelAt]!, line, header[labelAt]!, source);
  }, source);
  tok.push(text);
  tok.end();
  if (header === undefined) throw new MemGuardFormatError(`${source ? source + ': ' : ''}the file is empty`);
  const featureNames = hasHeader
    ? header.filter((_, j) => j !== labelAt)
    : header.filter((_, j) => j !== labelAt).map((_, j) => String(j + 1));
  return { features: feats.view(), labels: labels.view(), n: labels.length, d, featureNames };
}

/**
 * Reads a feature CSV file (optionally gzipped; detected by its magic bytes). See `parseFeatureCsv`.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * import { writeFileSync } from 'node:fs';
 * writeFileSync(join(dir, 'train.csv'), 'f1,f2,label\n0,1,1\n1,0,0\n');
 * const { features, labels } = readFeatureCsv(join(dir, 'train.csv'));
 */
export function readFeatureCsv(path: string, options: FeatureCsvOptions = {}): FeatureTable {
  return parseFeatureCsv(readTextFile(path), { source: path, ...options });
}

// ---------------------------------------------------------------------------------------------
// Confidence-vector tables

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
        throw new MemGuardFormatError(`${where(this.source, line, 'label')}: label ${y} is out of range for ${k} classes (p0..p${k - 1})`);
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

function tempPathFor(path: string): string {
  const tag = `${process.pid}.${Date.now().toString(36)}${Math.floor(Math.random() * 0x7fffffff).toString(36)}`;
  return join(dirname(path), `.${basename(path)}.${tag}.tmp`);
}

/**
 * Writes `text` to `path` atomically: a temporary file in the same folder, then a rename.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * writeFileAtomic(join(dir, 'report.html'), '<!DOCTYPE html>'); // never half-written
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
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

// ---------------------------------------------------------------------------------------------
// Streaming

/**
 * A file path, or any async stream of text / bytes (e.g. `process.stdin`).
 *
 * @example
 * async function* chunks() { yield 'p0,p1\n0.9,'; yield '0.1\n'; }
 * const source: CsvSource = chunks(); // or a file path, or process.stdin
 * for await (const batch of readScoresCsvBatches(source)) console.log(batch.vectors);
 */
export type CsvSource = string | AsyncIterable<string | Uint8Array>;

function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === GZIP_MAGIC0 && head[1] === GZIP_MAGIC1;
  } finally {
    closeSync(fd);
  }
}

function openSource(source: CsvSource): AsyncIterable<string | Uint8Array> {
  if (typeof source !== 'string') return source;
  // Sniff first: a stream opened before a throwing check would emit an unhandled 'error' and crash.
  const gzip = isGzipFile(source);
  const stream = createReadStream(source);
  return gzip ? stream.pipe(createGunzip()) : stream;
}

/**
 * One batch of a streamed CSV: up to `batchSize` rows with their line numbers.
 *
 * @example
 * async function* text() { yield 'a,b\n1,2\n3,4\n'; }
 * for await (const batch of readCsvBatches(text(), { batchSize: 1 })) {
 *   const b: CsvBatch = batch;
 *   console.log(b.header, b.rows, b.lines); // one row per batch
 * }
 */
export interface CsvBatch {
  header: string[];
  rows: string[][];
  lines: number[];
}

/**
 * How to stream a CSV: `CsvOptions` plus the rows per batch.
 *
 * @example
 * async function* text() { yield '1,2\n3,4\n'; }
 * const options: CsvStreamOptions = { header: false, batchSize: 1000, source: 'stdin' };
 * for await (const batch of readCsvBatches(text(), options)) console.log(batch.rows.length);
 */
export interface CsvStreamOptions extends CsvOptions {
  /** Rows per batch (default 1024). */
  batchSize?: number;
}

/**
 * Streams a CSV in batches of parsed rows without holding the file in memory; memory stays
 * proportional to `batchSize`. Paths may be gzipped (detected by magic bytes).
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * import { writeFileSync } from 'node:fs';
 * writeFileSync(join(dir, 'big.csv'), 'a,b\n' + '1,2\n'.repeat(10000));
 * let rows = 0;
 * for await (const batch of readCsvBatches(join(dir, 'big.csv'), { batchSize: 4096 })) rows += batch.rows.length;
 * console.log(rows); // 10000, read 4096 rows at a time
 */
export async function* readCsvBatches(source: CsvSource, options: CsvStreamOptions = {}): AsyncGenerator<CsvBatch> {
  const name = options.source ?? (typeof source === 'string' ? source : '');
  const batchSize = options.batchSize ?? 1024;
  check(Number.isInteger(batchSize) && batchSize > 0, () => `batchSize must be a positive integer, got ${batchSize}`);
  let rows: string[][] = [];
  let lines: number[] = [];
  const ready: CsvBatch[] = [];
  const { sink, headerOf } = dataRows(options.header ?? true, name, (header, fields, line) => {
    rows.push(fields);
    lines.push(line);
    if (rows.length === batchSize) {
      ready.push({ header, rows, lines });
      rows = [];
      lines = [];
    }
  });
  const tok = new CsvTokenizer(sink, name);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of openSource(source)) {
    tok.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) yield ready.shift()!;
  }
  tok.push(decoder.decode());
  tok.end();
  while (ready.length > 0) yield ready.shift()!;
  const header = headerOf();
  if (rows.length > 0) yield { header, rows, lines };
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
