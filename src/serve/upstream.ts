// Proxy (transformer) mode: one request forwarded to the model server (`--upstream URL`) with a
// bounded wait. What can go wrong upstream becomes a clear answer, never a hang: no connection or a
// broken answer is a 502, no answer within the limit a 504, an upstream 4xx goes back to the client
// as it came (the client's request was wrong), an upstream 5xx is a 502 naming it.
import { ProtocolError } from './openInference.js';

/** The model server's answer: status, content type and the parsed JSON body. */
export interface UpstreamAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** A failure to relay as is (an upstream 4xx) or as a 502/504. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';

  constructor(readonly status: number, message: string, readonly passThrough?: UpstreamAnswer) {
    super(message);
  }
}

/** Headers worth forwarding (the rest are hop-by-hop or describe the body we re-send). */
const FORWARDED = ['authorization', 'accept', 'x-request-id', 'traceparent', 'tracestate', 'ce-id', 'ce-type', 'ce-source', 'ce-specversion'];

/**
 * Sends `body` (JSON text, already parsed by the caller) to `url` and returns the answer once complete; `timeoutMs` bounds the whole
 * exchange (connect, headers and body).
 */
export async function forward(url: string, method: 'GET' | 'POST', body: Buffer | undefined, headers: Record<string, string | string[] | undefined>,
  timeoutMs: number): Promise<UpstreamAnswer> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  if (body) out['content-type'] = 'application/json';
  let res: Response, text: string;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    res = await fetch(url, { method, headers: out, body: body?.toString('utf8'), signal, redirect: 'manual' });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || signal.aborted) throw new UpstreamError(504, `the model server (${url}) did not answer within ${timeoutMs} ms`);
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new UpstreamError(502, `cannot reach the model server (${url}): ${cause}`);
  }
  const answer = { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
  if (res.status >= 400 && res.status < 500) throw new UpstreamError(res.status, `the model server answered ${res.status}`, answer);
  if (res.status !== 200) throw new UpstreamError(502, `the model server (${url}) answered ${res.status}: ${text.slice(0, 300)}`);
  return answer;
}

/** The upstream answer's JSON (a 502 when it is not JSON). */
export function upstreamJson(answer: UpstreamAnswer, url: string): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new ProtocolError(502, `the model server (${url}) answered 200 with a body that is not JSON: ${answer.text.slice(0, 120)}`);
  }
}
