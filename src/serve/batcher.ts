// The micro-batching queue: rows of concurrent requests share Phase I batches. A worker that is
// free takes up to `maxBatch` waiting rows (splitting a large request over several batches if need
// be) once `maxBatch` rows are waiting or the oldest has waited `maxWaitMs`. The waiting rows are
// shared evenly by the free workers: 64 rows and 2 free workers make two batches of 32, not one of
// 64 and an idle worker (under fixed work a batch's time grows with its rows, so this halves the
// wait and doubles the throughput of a wave of 1-row requests). A row's Phase I result
// does not depend on its batch (docs/architecture.md), so batching changes no answer.
import { emptyPhase1Batch, mergePhase1, type Phase1Batch } from '../memguard/phase1.js';
import type { SearchJob, SearchResult } from '../memguard/memguard.js';

/** Runs Phase I on a batch of validated rows (on a worker thread). */
export type Phase1Runner = (batch: { scores: Float32Array; logits: Float32Array | undefined; rows: number }) => Promise<Phase1Batch>;

export interface BatcherLimits {
  maxBatch: number;
  maxWaitMs: number;
  /** Most rows waiting (not yet in a running batch). */
  queueRows: number;
  /** Batches run at once (the worker threads). */
  concurrency: number;
}

interface Entry {
  job: SearchJob;
  out: Phase1Batch;
  /** First row not yet handed to a batch. */
  next: number;
  /** Rows whose Phase I is not back yet. */
  pending: number;
  enqueued: number;
  failed: boolean;
  resolve(result: SearchResult): void;
  reject(err: unknown): void;
}

interface Segment { entry: Entry; start: number; end: number }

export class MicroBatcher {
  private readonly queue: Entry[] = [];
  private waitingRows = 0;
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing = false;
  private idleWaiters: Array<() => void> = [];

  /** `onBatch(rows)` is told the size of every batch it starts (for the metrics). */
  constructor(private readonly run: Phase1Runner, private readonly limits: BatcherLimits, private readonly onBatch: (rows: number) => void = () => {}) {}

  /** Rows waiting for a batch. */
  get queuedRows(): number {
    return this.waitingRows;
  }

  /** Batches running now. */
  get runningBatches(): number {
    return this.running;
  }

  /** True when `rows` more rows fit in the queue. */
  hasRoomFor(rows: number): boolean {
    return this.waitingRows + rows <= this.limits.queueRows;
  }

  /** Phase I for the job's rows, in whatever batches they land in. */
  submit(job: SearchJob): Promise<SearchResult> {
    if (job.rows === 0) return Promise.resolve({ ...emptyPhase1Batch(0, job.k), scores: job.scores, logits: job.logits });
    return new Promise((resolve, reject) => {
      this.queue.push({ job, out: emptyPhase1Batch(job.rows, job.k), next: 0, pending: job.rows, enqueued: performance.now(), failed: false, resolve, reject });
      this.waitingRows += job.rows;
      this.schedule();
    });
  }

  /** From now on, batches start without waiting for batch-mates (shutdown). */
  flush(): void {
    this.flushing = true;
    this.schedule();
  }

  /** Resolves once nothing is waiting or running. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running < this.limits.concurrency && this.queue.length > 0) {
      const waited = performance.now() - this.queue[0]!.enqueued;
      if (!this.flushing && this.waitingRows < this.limits.maxBatch && waited < this.limits.maxWaitMs) {
        this.timer = setTimeout(() => this.schedule(), this.limits.maxWaitMs - waited);
        return;
      }
      // Time to start: a batch on every free worker, the waiting rows shared evenly.
      for (let free = this.limits.concurrency - this.running; free > 0 && this.queue.length > 0; free--) {
        this.start(this.take(Math.min(this.limits.maxBatch, Math.ceil(this.waitingRows / free))));
      }
    }
    if (this.queue.length === 0 && this.running === 0) for (const done of this.idleWaiters.splice(0)) done();
  }

  /** Up to `room` rows from the front of the queue, all probabilities or all logits (one batch runs one kind). */
  private take(room: number): Segment[] {
    const segments: Segment[] = [];
    while (room > 0 && this.queue.length > 0) {
      const entry = this.queue[0]!;
      if (segments.length > 0 && (entry.job.logits === undefined) !== (segments[0]!.entry.job.logits === undefined)) break;
      const start = entry.next, end = Math.min(entry.job.rows, start + room);
      segments.push({ entry, start, end });
      entry.next = end;
      room -= end - start;
      this.waitingRows -= end - start;
      if (end === entry.job.rows) this.queue.shift();
    }
    return segments;
  }

  private start(segments: Segment[]): void {
    const k = segments[0]!.entry.job.k;
    const rows = segments.reduce((n, s) => n + s.end - s.start, 0);
    const withLogits = segments[0]!.entry.job.logits !== undefined;
    const scores = new Float32Array(rows * k), logits = withLogits ? new Float32Array(rows * k) : undefined;
    let at = 0;
    for (const { entry, start, end } of segments) {
      scores.set(entry.job.scores.subarray(start * k, end * k), at * k);
      logits?.set(entry.job.logits!.subarray(start * k, end * k), at * k);
      at += end - start;
    }
    this.running++;
    this.onBatch(rows);
    this.run({ scores, logits, rows }).then((batch) => {
      let from = 0;
      for (const { entry, start, end } of segments) {
        const n = end - start, o = entry.out;
        mergePhase1(o, batch, start, from, n);
        from += n;
        entry.pending -= n;
        if (entry.pending === 0 && !entry.failed) entry.resolve({ ...o, scores: entry.job.scores, logits: entry.job.logits });
      }
    }, (err: unknown) => {
      for (const { entry } of segments) {
        if (entry.failed) continue;
        entry.failed = true;
        this.drop(entry);
        entry.reject(err);
      }
    }).finally(() => {
      this.running--;
      this.schedule();
    });
  }

  /** Removes a failed request's rows that are still waiting. */
  private drop(entry: Entry): void {
    const at = this.queue.indexOf(entry);
    if (at < 0) return;
    this.queue.splice(at, 1);
    this.waitingRows -= entry.job.rows - entry.next;
  }
}
