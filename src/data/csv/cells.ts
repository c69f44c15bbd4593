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
 * Parses a finite decimal number that stays finite as float32 (no hex, no blanks, no `Infinity`/`NaN`,
 * nothing beyond about 3.4e38), or throws naming the cell.
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
    // Every column read with this is stored as float32: 1e39 is finite here but Infinity there.
    if (Number.isFinite(v) && Number.isFinite(Math.fround(v))) return v;
    const why = Number.isFinite(v) ? ' (beyond float32, about 3.4e38)' : '';
    throw new MemGuardFormatError(`${cellLocation(source, line, column)}: ${JSON.stringify(cell)} is not a finite number${why}`);
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
  F32[0] = f;
  const bits = U32[0]!, mantissa = bits & 0x7fffff, exponent = (bits >>> 23) & 0xff;
  // toPrecision(p) is the nearest p-digit decimal, and p-digit decimals are (p+1)-digit ones too, so
  // it only gets closer to f as p grows; where the set of texts reading back as f is symmetric
  // about f, "reads back" is then monotone in p and the shortest p can be found from the likely
  // one (most float32 need 8 or 9 digits) instead of from 1. It is not symmetric at powers of two
  // (the float spacing halves below), next to them (the double spacing doubles above) and is left
  // to the plain search for subnormals.
  if (mantissa === 0 || mantissa === 0x7fffff || exponent === 0) return shortestUpward(f);
  const s8 = f.toPrecision(8);
  if (Math.fround(Number(s8)) !== f) {
    const s9 = f.toPrecision(9);
    return Math.fround(Number(s9)) === f ? s9 : String(f);
  }
  let best = s8;
  for (let p = 7; p >= 1; p--) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) !== f) return best;
    best = s;
  }
  return best;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The first of toPrecision(1..9) that reads back as the float32 `f`. */
function shortestUpward(f: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return s;
  }
  return String(f);
}
