import { MemGuardInputError } from '../errors.js';

const ALIGN = 64; // bytes: one cache line, and a multiple of the 16-byte v128
const PAGE = 65536;

/**
 * First-fit allocator over a WebAssembly.Memory, kept on the JavaScript side so the module itself
 * never allocates (stub runtime). Grows the memory when full; callers must re-read views after any
 * `alloc` (see `Engine.f32`).
 */
export class Heap {
  private free: Array<{ start: number; size: number }> = [];
  private used = new Map<number, number>();

  constructor(private readonly memory: WebAssembly.Memory, base: number) {
    const start = Math.ceil(base / ALIGN) * ALIGN;
    const end = memory.buffer.byteLength;
    if (end > start) this.free.push({ start, size: end - start });
  }

  /** Bytes currently allocated. */
  get bytesInUse(): number {
    let n = 0;
    for (const s of this.used.values()) n += s;
    return n;
  }

  /** Allocates `bytes` (rounded up to 64) and returns the byte offset. Contents are undefined. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new MemGuardInputError(`Heap.alloc: size must be a non-negative integer, got ${bytes}`);
    }
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let i = this.free.findIndex((b) => b.size >= size);
    if (i < 0) i = this.grow(size);
    const block = this.free[i]!;
    const ptr = block.start;
    if (block.size === size) this.free.splice(i, 1);
    else { block.start += size; block.size -= size; }
    this.used.set(ptr, size);
    return ptr;
  }

  /** Returns a block from `alloc` to the heap. Freeing twice or a foreign pointer throws. */
  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new MemGuardInputError(`Heap.release: ${ptr} is not an allocated block`);
    this.used.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i]!.start < ptr) i++;
    this.free.splice(i, 0, { start: ptr, size });
    // Coalesce with the next, then the previous neighbour.
    const next = this.free[i + 1];
    if (next && ptr + size === next.start) { this.free[i]!.size += next.size; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev.start + prev.size === ptr) { prev.size += this.free[i]!.size; this.free.splice(i, 1); }
  }

  /** Grows memory so a free block of `size` bytes exists at its end; returns that block's index. */
  private grow(size: number): number {
    const end = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tail = last && last.start + last.size === end ? last.size : 0;
    // Grow by at least half the current size so repeated small growths stay amortised O(1).
    const need = Math.max(size - tail, end >>> 1);
    const pages = Math.ceil(need / PAGE);
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new MemGuardInputError(`Heap: cannot grow WebAssembly memory by ${pages} pages (${(e as Error).message})`);
    }
    const added = pages * PAGE;
    if (tail) { last!.size += added; return this.free.length - 1; }
    this.free.push({ start: end, size: added });
    return this.free.length - 1;
  }
}
