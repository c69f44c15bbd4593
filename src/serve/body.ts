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
 * The whole body, at most `maxBytes`. A body over the limit is a 413 that the client must be able to
 * read: a client that sends its whole body before reading (Python's urllib, which also asks for
 * `connection: close`) sees a reset instead if the server closes while it is still sending. So the
 * rest of the body is read and dropped, up to `discardBytes` in all: on a keep-alive connection the
 * 413 leaves at once and Node drains the body behind it (the connection then serves on); when the
 * connection closes after the answer (`connection: close`, HTTP/1.0) the 413 leaves once the body
 * has ended. Past `discardBytes` (or a declared length over it) the 413 leaves at once and the
 * connection is closed. `timeoutMs` bounds a slow sender.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number, discardBytes = maxBytes): Promise<Buffer> {
  const cap = Math.max(maxBytes, discardBytes);
  const tooLarge = (drain: boolean) => new HttpError('body_too_large', `the body is larger than the limit of ${maxBytes} bytes (--max-body-mb)`,
    undefined, drain ? {} : { connection: 'close' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) return Promise.reject(tooLarge(false));
  const closes = req.httpVersion === '1.0' || /(^|,)\s*close\s*($|,)/i.test(String(req.headers.connection ?? ''));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(new HttpError('bad_request', `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) finish(tooLarge(false));
      else if (size <= maxBytes) chunks.push(chunk);
      else if (!closes) finish(tooLarge(true), true);
      else chunks.length = 0; // read on to the end of the body, then answer
    };
    const onEnd = () => finish(size > maxBytes ? tooLarge(true) : undefined);
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
