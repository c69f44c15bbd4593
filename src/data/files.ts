// Files in and out: text read whole or streamed, gunzipped when it starts with the gzip magic
// bytes; writes go through a temporary file in the same folder and a rename, so a crash never
// leaves a half-written output behind.
import { closeSync, createReadStream, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';

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

function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === GZIP_MAGIC0 && head[1] === GZIP_MAGIC1;
  } finally {
    closeSync(fd);
  }
}

/** The bytes of a file as a stream, gunzipped when it starts with the gzip magic bytes. */
export function readFileStream(path: string): AsyncIterable<Uint8Array> {
  // Sniff first: a stream opened before a throwing check would emit an unhandled 'error' and crash.
  const gzip = isGzipFile(path);
  const stream = createReadStream(path);
  return gzip ? stream.pipe(createGunzip()) : stream;
}

/** A fresh hidden temporary path next to `path` (the same folder, so the final rename is atomic). */
export function tempPathFor(path: string): string {
  const tag = `${process.pid}.${Date.now().toString(36)}${Math.floor(Math.random() * 0x7fffffff).toString(36)}`;
  return join(dirname(path), `.${basename(path)}.${tag}.tmp`);
}

/**
 * Writes `text` (or bytes) to `path` atomically: a temporary file in the same folder, then a rename.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'memguard-'));
 * writeFileAtomic(join(dir, 'report.html'), '<!DOCTYPE html>'); // never half-written
 */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
