// Every setting and limit of `memguard serve`, with its default, in one place. The CLI
// (src/cli/commands/serve.ts) parses flags into `ServeSettings`; the server modules read them
// from here and nowhere else.
import type { MixingMode } from '../memguard/phase2.js';

/** The server's limits, each a `memguard serve` flag. */
export interface ServeLimits {
  /** Most rows in one shared Phase I batch (`--max-batch`). */
  maxBatch: number;
  /** Longest a row waits for batch-mates once a worker is free, in ms (`--max-wait-ms`). */
  maxWaitMs: number;
  /** Most rows waiting for a batch; beyond it a request gets 503 + Retry-After (`--queue`). */
  queueRows: number;
  /** Largest request body in bytes (`--max-body-mb` x 2^20): 413 beyond it, reading stops there. */
  maxBodyBytes: number;
  /** Retry-After (seconds) sent with a 503. */
  retryAfterSeconds: number;
  /** How long a request may take to send its body before it is dropped (ms). */
  bodyTimeoutMs: number;
  /** On SIGTERM, in-flight requests get this long to finish before the process exits anyway (ms). */
  drainTimeoutMs: number;
}

/** The limits' defaults. */
export const SERVE_LIMITS: Readonly<ServeLimits> = Object.freeze({
  maxBatch: 64,
  maxWaitMs: 2,
  queueRows: 4096,
  maxBodyBytes: 8 << 20,
  retryAfterSeconds: 1,
  bodyTimeoutMs: 30_000,
  drainTimeoutMs: 30_000,
});

/** The defaults of every `memguard serve` flag: where it listens, the mixing rule and the limits. */
export const SERVE_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8642,
  mixing: 'paper' as MixingMode,
  ...SERVE_LIMITS,
});

/**
 * The fixed response deadline (SPEC §7): 'auto' = chosen by a startup calibration, 0 = off
 * (responses leave as soon as they are ready), D > 0 = every answer leaves D ms after its request
 * arrived.
 */
export type FixedLatency = 'auto' | number;

/** How the startup calibration turns a timed worst-case batch into the deadline. */
export const CALIBRATION = Object.freeze({
  /** Timed runs of a full worst-case batch; the slowest counts. */
  runs: 3,
  /**
   * Deadline = maxWait + SAFETY x slowest run: a row can wait for a batch already running on its
   * worker and then for its own, and the machine may be busier than during the calibration.
   */
  safety: 3,
  /** The deadline is rounded up to a multiple of this (ms). */
  roundMs: 10,
});
