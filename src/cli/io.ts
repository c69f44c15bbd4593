// Output files that are never half-written: text streams into a temporary file next to the target,
// which is renamed into place only when everything succeeded. Temporary files still open when the
// process is interrupted are removed by `removePendingFiles` (main.ts calls it on SIGINT/SIGTERM).
import { mkdirSync, rmSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

const pending = new Set<string>();

/** Deletes every temporary output file still open (synchronous: safe in a signal handler). */
export function removePendingFiles(): void {
  for (const tmp of pending) rmSync(tmp, { force: true });
  pending.clear();
}

/** Creates the folder that will hold `path`. */
export function ensureParentDir(path: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
}

/**
 * A text file written in pieces into `.<name>.<pid>.<random>.tmp` beside `path`; `close()` renames
 * it to `path`, `abort()` deletes it. Until `close()` succeeds, `path` is untouched.
 *
 * @example
 * const w = await AtomicTextWriter.open('out.csv');
 * try { await w.write('a,b\n'); await w.close(); } catch (e) { await w.abort(); throw e; }
 */
export class AtomicTextWriter {
  private done = false;
  private buffered: string[] = [];
  private size = 0;

  private constructor(readonly path: string, private readonly tmp: string, private readonly handle: FileHandle) {}

  static async open(path: string): Promise<AtomicTextWriter> {
    ensureParentDir(path);
    const tag = `${process.pid}.${Math.floor(Math.random() * 0x7fffffff).toString(36)}`;
    const tmp = join(dirname(resolve(path)), `.${basename(path)}.${tag}.tmp`);
    const handle = await open(tmp, 'wx');
    pending.add(tmp);
    return new AtomicTextWriter(path, tmp, handle);
  }

  /** Appends text (buffered; flushed in chunks of about 1 MB). */
  async write(text: string): Promise<void> {
    if (this.done) throw new Error(`${this.path}: write after close/abort`);
    this.buffered.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) await this.flush();
  }

  /** Flushes, syncs, closes and renames the file into place. */
  async close(): Promise<void> {
    if (this.done) throw new Error(`${this.path}: already closed`);
    try {
      await this.flush();
      await this.handle.sync();
      this.done = true;
      await this.handle.close();
      await rename(this.tmp, this.path);
      pending.delete(this.tmp);
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Discards everything written; `path` is left as it was. Safe to call more than once. */
  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.tmp, { force: true });
    pending.delete(this.tmp);
  }

  private async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.size = 0;
    await this.handle.write(text);
  }
}
