// One CSV cell in and out: numbers and indices read strictly (an error names the line and the
// column, e.g. `line 17, column p3: "abc" is not a number`), fields quoted only when needed, and
// float32 values written as the shortest text that reads back bit for bit.
import { MemGuardFormatError } from '../../errors.js';

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Where a cell is, for messages: `file: line 17, column p3`. */
export function cellLocation(source: string, line: number, column: string): string {
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
    throw new MemGuardFormatError(`${cellLocation(source, line, column)}: ${JSON.stringify(cell)} is not a finite number`);
  }
  throw new MemGuardFormatError(`${cellLocation(source, line, column)}: ${JSON.stringify(cell)} is not a number`);
}

/** Parses a non-negative 32-bit integer (a label or an index), or throws naming the cell. */
export function parseIndexCell(cell: string, line: number, column: string, source: string): number {
  const t = cell.trim();
  const v = /^\+?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v) || v > 0x7fffffff) {
    throw new MemGuardFormatError(`${cellLocation(source, line, column)}: ${JSON.stringify(cell)} is not a non-negative integer`);
  }
  return v;
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
