// Reading a request body under the server's limits: the content type (415), the size (413, read
// no further than the limit) and a deadline for slow senders.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './httpError.js';

/** 415 unless the request says its body is JSON (`application/json`, any parameters). */
export function requireJson(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError('unsupported_media_type',
      `the body must be JSON (content-type: application/json), got ${type === '' ? 'no content-type' : JSON.stringify(type)}`);
  }
}

/**
 * The whole body, at most `maxBytes`. A body over the limit is a 413 at once, and the rest of the
 * body is then read and dropped, up to `discardBytes` in all: a client that sends its whole body
 * before it reads (Python's urllib) would otherwise see the connection reset instead of the 413,
 * and a client that reads while sending gets the 413 without waiting. Past `discardBytes` (or a
 * declared length over it) the connection is closed. `timeoutMs` bounds a slow sender.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number, discardBytes = maxBytes): Promise<Buffer> {
  const cap = Math.max(maxBytes, discardBytes);
  const tooLarge = (drain: boolean) => new HttpError('body_too_large', `the body is larger than the limit of ${maxBytes} bytes (--max-body-mb)`,
    undefined, drain ? {} : { connection: 'close' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) return Promise.reject(tooLarge(false));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(new HttpError('bad_request', `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(tooLarge(true), true);
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onClose = () => finish(new HttpError('bad_request', 'the client closed the connection before the body was complete'));
    function finish(err: HttpError | undefined, drain = false): void {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      if (drain) discardRest(req, size, cap, timeoutMs);
      else if (err) req.pause();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    }
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
  });
}

/**
 * Reads and drops the rest of a body; past `cap` bytes in all, or after `timeoutMs`, closes the
 * connection. Counted on the socket: once the answer is sent, Node itself drains the request (and
 * removes 'data' listeners to do so).
 */
function discardRest(req: IncomingMessage, size: number, cap: number, timeoutMs: number): void {
  const socket = req.socket, start = socket.bytesRead - size, until = Date.now() + timeoutMs;
  const poll = setInterval(() => {
    if (req.complete || socket.destroyed) clearInterval(poll);
    else if (socket.bytesRead - start > cap || Date.now() > until) {
      clearInterval(poll);
      socket.destroy();
    }
  }, 20);
  poll.unref();
  req.resume();
}
