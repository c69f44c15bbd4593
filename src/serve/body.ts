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
 * The whole body, at most `maxBytes`. A declared content-length over the limit fails before
 * anything is read; a body that grows past it fails as soon as it does (413), and the rest is never
 * read (the server closes the connection after answering). `timeoutMs` bounds a slow sender.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const tooLarge = () => new HttpError('body_too_large', `the body is larger than the limit of ${maxBytes} bytes (--max-body-mb)`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(new HttpError('bad_request', `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onClose = () => finish(new HttpError('bad_request', 'the client closed the connection before the body was complete'));
    function finish(err: HttpError | undefined): void {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    }
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
  });
}
