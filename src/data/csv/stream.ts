// Streaming a CSV in batches of parsed rows, from a path (gzip detected) or any async stream of
// text or bytes, so memory stays proportional to the batch, not the file.
import { check } from '../../errors.js';
import { readFileStream } from '../files.js';
import { dataRows, type CsvOptions } from './table.js';
import { CsvTokenizer } from './tokenizer.js';

/**
 * A file path, or any async stream of text / bytes (e.g. `process.stdin`).
 *
 * @example
 * async function* chunks() { yield 'p0,p1\n0.9,'; yield '0.1\n'; }
 * const source: CsvSource = chunks(); // or a file path, or process.stdin
 * for await (const batch of readScoresCsvBatches(source)) console.log(batch.vectors);
 */
export type CsvSource = string | AsyncIterable<string | Uint8Array>;

function openSource(source: CsvSource): AsyncIterable<string | Uint8Array> {
  if (typeof source !== 'string') return source;
  return readFileStream(source);
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
