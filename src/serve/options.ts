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
  /**
   * On SIGTERM, in-flight requests get this long to finish before the process exits anyway (ms).
   * Below Kubernetes' default terminationGracePeriodSeconds (30 s), so a pod drains before it is killed.
   */
  drainTimeoutMs: number;
  /**
   * A body over `maxBodyBytes` is still read (and dropped) up to this many bytes, so that a client
   * that sends its whole body before reading (Python's urllib) gets the 413 instead of a reset.
   * Beyond it the connection is closed after the 413.
   */
  discardBodyBytes: number;
  /** Proxy mode: longest wait for the upstream model server's answer before a 504 (ms). */
  upstreamTimeoutMs: number;
}

/** The limits' defaults. */
export const SERVE_LIMITS: Readonly<ServeLimits> = Object.freeze({
  maxBatch: 64,
  maxWaitMs: 2,
  queueRows: 4096,
  maxBodyBytes: 8 << 20,
  retryAfterSeconds: 1,
  bodyTimeoutMs: 30_000,
  drainTimeoutMs: 25_000,
  discardBodyBytes: 64 << 20,
  upstreamTimeoutMs: 30_000,
});

/** The defaults of every `memguard serve` flag: where it listens, the mixing rule and the limits. */
export const SERVE_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8642,
  mixing: 'paper' as MixingMode,
  timing: 'fixed-work' as TimingMode,
  modelName: 'memguard',
  ...SERVE_LIMITS,
});

/**
 * How the server keeps a response's time from telling members from non-members (design §7, §8.1):
 * - 'fixed-work' (default): every row takes the same Phase I work (`search: { fixedWork: true }`,
 *   512 passes of g, decoy steps once a row is done), so a batch's time depends only on its size
 *   and answers leave as soon as they are ready. Latency AUC 0.50 at a few ms per row.
 * - 'deadline': the default search (about 4x less work per row, which leaks) with every answer held
 *   until a fixed deadline calibrated on the worst full batch: hides the signal, at hundreds of ms.
 * - 'off': the default search, answers as soon as ready: the fastest, and its latency is a
 *   membership signal (AUC about 0.35 on Location); only for callers that cannot time the answers.
 */
export type TimingMode = 'fixed-work' | 'deadline' | 'off';

/** The timing modes, for flag parsing. */
export const TIMING_MODES: readonly TimingMode[] = ['fixed-work', 'deadline', 'off'];

/**
 * The fixed response deadline (design §7): 'auto' = chosen by a startup calibration with timing
 * 'deadline', off with the other timing modes; 0 = off
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
