// `memguard serve`: MemGuard as an HTTP sidecar for model servers in any language (design §8).
// Flag parsing only; the server is src/serve/.
import { readFileSync } from 'node:fs';
import { MemGuardServer } from '../../serve/server.js';
import { jsonLogger } from '../../serve/log.js';
import { CGROUP_FILES, defaultThreads, type CgroupFiles } from '../../serve/cpuQuota.js';
import { SERVE_DEFAULTS, TIMING_MODES, type FixedLatency, type TimingMode } from '../../serve/options.js';
import { drainOnSignals } from '../../serve/shutdown.js';
import type { MixingMode } from '../../memguard/phase2.js';
import {
  existingFile, optional, packageVersion, parseChoice, parseFlags, parseIntFlag, parseNumberFlag, required, usage, type Command,
  type UsageError,
} from '../args.js';
import { KEY_ENV, keyFromFileOrEnv } from '../key.js';
import { readDefense } from './protect.js';

const NAME = 'serve';
const D = SERVE_DEFAULTS;

const HELP = `Usage: memguard serve --defense G.json --epsilon E [--key-file FILE] [options]

Serves MemGuard over HTTP, as a sidecar for a model server in any language: the model server posts
its confidence vectors (or logits), memguard answers the released vectors. Rows of concurrent
requests share Phase I batches on worker threads; a row's answer is byte for byte what
'memguard protect' gives with the same key, whatever batch it lands in.

  POST /v1/protect   {"scores": [[p0, ..., p{k-1}], ...], "ids": ["...", ...]}   ("ids" optional)
                     -> {"released": [[...], ...], "noisy": [0|1, ...]}
  POST /v2/models/NAME/infer   Open Inference Protocol (KServe V2): one FP32/FP64 input [n, k]
                     (flat or nested data; named "logits" or "probabilities", else as --logits says;
                     "parameters": {"ids": [...]} for the coin) -> output "released" FP32 [n, k]
  POST /v1/models/NAME:predict  {"instances": [[...], ...]} -> {"predictions": [[...], ...]}
  GET  /v2, /v2/models/NAME, /v2/models/NAME/ready, /v1/models/NAME   metadata, readiness
  GET  /v2/health/live   200 as soon as the process serves HTTP (liveness)
  GET  /v2/health/ready, /healthz   200 when ready, 503 while starting or shutting down (readiness)
  GET  /metrics      Prometheus text format (autoscale on memguard_in_flight_requests)
  Errors: /v1/protect {"error": {"code", "message", "row"}}, V1/V2 {"error": "..."}, with 400
  (malformed), 401 (token), 404 (route, model), 413 (too large), 415 (not application/json),
  422 (not confidence vectors), 502/504 (upstream), 503 + Retry-After (queue full, not ready).

Required:
  --defense FILE         the defense classifier g: a model file (e.g. from memguard train-defense)
                         or an ONNX model of an MLP (e.g. exported from PyTorch or Keras)
  --epsilon E            the distortion budget: E||n||_1 <= E ('inf' = always add the noise)
  the key                ${KEY_ENV}=... in the environment, or --key-file FILE: the secret of the
                         keyed release coin (hex, "base64:...", or a file's raw bytes; >= 16 bytes).
                         Never a command-line argument. Replicas with the same key answer alike.

Options:
  --host H               address to listen on (default ${D.host}: this machine only)
  --port N, --http_port N   port (default: $PORT, else ${D.port}; 0 = any free port, shown in the log)
  --logits               requests send the target model's logits as "logits" instead of "scores"
  --mixing M             Phase II rule: paper (default) or exact
  --max-batch N          most rows per shared Phase I batch (default ${D.maxBatch})
  --max-wait-ms T        longest a row waits for batch-mates (default ${D.maxWaitMs})
  --threads N, --workers N  worker threads running Phase I (default: the container's CPU quota
                         from cgroup cpu.max, rounded down, else all cores)
  --queue N              most rows waiting for a batch; more gets 503 + Retry-After (default ${D.queueRows})
  --max-body-mb M        largest request body (default ${D.maxBodyBytes / 2 ** 20}); larger gets 413
  --token-file FILE      require "Authorization: Bearer <token>" on POST /v1/protect, the token
                         being this file's content (surrounding whitespace ignored)
  --timing MODE          how response times are kept from telling members from non-members
                         (Phase I's work differs between them; docs/serving.md):
                         fixed-work (default): every row does the same Phase I work (512 passes
                           of g), so an answer's time depends only on its batch's size; leaves
                           as soon as ready (a few ms per row)
                         deadline: the default search, every answer held until a fixed deadline
                           (--fixed-latency-ms, calibrated on the worst batch by default)
                         off: the default search, answers as soon as ready: fastest, and its
                           latency IS a membership signal; only where callers cannot time it
  --fixed-latency-ms D   every protect response leaves D ms after its request arrived ('auto':
                         from a startup calibration, the default with --timing deadline; 0 = off).
                         Responses that take longer leave late and are counted in /metrics
                         (memguard_late_responses_total).
  --model_name NAME      the model name of the V1/V2 routes (default ${D.modelName}); in proxy mode the
                         upstream model's name
  --upstream URL         proxy (transformer) mode: forward each V1/V2 request to the model server
                         at URL, replace only its confidence output with the released vectors,
                         return the rest of its answer unchanged
  --predictor_host H:P   KServe's transformer argument: --upstream http://H:P
  --output-name NAME     proxy mode: the upstream output (V2) or prediction field (V1) holding the
                         confidence vectors (default: the only FP32/FP64 output of shape [n, k];
                         V1: each prediction itself)
  --protocol v1|v2       proxy mode: the protocol the model server speaks (also --predictor_protocol)
  --upstream-timeout-ms T  proxy mode: longest wait for the model server (default ${D.upstreamTimeoutMs}; then 504)
  --drain-seconds S      on SIGTERM, how long in-flight requests get (default ${D.drainTimeoutMs / 1000}; keep it
                         under the pod's terminationGracePeriodSeconds)
  -h, --help             this help
  KServe's --grpc_port, --max_threads and --predictor_use_ssl are accepted (no gRPC server;
  --predictor_use_ssl true makes --predictor_host https).

The log is one JSON object per line on stderr (never the key, the token or any vector).
SIGTERM or SIGINT: stop accepting, answer every request already received, exit 0.

Example:
  export ${KEY_ENV}=$(openssl rand -hex 32)
  memguard serve --defense g.json --epsilon 0.5 --threads 2
  curl -s localhost:${D.port}/v1/protect -H 'content-type: application/json' \\
       -d '{"scores": [[0.7, 0.2, 0.1]]}'
`;

const OPTIONS = {
  defense: { type: 'string' },
  epsilon: { type: 'string' },
  'key-file': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  logits: { type: 'boolean' },
  mixing: { type: 'string' },
  'max-batch': { type: 'string' },
  'max-wait-ms': { type: 'string' },
  threads: { type: 'string' },
  queue: { type: 'string' },
  'max-body-mb': { type: 'string' },
  'token-file': { type: 'string' },
  'fixed-latency-ms': { type: 'string' },
  timing: { type: 'string' },
  http_port: { type: 'string' },
  workers: { type: 'string' },
  model_name: { type: 'string' },
  upstream: { type: 'string' },
  predictor_host: { type: 'string' },
  predictor_use_ssl: { type: 'string' },
  'output-name': { type: 'string' },
  protocol: { type: 'string' },
  predictor_protocol: { type: 'string' },
  'upstream-timeout-ms': { type: 'string' },
  'drain-seconds': { type: 'string' },
  grpc_port: { type: 'string' },
  max_threads: { type: 'string' },
} as const;

/** The cgroup files, under $MEMGUARD_CGROUP_ROOT when set (tests point it at fake files). */
function cgroupFiles(env: Record<string, string | undefined>): CgroupFiles {
  const root = env.MEMGUARD_CGROUP_ROOT;
  if (!root) return CGROUP_FILES;
  return { cpuMax: `${root}/cpu.max`, cfsQuota: `${root}/cpu/cpu.cfs_quota_us`, cfsPeriod: `${root}/cpu/cpu.cfs_period_us` };
}

/** One of two spellings of a flag (e.g. --port and KServe's --http_port); both given is an error. */
function either(v: Record<string, unknown>, a: string, b: string): string | undefined {
  const x = optional(v, a), y = optional(v, b);
  if (x !== undefined && y !== undefined && x !== y) throw usage(NAME, `--${a} ${x} and --${b} ${y} disagree: give one`);
  return x ?? y;
}

/** The upstream base URL from --upstream or --predictor_host (http://HOST:PORT). */
function upstreamOf(v: Record<string, unknown>): string | undefined {
  const url = optional(v, 'upstream'), host = optional(v, 'predictor_host');
  if (url !== undefined && host !== undefined) throw usage(NAME, 'give --upstream URL or --predictor_host HOST:PORT, not both');
  const ssl = optional(v, 'predictor_use_ssl');
  const base = url ?? (host !== undefined ? `${ssl === 'true' || ssl === 'True' ? 'https' : 'http'}://${host}` : undefined);
  if (base === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw usage(NAME, `--upstream ${JSON.stringify(base)} is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw usage(NAME, `--upstream must be http:// or https://, got ${parsed.protocol}`);
  return base.replace(/\/+$/, '');
}

export const serve: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const defensePath = required(NAME, v, 'defense');
    const epsilon = parseNumberFlag(NAME, 'epsilon', required(NAME, v, 'epsilon'), { min: 0, allowInfinity: true });
    const int = (flag: string, fallback: number, min: number, max?: number) => {
      const text = optional(v, flag);
      return text === undefined ? fallback : parseIntFlag(NAME, flag, text, min, max);
    };
    const host = optional(v, 'host') ?? D.host;
    const portText = either(v, 'port', 'http_port') ?? ctx.env.PORT;
    const port = portText === undefined ? D.port : parseIntFlag(NAME, 'port', portText, 0, 65535);
    const mixing = parseChoice<MixingMode>(NAME, 'mixing', optional(v, 'mixing') ?? D.mixing, ['paper', 'exact']);
    const maxBatch = int('max-batch', D.maxBatch, 1, 1 << 16);
    const maxWaitMs = int('max-wait-ms', D.maxWaitMs, 0, 60_000);
    const queueRows = int('queue', D.queueRows, 1);
    const mb = optional(v, 'max-body-mb');
    const maxBodyBytes = mb === undefined ? D.maxBodyBytes : Math.floor(parseNumberFlag(NAME, 'max-body-mb', mb, { min: 0, exclusiveMin: true }) * 2 ** 20);
    const threadsText = either(v, 'threads', 'workers');
    const threads = threadsText === undefined ? defaultThreads(cgroupFiles(ctx.env)) : parseIntFlag(NAME, 'threads', threadsText, 1, 256);
    const timing = parseChoice<TimingMode>(NAME, 'timing', optional(v, 'timing') ?? D.timing, TIMING_MODES);
    const upstream = upstreamOf(v);
    const protocolText = either(v, 'protocol', 'predictor_protocol');
    const protocol = protocolText === undefined ? undefined : parseChoice<'v1' | 'v2'>(NAME, 'protocol', protocolText, ['v1', 'v2']);
    const modelName = optional(v, 'model_name') ?? D.modelName;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(modelName)) throw usage(NAME, `--model_name ${JSON.stringify(modelName)}: letters, digits, '.', '_' and '-' only`);
    const upstreamTimeoutMs = int('upstream-timeout-ms', D.upstreamTimeoutMs, 1, 600_000);
    const ds = optional(v, 'drain-seconds');
    const drainTimeoutMs = ds === undefined ? D.drainTimeoutMs : Math.round(parseNumberFlag(NAME, 'drain-seconds', ds, { min: 0 }) * 1000);
    const fl = optional(v, 'fixed-latency-ms');
    const fixedLatency: FixedLatency = fl === undefined || fl === 'auto' ? 'auto' : parseNumberFlag(NAME, 'fixed-latency-ms', fl, { min: 0 });
    const key = keyFromFileOrEnv(optional(v, 'key-file'), ctx.env, (m) => ctx.err(m + '\n'));
    if (key === undefined) {
      throw usage(NAME, `the release coin needs a secret key: set ${KEY_ENV} (e.g. export ${KEY_ENV}=$(openssl rand -hex 32)) or give --key-file FILE`);
    }
    const tokenFile = optional(v, 'token-file');
    let token: string | undefined;
    if (tokenFile !== undefined) {
      token = readFileSync(existingFile('token-file', tokenFile), 'utf8').trim();
      if (token === '' || /\s/.test(token)) throw new Error(`--token-file ${tokenFile}: the token must be one word (no spaces), and not empty`);
    }
    const defenseClassifier = readDefense(existingFile('defense', defensePath));
    const log = jsonLogger(ctx.err);
    if (timing === 'off') {
      log('warning', { message: '--timing off: response times tell members from non-members; use it only where callers cannot time the answers' });
    }
    if (!['127.0.0.1', '::1', 'localhost'].includes(host) && token === undefined) {
      log('warning', { message: `listening on ${host} (not loopback) without --token-file: anyone who reaches this port can query the defense` });
    }
    const server = await MemGuardServer.start({
      ...D, defenseClassifier, epsilon, key, mixing, input: v.logits ? 'logits' : 'scores', host, port, threads,
      maxBatch, maxWaitMs, queueRows, maxBodyBytes, fixedLatency, token, log, version: packageVersion(),
      timing, modelName, upstream, outputName: optional(v, 'output-name'), protocol, upstreamTimeoutMs, drainTimeoutMs,
    });
    const uninstall = drainOnSignals(server, log);
    await server.stopped;
    uninstall();
    defenseClassifier.dispose();
    return 0;
  },
};
