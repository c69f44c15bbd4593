// CSV as a table of strings: a header (checked for duplicate names) and rows of the header's width,
// each with its line number; the base the feature, scores and streaming readers build on.
import { MemGuardFormatError } from '../../errors.js';
import { quoteCsvField } from './cells.js';
import { CsvTokenizer, type RecordSink } from './tokenizer.js';

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

/** A check that a record has the header's width, naming the line when it has not. */
export function widthChecker(source: string): (fields: string[], line: number, width: number) => void {
  return (fields, line, width) => {
    if (fields.length !== width) {
      throw new MemGuardFormatError(
        `${source ? source + ': ' : ''}line ${line}: expected ${width} fields, found ${fields.length}`,
      );
    }
  };
}

/** Throws on a duplicate column name in a header. */
export function checkHeader(header: string[], line: number, source: string): void {
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
export function dataRows(hasHeader: boolean, source: string, onRow: (header: string[], fields: string[], line: number) => void) {
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
