// Reading a whole confidence-vector CSV for train-defense and evaluate: streamed in batches so
// that every bad row is reported with its line number, and checked to hold probability vectors
// (design §5: entries in [0, 1] summing to 1), since both commands reason about confidence vectors.
import { MemGuardFormatError, MemGuardInputError } from '../errors.js';
import { readScoresCsvBatches } from '../data/csv/scores.js';

/** Rows of a scores file: `vectors` is row-major n x k. */
export interface ScoresFile {
  path: string;
  vectors: Float32Array;
  n: number;
  k: number;
  member?: Uint8Array;
  label?: Int32Array;
}

/** Probability rows must sum to 1 within this (MemGuard's default tolerance). */
export const SUM_TOLERANCE = 1e-3;

/**
 * Reads `path` (p0..p{k-1}, optional member/label, other columns ignored). `need` lists columns that
 * must be present; `what` describes the file's role in messages (e.g. "--shadow").
 */
export async function readProbabilityFile(path: string, what: string, need: Array<'member' | 'label'> = []): Promise<ScoresFile> {
  const parts: Float32Array[] = [];
  const members: Uint8Array[] = [];
  const labels: Int32Array[] = [];
  let k = 0, n = 0;
  for await (const batch of readScoresCsvBatches(path, { batchSize: 8192 })) {
    if (n === 0) {
      k = batch.k;
      const missing = need.filter((c) => (c === 'member' ? !batch.member : !batch.label));
      if (missing.length) {
        throw new MemGuardFormatError(`${what} ${path}: needs the columns ${need.join(', ')} and p0..p${k - 1}; missing ${missing.join(', ')}` +
          (missing.includes('member') ? ' (member: 1 = member, 0 = non-member)' : ''));
      }
    }
    checkProbabilities(batch.vectors, k, batch.lines, path);
    parts.push(batch.vectors);
    if (batch.member) members.push(batch.member);
    if (batch.label) labels.push(batch.label);
    n += batch.n;
  }
  if (n === 0) throw new MemGuardFormatError(`${what} ${path}: no data rows`);
  const out: ScoresFile = { path, vectors: concat(parts, Float32Array), n, k };
  if (members.length) out.member = concat(members, Uint8Array);
  if (labels.length) out.label = concat(labels, Int32Array);
  if (k < 2) throw new MemGuardFormatError(`${what} ${path}: one probability column (p0): membership needs k >= 2 classes`);
  return out;
}

/** Throws naming the file line of the first row that is not a probability vector. */
export function checkProbabilities(v: Float32Array, k: number, lines: ArrayLike<number>, path: string): void {
  for (let r = 0; r < v.length / k; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const x = v[r * k + j]!;
      if (!(x >= 0 && x <= 1)) {
        throw new MemGuardInputError(`${path}: line ${lines[r]}, column p${j}: ${x} is not a probability (must be in [0, 1])`);
      }
      sum += x;
    }
    if (Math.abs(sum - 1) > SUM_TOLERANCE) {
      throw new MemGuardInputError(`${path}: line ${lines[r]}: the row sums to ${sum}; probabilities must sum to 1 (within ${SUM_TOLERANCE})`);
    }
  }
}

function concat<T extends Float32Array | Uint8Array | Int32Array>(parts: T[], Ctor: { new (n: number): T }): T {
  const out = new Ctor(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p as never, at); at += p.length; }
  return out;
}
