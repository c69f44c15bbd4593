// The wire format of `memguard serve` (design §8), shared by the server and the client. No Node
// imports: the client (src/serve/client.ts) runs in browsers too.
//
// POST /v1/protect
//   request:  {"scores": [[p0, ..., p{k-1}], ...], "ids": ["...", ...]?}   (or "logits" for --logits)
//   response: {"released": [[...], ...], "noisy": [0|1, ...]}              (row order kept)
// Every error:  {"error": {"code": "...", "message": "...", "row": N?}}
//
// Numbers: the engine works in float32. Each released value is written with the fewest decimal
// digits that read back (double parse, then rounding to float32, e.g. `Math.fround(x)` or
// `numpy.float32(x)`) to exactly the float32 the engine computed: the same text `memguard protect`
// writes into its CSV cells.

/** The path of the protect endpoint. */
export const PROTECT_PATH = '/v1/protect';

/** The body of POST /v1/protect. */
export interface ProtectRequest {
  /** Confidence vectors, one array of k numbers per row (a server started without --logits). */
  scores?: number[][];
  /** The target model's logits instead (a server started with --logits). */
  logits?: number[][];
  /** Per-row query ids for the keyed coin (default: the row's content). */
  ids?: string[];
}

/** The 200 answer of POST /v1/protect. */
export interface ProtectResponse {
  /** The released vectors, in request row order. */
  released: number[][];
  /** 1 where the released row carries MemGuard's noise (s + r), 0 where it is s itself. */
  noisy: Array<0 | 1>;
}

/** Machine-readable error codes, one per kind of failure, with their HTTP status. */
export const ERROR_CODES = {
  bad_json: 400,
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  too_many_rows: 413,
  unsupported_media_type: 415,
  not_confidence_vectors: 422,
  internal: 500,
  bad_gateway: 502,
  overloaded: 503,
  gateway_timeout: 504,
  not_ready: 503,
} as const;

/** The `code` of an error answer. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every error answer. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    /** The offending row (0-based, in the request), when the error is about one row. */
    row?: number;
  };
}
