// memguard/client: a typed client for `memguard serve`, on `fetch` only (no Node imports), so it
// works in Node 18+, Deno, Bun and browsers.
import { ERROR_CODES, PROTECT_PATH, type ErrorBody, type ErrorCode, type ProtectRequest, type ProtectResponse } from './protocol.js';

export { ERROR_CODES };
export type { ErrorBody, ErrorCode, ProtectRequest, ProtectResponse };

/** Where the server is and how to call it. */
export interface MemGuardClientOptions {
  /** The server's base URL, e.g. 'http://127.0.0.1:8642'. */
  url: string;
  /** The bearer token, when the server was started with --token-file. */
  token?: string;
  /** What the server takes: 'scores' (default) or 'logits' (a server started with --logits). */
  input?: 'scores' | 'logits';
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** The server answered with an error: its HTTP status, error code, message and (if any) row. */
export class MemGuardServerError extends Error {
  override name = 'MemGuardServerError';

  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'unknown',
    message: string,
    /** The offending row of the request (0-based), when the error is about one row. */
    readonly row?: number,
    /** Seconds to wait before retrying (503), from the Retry-After header. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/**
 * @example
 * const client = new MemGuardClient({ url: 'http://127.0.0.1:8642' });
 * const { released, noisy } = await client.protect([[0.7, 0.2, 0.1]]);
 */
export class MemGuardClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: MemGuardClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? ((...a) => globalThis.fetch(...a));
  }

  /**
   * Protects rows (each k numbers; any array-like such as a Float32Array). `ids` optionally names each
   * row for the keyed coin. Released values are the server's float32 results; `Math.fround(x)` gives
   * the exact float32. Throws MemGuardServerError for an error answer.
   */
  async protect(rows: ReadonlyArray<ArrayLike<number>>, options: { ids?: string[]; signal?: AbortSignal } = {}): Promise<ProtectResponse> {
    const body: ProtectRequest = { [this.options.input ?? 'scores']: rows.map((r) => Array.from(r)) };
    if (options.ids) body.ids = options.ids;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    const res = await this.fetch(this.base + PROTECT_PATH, { method: 'POST', headers, body: JSON.stringify(body), signal: options.signal });
    if (!res.ok) throw await toError(res);
    return (await res.json()) as ProtectResponse;
  }

  /** True when GET /healthz answers 200 (ready), false for 503 (starting or draining). */
  async healthy(): Promise<boolean> {
    const res = await this.fetch(`${this.base}/healthz`);
    await res.body?.cancel();
    return res.ok;
  }
}

async function toError(res: Response): Promise<MemGuardServerError> {
  const retry = Number(res.headers.get('retry-after') ?? NaN);
  const retryAfter = Number.isFinite(retry) ? retry : undefined;
  try {
    const { error } = (await res.json()) as ErrorBody;
    return new MemGuardServerError(res.status, error.code, error.message, error.row, retryAfter);
  } catch {
    return new MemGuardServerError(res.status, 'unknown', `HTTP ${res.status} ${res.statusText}`, undefined, retryAfter);
  }
}
