// design §5's input checks, shared by MemGuard and the post-hoc rivals (src/posthoc/): rows of
// confidence vectors (or logits) in, validated probabilities out, or a typed error naming the row.
import { check, MemGuardInputError } from '../errors.js';
import { toRows, type MatrixInput } from '../nn/matrix.js';
import type { Engine } from '../wasm/engine.js';

/** Validated rows: probabilities (softmax of the input when it was logits), and the logits when given. */
export interface ConfidenceRows { scores: Float32Array; logits: Float32Array | undefined; count: number }

/**
 * Checks `rows` (rows x k) as design §5 asks and returns probabilities: logits are softmaxed on
 * `engine`; probabilities must be finite, in [0, 1] and sum to 1 within `sumTolerance`. Errors name
 * `where`, the row and the problem. The scores never alias the caller's buffer.
 */
export function confidenceRows(rows: MatrixInput, k: number, input: 'probabilities' | 'logits', sumTolerance: number,
  engine: Engine, where = 'protect'): ConfidenceRows {
  check(input === 'probabilities' || input === 'logits', () => `${where}: input must be 'probabilities' or 'logits', got ${String(input)}`);
  // Probabilities are checked row by row below, so the error names the first invalid row whatever
  // its problem (a non-finite entry is not reported ahead of an earlier negative one).
  const { data, rows: count } = toRows(rows, k, `${where} (${input})`, input === 'logits');
  if (input === 'logits') {
    const scores = count === 0 ? new Float32Array(0) : engine.withScratch([count * k], (ptr) => {
      engine.writeF32(ptr, data);
      engine.abi.softmaxForward(count, k, ptr, ptr);
      return engine.readF32(ptr, count * k);
    });
    return { scores, logits: data.slice(), count };
  }
  for (let r = 0; r < count; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const v = data[r * k + j]!;
      if (!Number.isFinite(v)) throw new MemGuardInputError(`${where} (probabilities): row ${r}, column ${j} is ${v} (must be finite)`);
      if (v < 0 || v > 1) {
        throw new MemGuardInputError(`${where}: row ${r}, column ${j} is ${v}; probabilities must be in [0, 1] (pass input: 'logits' for logits)`);
      }
      sum += v;
    }
    if (Math.abs(sum - 1) > sumTolerance) {
      throw new MemGuardInputError(`${where}: row ${r} sums to ${sum}; probabilities must sum to 1 (within ${sumTolerance})`);
    }
  }
  return { scores: data.slice(), logits: undefined, count };
}
