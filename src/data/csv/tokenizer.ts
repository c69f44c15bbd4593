// An incremental RFC 4180 CSV tokenizer: quoted fields, "" escapes, CRLF, newlines inside quotes,
// chunks that end anywhere. It splits records into string fields; what the fields mean is the
// readers' business (table.ts, features.ts, scores.ts). Errors are `MemGuardFormatError`s naming the line.
import { MemGuardFormatError } from '../../errors.js';

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
