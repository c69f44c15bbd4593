// A typed array that grows as the rows of a file are read (the row count is not known in advance).

/** Grows a typed array by doubling; `view()` returns the filled part. */
export class Growable<T extends Float32Array | Int32Array> {
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
