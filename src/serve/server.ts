// `memguard serve`: MemGuard as an HTTP sidecar (SPEC §8). This module routes requests and ties the
// concerns together: body limits and parsing (body.ts, request.ts), the micro-batching queue
// (batcher.ts) over a worker pool, the fixed response deadline (calibrate.ts, SPEC §7), metrics
// (metrics.ts), the log (log.ts) and draining on shutdown. Its only state is the server object.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatFloat32 } from '../data/csv/cells.js';
import { MemGuard, type ProtectResult } from '../memguard/memguard.js';
import type { MixingMode } from '../memguard/phase2.js';
import type { Mlp } from '../nn/mlp.js';
import { WorkerPool } from '../parallel/pool.js';
import { MicroBatcher, type Phase1Runner } from './batcher.js';
import { readBody, requireJson } from './body.js';
import { calibrateDeadline, Deadline } from './deadline.js';
import { HttpError, sendError, sendJson } from './httpError.js';
import type { Logger } from './log.js';
import { ServerMetrics } from './metrics.js';
import type { FixedLatency, ServeLimits } from './options.js';
import { PROTECT_PATH } from './protocol.js';
import { parseProtectRequest, type InputKind } from './request.js';

/** Everything `MemGuardServer.start` needs: the defense, the key, and every limit (defaults: SERVE_DEFAULTS). */
export interface ServeSettings extends ServeLimits {
  defenseClassifier: Mlp;
  epsilon: number;
  /** The keyed coin's secret (>= 16 bytes). */
  key: Uint8Array;
  mixing: MixingMode;
  /** What requests send: confidence vectors ("scores") or the target model's "logits". */
  input: InputKind;
  host: string;
  /** 0 = an ephemeral port. */
  port: number;
  /** Worker threads running Phase I (batches in flight at once). */
  threads: number;
  fixedLatency: FixedLatency;
  /** When set, POST /v1/protect needs `Authorization: Bearer <token>`. */
  token?: string;
  log: Logger;
  /** Shown in the startup log (e.g. the package version). */
  version?: string;
}

const ROUTES: Record<string, string> = { [PROTECT_PATH]: 'POST', '/healthz': 'GET', '/metrics': 'GET' };

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A running server. `MemGuardServer.start(settings)` listens at once (GET /healthz answers 503
 * until the workers are loaded and the deadline calibrated), `drain()` stops it gracefully.
 */
export class MemGuardServer {
  private readonly metrics = new ServerMetrics();
  /** The fixed deadline in ms (0 = off); known once ready. */
  deadlineMs = 0;
  private ready = false;
  private draining = false;
  private inFlight = 0;
  private drained: Promise<void> | undefined;
  private onQuiet: (() => void) | undefined;
  private readonly http: Server;
  private readonly guard: MemGuard;
  private readonly pool: WorkerPool;
  private readonly batcher: MicroBatcher;
  private readonly tokenDigest: Buffer | undefined;
  private readonly run: Phase1Runner;
  /** Resolves when the server has drained and stopped. */
  readonly stopped: Promise<void>;
  private markStopped!: () => void;

  private constructor(private readonly settings: ServeSettings) {
    this.guard = new MemGuard({
      defenseClassifier: settings.defenseClassifier, epsilon: settings.epsilon, mixing: settings.mixing, coin: { mode: 'key', key: settings.key },
    });
    this.tokenDigest = settings.token !== undefined ? digest(settings.token) : undefined;
    this.pool = new WorkerPool({ size: settings.threads, build: settings.defenseClassifier.engine.simd ? 'simd' : 'scalar' });
    const { options, batchSize } = this.guard.searchJob(new Float32Array(0));
    const defenseClassifier = settings.defenseClassifier.parameters();
    this.run = ({ scores, logits, rows }) => this.pool.phase1(
      { defenseClassifier, scores, rows, logits, options, batchSize }, (logits ? [scores.buffer, logits.buffer] : [scores.buffer]) as ArrayBuffer[]);
    this.batcher = new MicroBatcher(this.run, { ...settings, concurrency: settings.threads }, (rows) => this.metrics.batchRows.observe(rows));
    this.metrics.gauge('memguard_queue_rows', 'Rows waiting for a Phase I batch.', () => this.batcher.queuedRows);
    this.metrics.gauge('memguard_in_flight_requests', 'Requests being handled.', () => this.inFlight);
    this.metrics.gauge('memguard_fixed_latency_seconds', 'The fixed response deadline (0 = off).', () => this.deadlineMs / 1000);
    this.metrics.gauge('memguard_ready', '1 once the engine is loaded and until draining starts.', () => (this.ready && !this.draining ? 1 : 0));
    this.stopped = new Promise((resolve) => { this.markStopped = resolve; });
    this.http = createServer((req, res) => { void this.handle(req, res); });
    this.http.on('clientError', (_err, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'); });
  }

  /** Listens, then loads the workers and calibrates the deadline; resolves once ready. */
  static async start(settings: ServeSettings): Promise<MemGuardServer> {
    const server = new MemGuardServer(settings);
    try {
      await new Promise<void>((resolve, reject) => {
        server.http.once('error', reject);
        server.http.listen(settings.port, settings.host, () => { server.http.off('error', reject); resolve(); });
      });
    } catch (err) {
      await server.pool.close();
      throw new Error(`cannot listen on ${settings.host}:${settings.port}: ${(err as Error).message}`);
    }
    const { log } = settings;
    log('listening', { url: server.url, ready: false });
    try {
      await server.prepare();
    } catch (err) {
      await server.drain();
      throw err;
    }
    return server;
  }

  /** http://host:port of the listening socket. */
  get url(): string {
    const a = this.http.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  private async prepare(): Promise<void> {
    const s = this.settings;
    let calibration;
    if (s.fixedLatency === 'auto') {
      calibration = await calibrateDeadline(this.run, this.guard.k, s.maxBatch, s.maxWaitMs);
      this.deadlineMs = calibration.deadlineMs;
    } else {
      await this.run({ scores: new Float32Array(this.guard.k).fill(1 / this.guard.k), logits: undefined, rows: 1 }); // workers loaded
      this.deadlineMs = s.fixedLatency;
    }
    this.ready = !this.draining;
    s.log('ready', {
      url: this.url, version: s.version, node: process.version,
      build: this.settings.defenseClassifier.engine.simd ? 'simd' : 'scalar', threads: s.threads,
      k: this.guard.k, epsilon: s.epsilon === Infinity ? 'inf' : s.epsilon, mixing: s.mixing, input: s.input,
      maxBatch: s.maxBatch, maxWaitMs: s.maxWaitMs, queueRows: s.queueRows, maxBodyBytes: s.maxBodyBytes,
      token: s.token !== undefined,
      fixedLatencyMs: this.deadlineMs,
      fixedLatencyFrom: s.fixedLatency === 'auto' ? 'calibration' : 'flag',
      ...(calibration ? {
        calibration: {
          batchRows: calibration.rows, slowestBatchMs: Number(calibration.batchMs.toFixed(2)),
          meanSteps: Number(calibration.meanSteps.toFixed(1)), maxSteps: calibration.maxSteps,
        },
      } : {}),
    });
  }

  /**
   * Stops accepting connections, answers every request already received, stops the workers.
   * Safe to call more than once; resolves when stopped.
   */
  drain(reason = 'shutdown'): Promise<void> {
    this.drained ??= (async () => {
      this.draining = true;
      this.settings.log('draining', { reason, inFlight: this.inFlight, queuedRows: this.batcher.queuedRows });
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeIdleConnections();
      this.batcher.flush();
      const quiet = this.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { this.onQuiet = resolve; });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), this.settings.drainTimeoutMs); });
      const timedOut = await Promise.race([quiet.then(() => false), timeout]);
      clearTimeout(timer);
      this.http.closeAllConnections();
      await closed;
      await this.pool.close();
      this.settings.log('stopped', { reason, unanswered: timedOut ? this.inFlight : 0 });
      this.markStopped();
    })();
    return this.drained;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrival = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    const route = ROUTES[path] !== undefined ? path : 'other';
    this.inFlight++;
    if (this.draining) res.setHeader('connection', 'close');
    res.on('close', () => {
      if (!res.writableFinished) this.metrics.clientGone.inc();
    });
    try {
      const method = ROUTES[path];
      if (method === undefined) throw new HttpError('not_found', `no route ${req.method} ${path}; the routes are POST ${PROTECT_PATH}, GET /healthz, GET /metrics`);
      if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
        throw new HttpError('method_not_allowed', `${path} takes ${method}, not ${req.method}`, undefined, { allow: method === 'GET' ? 'GET, HEAD' : method });
      }
      if (path === '/healthz') this.health(res);
      else if (path === '/metrics') {
        const text = this.metrics.render();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      } else await this.protect(req, res, arrival);
    } catch (err) {
      if (res.destroyed) return; // the client is gone: nobody to answer, nothing went wrong here
      const e = err instanceof HttpError ? err : new HttpError('internal', 'internal error (see the server log)');
      if (!(err instanceof HttpError)) this.settings.log('error', { route, message: (err as Error)?.message ?? String(err) });
      this.metrics.errors.inc({ code: e.code });
      if (e.code === 'body_too_large') res.setHeader('connection', 'close'); // the rest of the body is never read
      sendError(res, e);
    } finally {
      this.metrics.requests.inc({ route, status: res.headersSent ? String(res.statusCode) : 'none' });
      if (route === PROTECT_PATH) this.metrics.latency.observe((performance.now() - arrival) / 1000);
      this.inFlight--;
      if (this.inFlight === 0) this.onQuiet?.();
    }
  }

  private health(res: ServerResponse): void {
    if (this.ready && !this.draining) sendJson(res, 200, '{"status":"ok"}');
    else sendError(res, this.notReady());
  }

  private notReady(): HttpError {
    return new HttpError('not_ready', this.draining ? 'the server is shutting down' : 'the server is starting (loading the engine)',
      undefined, { 'retry-after': String(this.settings.retryAfterSeconds) });
  }

  private authorize(req: IncomingMessage): void {
    if (!this.tokenDigest) return;
    const m = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    // Digests of equal length, compared in constant time: the comparison leaks nothing about the token.
    if (!m || !timingSafeEqual(digest(m[1]!), this.tokenDigest)) {
      throw new HttpError('unauthorized', 'this server needs "Authorization: Bearer <token>" (the token of --token-file)', undefined,
        { 'www-authenticate': 'Bearer' });
    }
  }

  private async protect(req: IncomingMessage, res: ServerResponse, arrival: number): Promise<void> {
    const s = this.settings;
    if (!this.ready || this.draining) throw this.notReady();
    const deadline = this.deadlineMs > 0 ? new Deadline(this.deadlineMs) : undefined;
    try {
      await this.answer(req, res, arrival, deadline);
    } finally {
      deadline?.cancel();
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse, arrival: number, deadline: Deadline | undefined): Promise<void> {
    const s = this.settings;
    this.authorize(req);
    requireJson(req);
    const body = await readBody(req, s.maxBodyBytes, s.bodyTimeoutMs);
    const { job, ids } = parseProtectRequest(body, this.guard, s.input);
    if (job.rows > s.queueRows) throw new HttpError('too_many_rows', `${job.rows} rows in one request; the limit is ${s.queueRows} (--queue)`);
    if (!this.batcher.hasRoomFor(job.rows)) {
      throw new HttpError('overloaded', `the queue is full (${this.batcher.queuedRows} rows waiting); retry later`, undefined,
        { 'retry-after': String(s.retryAfterSeconds) });
    }
    const search = await this.batcher.submit(job);
    const result = this.guard.releaseSearch(search, { queryIds: ids });
    const text = responseText(result, job.k);
    // The fixed deadline (SPEC §7): the answer leaves at arrival + D whatever Phase I cost.
    if (deadline) {
      if (deadline.passed) this.metrics.lateResponses.inc();
      else await deadline.wait();
      this.metrics.overrun.observe(Math.max(0, performance.now() - arrival - this.deadlineMs) / 1000);
    }
    let noisy = 0;
    for (const x of result.noiseReleased) noisy += x;
    this.metrics.rows.inc({}, job.rows);
    this.metrics.noiseReleased.inc({}, noisy);
    sendJson(res, 200, text);
  }
}

/** The 200 body: released vectors written as exact float32 text, and the noisy flags. */
function responseText(result: ProtectResult<Float32Array>, k: number): string {
  const { released, noiseReleased } = result;
  const rows: string[] = [];
  for (let r = 0; r < noiseReleased.length; r++) {
    const cells: string[] = [];
    for (let j = 0; j < k; j++) cells.push(formatFloat32(released[r * k + j]!));
    rows.push(`[${cells.join(',')}]`);
  }
  return `{"released":[${rows.join(',')}],"noisy":[${Array.from(noiseReleased).join(',')}]}`;
}

