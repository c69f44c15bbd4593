// A POST /v1/protect body turned into validated Phase I work (a SearchJob) or a 400/422 naming the
// row and the problem. Runs per request, before batching, so a bad row fails only its own request.
import { MemGuardInputError } from '../errors.js';
import type { MemGuard, SearchJob } from '../memguard/memguard.js';
import { HttpError } from './httpError.js';

/** What POST /v1/protect bodies carry: confidence vectors ("scores") or the target model's "logits". */
export type InputKind = 'scores' | 'logits';

export interface ProtectWork {
  job: SearchJob;
  /** Per-row query ids for the keyed coin, when the request gave them. */
  ids: string[] | undefined;
}

/** Parses and validates a request body for `guard`; `kind` is what this server takes. */
export function parseProtectRequest(body: Buffer, guard: MemGuard, kind: InputKind): ProtectWork {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError('bad_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError('bad_request', `the body must be a JSON object {"${kind}": [[...], ...]}`);
  }
  const body_ = value as Record<string, unknown>;
  const other: InputKind = kind === 'scores' ? 'logits' : 'scores';
  if (!(kind in body_) && other in body_) {
    throw new HttpError('bad_request', kind === 'scores'
      ? 'this server takes "scores" (confidence vectors); start it with --logits to send "logits"'
      : 'this server takes "logits" (it was started with --logits); send them as "logits"');
  }
  for (const key of Object.keys(body_)) {
    if (key !== kind && key !== 'ids') throw new HttpError('bad_request', `unknown field ${JSON.stringify(key)} (expected "${kind}" and optionally "ids")`);
  }
  const rows = body_[kind];
  if (!Array.isArray(rows)) throw new HttpError('bad_request', `"${kind}" must be an array of rows (arrays of ${guard.k} numbers)`);
  const k = guard.k;
  const data = new Float32Array(rows.length * k);
  for (let r = 0; r < rows.length; r++) {
    const row: unknown = rows[r];
    if (!Array.isArray(row)) throw new HttpError('bad_request', `row ${r} is not an array of numbers`, r);
    if (row.length !== k) {
      throw new HttpError('not_confidence_vectors', `row ${r} has ${row.length} values; the defense classifier takes k = ${k}`, r);
    }
    for (let j = 0; j < k; j++) {
      const x: unknown = row[j];
      if (typeof x !== 'number') throw new HttpError('bad_request', `row ${r}, column ${j} is ${JSON.stringify(x)}, not a number`, r);
      data[r * k + j] = x;
    }
  }
  const ids = parseIds(body_.ids, rows.length);
  return { job: validatedJob(guard, data, kind === 'logits' ? 'logits' : 'probabilities'), ids };
}

/**
 * Phase I work for rows (n x k) that the library validates (probability rows sum to 1, finite, ...):
 * a 422 naming the row when they are not confidence vectors (or logits).
 */
export function validatedJob(guard: MemGuard, data: Float32Array, content: 'probabilities' | 'logits'): SearchJob {
  try {
    return guard.searchJob(data, content);
  } catch (err) {
    if (!(err instanceof MemGuardInputError)) throw err;
    // The library names the row of the batch it got, which is this request's row.
    const m = /^protect(?: \([^)]*\))?: (row (\d+)[\s\S]*)$/.exec(err.message);
    const message = (m ? m[1]! : err.message).replace(/\(pass input: 'logits' for logits\)/, '(start the server with --logits for logits)');
    throw new HttpError('not_confidence_vectors', message, m ? Number(m[2]) : undefined);
  }
}

function parseIds(ids: unknown, rows: number): string[] | undefined {
  if (ids === undefined) return undefined;
  if (!Array.isArray(ids)) throw new HttpError('bad_request', '"ids" must be an array of strings, one per row');
  if (ids.length !== rows) throw new HttpError('bad_request', `"ids" has ${ids.length} entries for ${rows} rows`);
  ids.forEach((id: unknown, r) => {
    if (typeof id !== 'string' || id === '') throw new HttpError('bad_request', `ids[${r}] must be a non-empty string`, r);
  });
  return ids as string[];
}
