// The fixed response deadline (design §7): a protect response leaves D ms after its request arrived,
// whatever Phase I cost. The timer starts when the request arrives, so when it fires does not
// depend on the work done meanwhile (a timer armed after the work would inherit the event loop's
// position at that moment). D comes from a startup calibration: time a full batch of the most
// expensive rows found among synthetic confidence vectors, on a worker, and take a safe multiple.
// The deadline must cover the slowest realistic batch or responses come late and carry timing;
// rows that still take longer are counted in /metrics (memguard_late_responses_total).
import { Random } from '../random.js';
import type { Phase1Runner } from './batcher.js';
import { CALIBRATION } from './options.js';

export interface Calibration {
  /** The chosen deadline (ms). */
  deadlineMs: number;
  /** The slowest timed run of the calibration batch (ms). */
  batchMs: number;
  rows: number;
  /** Phase I steps per row of the calibration batch: mean and max. */
  meanSteps: number;
  maxSteps: number;
}

/** `count` confidence vectors of width k, from flat to very confident (seeded: the same every start). */
export function syntheticScores(count: number, k: number, seed = 1): Float32Array {
  const rng = new Random(seed);
  const out = new Float32Array(count * k), z = new Float64Array(k);
  for (let r = 0; r < count; r++) {
    const scale = 1 + 11 * (r / Math.max(1, count - 1));
    let max = -Infinity, sum = 0;
    for (let j = 0; j < k; j++) { z[j] = scale * rng.uniform(-1, 1); max = Math.max(max, z[j]!); }
    for (let j = 0; j < k; j++) { z[j] = Math.exp(z[j]! - max); sum += z[j]!; }
    for (let j = 0; j < k; j++) out[r * k + j] = z[j]! / sum;
  }
  return out;
}

/**
 * Searches 4 x maxBatch synthetic rows once, keeps the maxBatch rows that took the most Phase I
 * steps, times that batch CALIBRATION.runs times and returns
 * deadline = maxWait + CALIBRATION.safety x slowest run, rounded up.
 */
export async function calibrateDeadline(run: Phase1Runner, k: number, maxBatch: number, maxWaitMs: number): Promise<Calibration> {
  const candidates = 4 * maxBatch;
  const scores = syntheticScores(candidates, k);
  const found = await run({ scores: scores.slice(), logits: undefined, rows: candidates });
  const order = Array.from({ length: candidates }, (_, i) => i).sort((a, b) => found.steps[b]! - found.steps[a]!).slice(0, maxBatch);
  const batch = new Float32Array(maxBatch * k);
  order.forEach((i, r) => batch.set(scores.subarray(i * k, (i + 1) * k), r * k));
  let batchMs = 0, meanSteps = 0, maxSteps = 0;
  for (let i = 0; i < CALIBRATION.runs; i++) {
    const t0 = performance.now();
    const out = await run({ scores: batch.slice(), logits: undefined, rows: maxBatch });
    batchMs = Math.max(batchMs, performance.now() - t0);
    meanSteps = out.steps.reduce((a, b) => a + b, 0) / maxBatch;
    maxSteps = out.steps.reduce((a, b) => Math.max(a, b), 0);
  }
  const raw = maxWaitMs + CALIBRATION.safety * batchMs;
  const deadlineMs = Math.ceil(raw / CALIBRATION.roundMs) * CALIBRATION.roundMs;
  return { deadlineMs, batchMs, rows: maxBatch, meanSteps, maxSteps };
}

/** A timer armed when a request arrives; `wait()` resolves when it fires. */
export class Deadline {
  private fired = false;
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly done: Promise<void>;
  /** When it is due (performance.now() time). */
  readonly due: number;

  /** Due `ms` after `from` (a performance.now() time, default now). */
  constructor(ms: number, from = performance.now()) {
    let resolve!: () => void;
    this.done = new Promise((r) => { resolve = r; });
    this.due = from + ms;
    this.timer = setTimeout(() => { this.fired = true; resolve(); }, Math.max(0, this.due - performance.now()));
  }

  /** True once the deadline has passed (an answer ready now is late). */
  get passed(): boolean {
    return this.fired;
  }

  /** Resolves at the deadline (at once if it has passed). */
  wait(): Promise<void> {
    return this.done;
  }

  /** Stops the timer (the request ended without an answer to hold). */
  cancel(): void {
    clearTimeout(this.timer);
  }
}
