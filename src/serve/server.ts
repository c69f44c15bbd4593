// `memguard serve`: MemGuard as an HTTP sidecar (design §8, §8.1). This module routes requests and
// ties the concerns together: body limits and parsing (body.ts, request.ts, openInference.ts), the
// micro-batching queue (batcher.ts) over a worker pool, the timing mode (options.ts: fixed work per
// row by default, or the fixed deadline of deadline.ts, design §7), proxy mode (upstream.ts),
// metrics (metrics.ts), the log (log.ts) and draining on shutdown. Its only state is the server object.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatFloat32 } from '../data/csv/cells.js';
import { MemGuard, type ProtectResult, type SearchJob } from '../memguard/memguard.js';
import type { MixingMode } from '../memguard/phase2.js';
import type { Mlp } from '../nn/mlp.js';
import { WorkerPool } from '../parallel/pool.js';
import { MicroBatcher, type Phase1Runner } from './batcher.js';
import { readBody, requireJson } from './body.js';
import { calibrateDeadline, Deadline } from './deadline.js';
import { HttpError, sendError, sendJson } from './httpError.js';
import type { Logger } from './log.js';
import { ServerMetrics } from './metrics.js';
import {
  errorText, parseV1Request, parseV2Request, ProtocolError, v1ResponseText, v1UpstreamOutput, v2ResponseText, v2UpstreamOutput,
  type Content, type TensorRows, type UpstreamOutput,
} from './openInference.js';
import type { FixedLatency, ServeLimits, TimingMode } from './options.js';
import { PROTECT_PATH } from './protocol.js';
import { parseProtectRequest, validatedJob, type InputKind } from './request.js';
import { forward, upstreamJson, UpstreamError } from './upstream.js';

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
  /** How response times are kept free of membership signal (default 'fixed-work'). */
  timing: TimingMode;
  fixedLatency: FixedLatency;
  /** The model name of the V1/V2 routes (default 'memguard'; in proxy mode, the upstream model's). */
  modelName: string;
  /** Proxy mode: the model server's base URL (V1/V2 requests are forwarded there). */
  upstream?: string;
  /** Proxy mode: the upstream output holding the confidence vectors (default: the only float [n, k] one). */
  outputName?: string;
  /** Proxy mode: the protocol the model server speaks (requests in the other one get a 400). */
  protocol?: 'v1' | 'v2';
  /** When set, POST /v1/protect and the infer/predict routes need `Authorization: Bearer <token>`. */
  token?: string;
  log: Logger;
  /** Shown in the startup log (e.g. the package version). */
  version?: string;
}

type Action = 'protect' | 'healthz' | 'metrics' | 'live' | 'ready' | 'server' | 'model' | 'modelReady' | 'infer' | 'v1model' | 'predict';

interface Route {
  action: Action;
  method: 'GET' | 'POST';
  /** The metrics label (a template, so that model names do not multiply the series). */
  label: string;
  /** An Open Inference Protocol / V1 route: errors as {"error": "..."}. */
  oip: boolean;
  model?: string;
}

const FIXED: Record<string, Route> = {
  [PROTECT_PATH]: { action: 'protect', method: 'POST', label: PROTECT_PATH, oip: false },
  '/healthz': { action: 'healthz', method: 'GET', label: '/healthz', oip: false },
  '/metrics': { action: 'metrics', method: 'GET', label: '/metrics', oip: false },
  '/v2/health/live': { action: 'live', method: 'GET', label: '/v2/health/live', oip: true },
  '/v2/health/ready': { action: 'ready', method: 'GET', label: '/v2/health/ready', oip: true },
  '/v2': { action: 'server', method: 'GET', label: '/v2', oip: true },
};
const V2_MODEL = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?(\/ready|\/infer)?$/;
const V1_MODEL = /^\/v1\/models\/([^/:]+)(:predict)?$/;

function resolveRoute(path: string): Route | undefined {
  const fixed = FIXED[path];
  if (fixed) return fixed;
  let m = V2_MODEL.exec(path);
  if (m) {
    const model = decodeURIComponent(m[1]!);
    if (m[2] === '/infer') return { action: 'infer', method: 'POST', label: '/v2/models/{name}/infer', oip: true, model };
    if (m[2] === '/ready') return { action: 'modelReady', method: 'GET', label: '/v2/models/{name}/ready', oip: true, model };
    return { action: 'model', method: 'GET', label: '/v2/models/{name}', oip: true, model };
  }
  m = V1_MODEL.exec(path);
  if (m) {
    const model = decodeURIComponent(m[1]!);
    return m[2] ? { action: 'predict', method: 'POST', label: '/v1/models/{name}:predict', oip: true, model }
      : { action: 'v1model', method: 'GET', label: '/v1/models/{name}', oip: true, model };
  }
  return undefined;
}

const ROUTE_LIST = `POST ${PROTECT_PATH}, POST /v2/models/{name}/infer, POST /v1/models/{name}:predict, GET /v2, /v2/models/{name}, ` +
  '/v2/models/{name}/ready, /v2/health/live, /v2/health/ready, /v1/models/{name}, /healthz, /metrics';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A running server. `MemGuardServer.start(settings)` listens at once (GET /v2/health/live answers
 * 200 from then on; /v2/health/ready and /healthz answer 503 until the workers are loaded and, with
 * timing 'deadline', the deadline calibrated), `drain()` stops it gracefully.
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
  private readonly upstream: string | undefined;
  /** Resolves when the server has drained and stopped. */
  readonly stopped: Promise<void>;
  private markStopped!: () => void;

  private constructor(private readonly settings: ServeSettings) {
    this.guard = new MemGuard({
      defenseClassifier: settings.defenseClassifier, epsilon: settings.epsilon, mixing: settings.mixing, coin: { mode: 'key', key: settings.key },
      search: settings.timing === 'fixed-work' ? { fixedWork: true } : {},
    });
    this.upstream = settings.upstream?.replace(/\/+$/, '');
    this.tokenDigest = settings.token !== undefined ? digest(settings.token) : undefined;
    this.pool = new WorkerPool({ size: settings.threads, build: settings.defenseClassifier.engine.simd ? 'simd' : 'scalar' });
    const { options, batchSize } = this.guard.searchJob(new Float32Array(0));
    const defenseClassifier = settings.defenseClassifier.parameters();
    this.run = ({ scores, logits, rows }) => this.pool.phase1(
      { defenseClassifier, scores, rows, logits, options, batchSize }, (logits ? [scores.buffer, logits.buffer] : [scores.buffer]) as ArrayBuffer[]);
    this.batcher = new MicroBatcher(this.run, { ...settings, concurrency: settings.threads }, (rows) => this.metrics.batchRows.observe(rows));
    this.metrics.gauge('memguard_queue_rows', 'Rows waiting for a Phase I batch.', () => this.batcher.queuedRows);
    this.metrics.gauge('memguard_in_flight_requests',
      'Requests being handled (the autoscaling signal: average it over the pods and scale on its target).', () => this.inFlight);
    this.metrics.gauge('memguard_fixed_latency_seconds', 'The fixed response deadline (0 = off).', () => this.deadlineMs / 1000);
    this.metrics.gauge('memguard_ready', '1 once the engine is loaded and until draining starts.', () => (this.ready && !this.draining ? 1 : 0));
    this.stopped = new Promise((resolve) => { this.markStopped = resolve; });
    this.http = createServer((req, res) => { void this.handle(req, res); });
    // Idle keep-alive connections outlive the clients' and load balancers' own idle timeouts (nginx
    // 60 s, cloud LBs 60 s): a server that closes first races a request sent on the closing
    // connection, which the client sees as a reset.
    this.http.keepAliveTimeout = 65_000;
    this.http.headersTimeout = 66_000;
    this.http.on('clientError', (_err, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'); });
  }

  /** Listens, then loads the workers (and with timing 'deadline' calibrates the deadline); resolves once ready. */
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
    if (s.fixedLatency === 'auto' && s.timing === 'deadline') {
      calibration = await calibrateDeadline(this.run, this.guard.k, s.maxBatch, s.maxWaitMs);
      this.deadlineMs = calibration.deadlineMs;
    } else {
      await this.run({ scores: new Float32Array(this.guard.k).fill(1 / this.guard.k), logits: undefined, rows: 1 }); // workers loaded
      this.deadlineMs = s.fixedLatency === 'auto' ? 0 : s.fixedLatency;
    }
    this.ready = !this.draining;
    s.log('ready', {
      url: this.url, version: s.version, node: process.version,
      build: this.settings.defenseClassifier.engine.simd ? 'simd' : 'scalar', threads: s.threads,
      k: this.guard.k, epsilon: s.epsilon === Infinity ? 'inf' : s.epsilon, mixing: s.mixing, input: s.input,
      maxBatch: s.maxBatch, maxWaitMs: s.maxWaitMs, queueRows: s.queueRows, maxBodyBytes: s.maxBodyBytes,
      token: s.token !== undefined, timing: s.timing, modelName: s.modelName,
      ...(this.upstream ? { upstream: this.upstream, outputName: s.outputName, protocol: s.protocol } : {}),
      fixedLatencyMs: this.deadlineMs,
      fixedLatencyFrom: calibration ? 'calibration' : this.deadlineMs > 0 ? 'flag' : 'off',
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
   * Safe to call more than once; resolves when stopped (within drainTimeoutMs, plus closing).
   */
  drain(reason = 'shutdown'): Promise<void> {
    this.drained ??= (async () => {
      this.draining = true;
      this.settings.log('draining', { reason, inFlight: this.inFlight, queuedRows: this.batcher.queuedRows, graceMs: this.settings.drainTimeoutMs });
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
    const route = resolveRoute(path);
    const label = route?.label ?? 'other';
    this.inFlight++;
    if (this.draining) res.setHeader('connection', 'close');
    res.on('close', () => {
      if (!res.writableFinished) this.metrics.clientGone.inc();
    });
    try {
      if (route === undefined) throw new HttpError('not_found', `no route ${req.method} ${path}; the routes are ${ROUTE_LIST}`);
      if (req.method !== route.method && !(route.method === 'GET' && req.method === 'HEAD')) {
        throw new HttpError('method_not_allowed', `${path} takes ${route.method}, not ${req.method}`, undefined,
          { allow: route.method === 'GET' ? 'GET, HEAD' : route.method });
      }
      if (route.model !== undefined && route.model !== this.settings.modelName) {
        throw new HttpError('not_found', `no model ${JSON.stringify(route.model)}; this server serves ${JSON.stringify(this.settings.modelName)} (--model_name)`);
      }
      await this.dispatch(route, req, res, arrival);
    } catch (err) {
      if (res.destroyed) return; // the client is gone: nobody to answer, nothing went wrong here
      this.fail(res, err, route, label);
    } finally {
      this.metrics.requests.inc({ route: label, status: res.headersSent ? String(res.statusCode) : 'none' });
      if (route?.action === 'protect' || route?.action === 'infer' || route?.action === 'predict') {
        this.metrics.latency.observe((performance.now() - arrival) / 1000);
      }
      this.inFlight--;
      if (this.inFlight === 0) this.onQuiet?.();
    }
  }

  /** Writes the error answer: memguard's {"error": {code, message, row}} or, on V1/V2 routes, {"error": "..."}. */
  private fail(res: ServerResponse, err: unknown, route: Route | undefined, label: string): void {
    if (err instanceof UpstreamError && err.passThrough) {
      // The model server refused the client's request (4xx): its answer goes back as it came.
      this.metrics.errors.inc({ code: 'upstream_' + err.status });
      const { status, contentType, text } = err.passThrough;
      if (!res.headersSent) res.writeHead(status, { 'content-type': contentType || 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
      return;
    }
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err instanceof ProtocolError || err instanceof UpstreamError) {
      const code = err.status === 502 ? 'bad_gateway' : err.status === 504 ? 'gateway_timeout' : err.status === 404 ? 'not_found'
        : err.status === 413 ? 'too_many_rows' : err.status === 422 ? 'not_confidence_vectors' : 'bad_request';
      e = new HttpError(code, err.message);
      if (err.status === 502 || err.status === 504) this.settings.log('upstream-error', { route: label, status: err.status, message: err.message });
    } else {
      this.settings.log('error', { route: label, message: (err as Error)?.message ?? String(err) });
      e = new HttpError('internal', 'internal error (see the server log)');
    }
    this.metrics.errors.inc({ code: e.code });
    if (route?.oip) sendJson(res, e.status, errorText(e.message), e.headers);
    else sendError(res, e);
  }

  private async dispatch(route: Route, req: IncomingMessage, res: ServerResponse, arrival: number): Promise<void> {
    const s = this.settings;
    switch (route.action) {
      case 'healthz': return this.health(res, false);
      case 'live': return sendJson(res, 200, '{"live":true}');
      case 'ready': return this.health(res, true);
      case 'metrics': {
        const text = this.metrics.render();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      case 'server':
        return sendJson(res, 200, JSON.stringify({ name: 'memguard', version: s.version ?? '0', extensions: [] }));
      case 'model':
        if (this.upstream) return this.relayGet(`${this.upstream}/v2/models/${encodeURIComponent(s.modelName)}`, req, res);
        return sendJson(res, 200, JSON.stringify(this.modelMetadata()));
      case 'modelReady':
      case 'v1model':
        if (!this.ready || this.draining) throw this.notReady();
        return sendJson(res, 200, JSON.stringify({ name: s.modelName, ready: true }));
      case 'protect': return this.protect(req, res, arrival);
      case 'infer': return this.openInference(req, res, 'v2', arrival);
      case 'predict': return this.openInference(req, res, 'v1', arrival);
    }
  }

  private modelMetadata(): unknown {
    const k = this.guard.k, s = this.settings;
    const inputName = s.input === 'logits' ? 'logits' : 'probabilities';
    return {
      name: s.modelName, versions: [s.version ?? '0'], platform: 'memguard',
      inputs: [{ name: inputName, datatype: 'FP32', shape: [-1, k] }],
      outputs: [{ name: 'released', datatype: 'FP32', shape: [-1, k] }],
    };
  }

  /** /healthz (and /v2/health/ready): 200 once ready, 503 + Retry-After while starting or draining. */
  private health(res: ServerResponse, oip: boolean): void {
    if (this.ready && !this.draining) sendJson(res, 200, oip ? '{"ready":true}' : '{"status":"ok"}');
    else if (oip) {
      const e = this.notReady();
      sendJson(res, e.status, errorText(e.message), e.headers);
    } else sendError(res, this.notReady());
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

  /** The request's body after the common checks (ready, token, JSON content type, size). */
  private async body(req: IncomingMessage): Promise<Buffer> {
    if (!this.ready || this.draining) throw this.notReady();
    this.authorize(req);
    requireJson(req);
    const s = this.settings;
    return readBody(req, s.maxBodyBytes, s.bodyTimeoutMs, s.discardBodyBytes);
  }

  /**
   * Phase I (shared batches) and Phase II for one request's rows; with a fixed deadline the result
   * is held until it. Counts the rows in the metrics.
   */
  private async protectRows(job: SearchJob, ids: string[] | undefined, deadline: Deadline | undefined): Promise<ProtectResult<Float32Array>> {
    const s = this.settings;
    if (job.rows > s.queueRows) throw new HttpError('too_many_rows', `${job.rows} rows in one request; the limit is ${s.queueRows} (--queue)`);
    if (!this.batcher.hasRoomFor(job.rows)) {
      throw new HttpError('overloaded', `the queue is full (${this.batcher.queuedRows} rows waiting); retry later`, undefined,
        { 'retry-after': String(s.retryAfterSeconds) });
    }
    const search = await this.batcher.submit(job);
    const result = this.guard.releaseSearch(search, { queryIds: ids });
    // The fixed deadline (design §7): the answer leaves at the deadline whatever Phase I cost.
    if (deadline) {
      if (deadline.passed) this.metrics.lateResponses.inc();
      else await deadline.wait();
      this.metrics.overrun.observe(Math.max(0, performance.now() - deadline.due) / 1000);
    }
    let noisy = 0;
    for (const x of result.noiseReleased) noisy += x;
    this.metrics.rows.inc({}, job.rows);
    this.metrics.noiseReleased.inc({}, noisy);
    return result;
  }

  private async protect(req: IncomingMessage, res: ServerResponse, arrival: number): Promise<void> {
    if (!this.ready || this.draining) throw this.notReady();
    // The deadline runs from the request's arrival, so when it fires does not depend on the work done meanwhile.
    const deadline = this.deadlineMs > 0 ? new Deadline(this.deadlineMs, arrival) : undefined;
    try {
      const body = await this.body(req);
      const { job, ids } = parseProtectRequest(body, this.guard, this.settings.input);
      const result = await this.protectRows(job, ids, deadline);
      sendJson(res, 200, responseText(result, job.k));
    } finally {
      deadline?.cancel();
    }
  }

  /** POST /v2/models/{name}/infer and /v1/models/{name}:predict, served here or through the upstream. */
  private async openInference(req: IncomingMessage, res: ServerResponse, protocol: 'v1' | 'v2', arrival: number): Promise<void> {
    const s = this.settings;
    const k = this.guard.k;
    const fallback: Content = s.input === 'logits' ? 'logits' : 'probabilities';
    if (!this.ready || this.draining) throw this.notReady();
    if (this.upstream && s.protocol && s.protocol !== protocol) {
      throw new HttpError('bad_request', `the model server speaks the ${s.protocol} protocol (--protocol ${s.protocol}); send ${s.protocol === 'v2' ? `POST /v2/models/${s.modelName}/infer` : `POST /v1/models/${s.modelName}:predict`}`);
    }
    let deadline = !this.upstream && this.deadlineMs > 0 ? new Deadline(this.deadlineMs, arrival) : undefined;
    try {
      const body = await this.body(req);
      let request: unknown;
      try {
        request = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new HttpError('bad_json', `the body is not valid JSON: ${(err as Error).message}`);
      }
      if (!this.upstream) {
        const rows: TensorRows = protocol === 'v2' ? parseV2Request(request, k, fallback) : parseV1Request(request, k, fallback);
        const job = validatedJob(this.guard, rows.rows, rows.content);
        const result = await this.protectRows(job, rows.ids, deadline);
        const id = (request as { id?: unknown }).id;
        return sendJson(res, 200, protocol === 'v2' ? v2ResponseText(s.modelName, id, result.released, rows.n, k) : v1ResponseText(result.released, rows.n, k));
      }
      const url = protocol === 'v2' ? `${this.upstream}/v2/models/${encodeURIComponent(s.modelName)}/infer`
        : `${this.upstream}/v1/models/${encodeURIComponent(s.modelName)}:predict`;
      const answer = await forward(url, 'POST', body, req.headers, s.upstreamTimeoutMs);
      // The upstream's time is not ours to hide; the deadline (if any) covers memguard's part.
      if (this.deadlineMs > 0) deadline = new Deadline(this.deadlineMs);
      const json = upstreamJson(answer, url);
      const output: UpstreamOutput = protocol === 'v2' ? v2UpstreamOutput(json, k, s.outputName, fallback) : v1UpstreamOutput(json, k, s.outputName, fallback);
      const ids = idsFromRequest(request, output.n);
      let job: SearchJob;
      try {
        job = validatedJob(this.guard, output.rows, output.content);
      } catch (err) {
        if (err instanceof HttpError) throw new ProtocolError(502, `the model server's confidence output is not confidence vectors: ${err.message}`);
        throw err;
      }
      const result = await this.protectRows(job, ids, deadline);
      sendJson(res, 200, output.replace(result.released));
    } finally {
      deadline?.cancel();
    }
  }

  /** Proxy mode: a GET answered by the model server (model metadata), relayed as it came. */
  private async relayGet(url: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = await forward(url, 'GET', undefined, req.headers, this.settings.upstreamTimeoutMs);
    res.writeHead(answer.status, { 'content-type': answer.contentType || 'application/json', 'content-length': Buffer.byteLength(answer.text) }).end(answer.text);
  }
}

/** Per-row ids for the keyed coin from the client's request (`parameters.ids`), in proxy mode. */
function idsFromRequest(request: unknown, n: number): string[] | undefined {
  const parameters = (request as { parameters?: { ids?: unknown } } | null)?.parameters;
  if (parameters?.ids === undefined) return undefined;
  const ids = parameters.ids;
  if (!Array.isArray(ids) || ids.length !== n || ids.some((id) => typeof id !== 'string' || id === '')) {
    throw new HttpError('bad_request', `parameters.ids must be ${n} non-empty strings, one per row of the model's answer`);
  }
  return ids as string[];
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

