// One error shape for every failure the server answers (src/serve/protocol.ts: ErrorBody), and
// the one function that writes it.
import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from './protocol.js';

/** A failure with its HTTP status (from the code), a message for people and, if any, the row. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;

  constructor(readonly code: ErrorCode, message: string, readonly row?: number, readonly headers: Record<string, string> = {}) {
    super(message);
    this.status = ERROR_CODES[code];
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.row !== undefined ? { row: this.row } : {}) } };
  }
}

/** Writes `status` with a JSON body (unless the client is gone). */
export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Writes an HttpError as its status and JSON body. */
export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, JSON.stringify(err.body()), err.headers);
}
