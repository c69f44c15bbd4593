// `memguard serve`: MemGuard as an HTTP sidecar for model servers in any language (SPEC §8).
// Flag parsing only; the server is src/serve/.
import { readFileSync } from 'node:fs';
import { MemGuardServer } from '../../serve/server.js';
import { jsonLogger } from '../../serve/log.js';
import { SERVE_DEFAULTS, type FixedLatency } from '../../serve/options.js';
import { drainOnSignals } from '../../serve/shutdown.js';
import type { MixingMode } from '../../memguard/phase2.js';
import {
  existingFile, optional, packageVersion, parseChoice, parseFlags, parseIntFlag, parseNumberFlag, required, usage, type Command,
} from '../args.js';
import { KEY_ENV, keyFromFileOrEnv } from '../key.js';
import { threadCount } from '../parallel.js';
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
  GET  /healthz      200 when ready, 503 while starting or shutting down
  GET  /metrics      Prometheus text format
  Errors: {"error": {"code", "message", "row"}} with 400 (malformed), 401 (token), 413 (too large),
  415 (not application/json), 422 (not confidence vectors), 503 + Retry-After (queue full).

Required:
  --defense FILE         the defense classifier g: a model file (e.g. from memguard train-defense)
                         or an ONNX model of an MLP (e.g. exported from PyTorch or Keras)
  --epsilon E            the distortion budget: E||n||_1 <= E ('inf' = always add the noise)
  the key                ${KEY_ENV}=... in the environment, or --key-file FILE: the secret of the
                         keyed release coin (hex, "base64:...", or a file's raw bytes; >= 16 bytes).
                         Never a command-line argument. Replicas with the same key answer alike.

Options:
  --host H               address to listen on (default ${D.host}: this machine only)
  --port N               port (default ${D.port}; 0 = any free port, shown in the log)
  --logits               requests send the target model's logits as "logits" instead of "scores"
  --mixing M             Phase II rule: paper (default) or exact
  --max-batch N          most rows per shared Phase I batch (default ${D.maxBatch})
  --max-wait-ms T        longest a row waits for batch-mates (default ${D.maxWaitMs})
  --threads N            worker threads running Phase I (default: all cores)
  --queue N              most rows waiting for a batch; more gets 503 + Retry-After (default ${D.queueRows})
  --max-body-mb M        largest request body (default ${D.maxBodyBytes / 2 ** 20}); larger gets 413
  --token-file FILE      require "Authorization: Bearer <token>" on POST /v1/protect, the token
                         being this file's content (surrounding whitespace ignored)
  --fixed-latency-ms D   every protect response leaves D ms after its request arrived, so its
                         timing says nothing about the query (Phase I's work does: SPEC §7).
                         Default 'auto': D from a startup calibration (in the startup log);
                         0 turns it off. Responses that take longer leave late and are counted
                         in /metrics (memguard_late_responses_total).
  -h, --help             this help

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
} as const;

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
    const port = int('port', D.port, 0, 65535);
    const mixing = parseChoice<MixingMode>(NAME, 'mixing', optional(v, 'mixing') ?? D.mixing, ['paper', 'exact']);
    const maxBatch = int('max-batch', D.maxBatch, 1, 1 << 16);
    const maxWaitMs = int('max-wait-ms', D.maxWaitMs, 0, 60_000);
    const queueRows = int('queue', D.queueRows, 1);
    const mb = optional(v, 'max-body-mb');
    const maxBodyBytes = mb === undefined ? D.maxBodyBytes : Math.floor(parseNumberFlag(NAME, 'max-body-mb', mb, { min: 0, exclusiveMin: true }) * 2 ** 20);
    const threads = threadCount(NAME, optional(v, 'threads'));
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
    if (!['127.0.0.1', '::1', 'localhost'].includes(host) && token === undefined) {
      log('warning', { message: `listening on ${host} (not loopback) without --token-file: anyone who reaches this port can query the defense` });
    }
    const server = await MemGuardServer.start({
      ...D, defenseClassifier, epsilon, key, mixing, input: v.logits ? 'logits' : 'scores', host, port, threads,
      maxBatch, maxWaitMs, queueRows, maxBodyBytes, fixedLatency, token, log, version: packageVersion(),
    });
    const uninstall = drainOnSignals(server, log);
    await server.stopped;
    uninstall();
    defenseClassifier.dispose();
    return 0;
  },
};
