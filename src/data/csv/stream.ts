// Streaming a CSV in batches of parsed rows, from a path (gzip detected) or any async stream of
// text or bytes, so memory stays proportional to the batch, not the file.
import { check } from '../../errors.js';
import { readFileStream } from '../files.js';
import { dataRows, type CsvOptions } from './table.js';
import { CsvTokenizer } from './tokenizer.js';

/** A file path, or any async stream of text / bytes (e.g. `process.stdin`). */
export type CsvSource = string | AsyncIterable<string | Uint8Array>;

function openSource(source: CsvSource): AsyncIterable<string | Uint8Array> {
  if (typeof source !== 'string') return source;
  return readFileStream(source);
}

/** One batch of a streamed CSV: up to `batchSize` rows with their line numbers. */
export interface CsvBatch {
  header: string[];
  rows: string[][];
  lines: number[];
}

export interface CsvStreamOptions extends CsvOptions {
  /** Rows per batch (default 1024). */
  batchSize?: number;
}

/**
 * Streams a CSV in batches of parsed rows without holding the file in memory; memory stays
 * proportional to `batchSize`. Paths may be gzipped (detected by magic bytes).
 *
 * @example
 * for await (const batch of readCsvBatches('big.csv', { batchSize: 4096 })) handle(batch.rows);
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
