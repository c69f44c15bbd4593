// HAMP's output modification (Chen & Pattabiraman NDSS'24; design §10): each query is answered from
// the model's logits on a fresh random input, re-ranked into the query's order, so the release keeps
// the query's ranking (and label) but carries nothing else of the query's scores.
import { check } from '../errors.js';
import { toRows, type MatrixInput } from '../nn/matrix.js';
import type { Mlp } from '../nn/mlp.js';
import { Random } from '../random.js';
import type { PostHocDefense, PostHocOptions, PostHocResult } from './defense.js';
import { releaseWith, validatedRows } from './release.js';

/**
 * Options of `HampOutput`.
 *
 * @example
 * const model = Mlp.create([4, 8, 3], { seed: 1 }); // the target model
 * const options: HampOutputOptions = { model, seed: 7, marginals: new Float32Array([0.1, 2, 0, 1, 0.5, 3, 1, 0]), binary: [false, false, true, true] };
 */
export interface HampOutputOptions {
  /** The protected model (softmax head): its logits on the random inputs are what is released. */
  model: Mlp;
  /** Seed of the random inputs; successive calls continue the same stream. */
  seed: number;
  /**
   * Training features (rows x the model's inputs, row-major): a feature not marked `binary` is
   * drawn from its column (the training marginal). Without it every feature is Bernoulli(1/2).
   */
  marginals?: MatrixInput;
  /** Per feature: true for a binary feature, drawn Bernoulli(1/2) even when marginals are given. */
  binary?: ArrayLike<boolean>;
}

/**
 * HAMP's output modification: for each query, the model's logits on a fresh random input (binary
 * features Bernoulli(1/2), the others drawn independently from their training marginals), sorted,
 * are written into the query's positions by rank (largest logit to the query's label, the first
 * argmax; ties in the query ranked by index), then softmaxed. Keeps the query's ranking; the
 * distortion is not bounded (it is measured: `distortion`). Seeded.
 *
 * @example
 * const model = Mlp.create([4, 8, 3], { seed: 1 });                  // the target model (4 binary features)
 * const hamp = new HampOutput({ model, seed: 7 });
 * const queries = model.logits([[1, 0, 1, 1], [0, 0, 1, 0]]);
 * const { released, distortion } = hamp.protect(queries, { input: 'logits' }); // same ranking per row
 */
export class HampOutput implements PostHocDefense {
  readonly name = 'hamp-output' as const;
  readonly k: number;
  readonly model: Mlp;
  private readonly rng: Random;
  private readonly columns: Float32Array | undefined;
  private readonly marginalRows: number;
  private readonly binary: Uint8Array;

  constructor(options: HampOutputOptions) {
    check(options && typeof options.model?.logits === 'function', () => 'HampOutput: model must be an Mlp');
    const model = options.model, d = model.inputSize;
    check(model.head === 'softmax' && model.outputSize >= 2,
      () => `HampOutput: the model must be a classifier (softmax head, >= 2 outputs), has ${model.outputSize} ${model.head}`);
    check(Number.isInteger(options.seed), () => `HampOutput: seed must be an integer, got ${options.seed}`);
    this.model = model;
    this.k = model.outputSize;
    this.rng = new Random(options.seed);
    this.binary = new Uint8Array(d).fill(options.marginals === undefined ? 1 : 0);
    if (options.binary !== undefined) {
      check(options.binary.length === d, () => `HampOutput: binary has ${options.binary!.length} entries, the model has ${d} inputs`);
      for (let j = 0; j < d; j++) if (options.binary[j]) this.binary[j] = 1;
    }
    if (options.marginals !== undefined) {
      const { data, rows } = toRows(options.marginals, d, 'HampOutput marginals');
      check(rows > 0, () => 'HampOutput: marginals has no rows');
      this.columns = data.slice();
      this.marginalRows = rows;
    } else this.marginalRows = 0;
  }

  /** Each query (rows x k) answered from the model's logits on a random input, re-ranked. */
  protect(rows: MatrixInput, options: PostHocOptions = {}): PostHocResult {
    const k = this.k, d = this.model.inputSize;
    const { scores, logits, count } = validatedRows('hamp-output', k, rows, options, this.model.engine);
    const inputs = new Float32Array(count * d);
    for (let r = 0; r < count; r++) {
      for (let j = 0; j < d; j++) {
        inputs[r * d + j] = this.binary[j] ? (this.rng.next() < 0.5 ? 1 : 0) : this.columns![this.rng.int(this.marginalRows) * d + j]!;
      }
    }
    const random = count === 0 ? new Float32Array(0) : this.model.logits(inputs);
    const order = new Int32Array(k), sorted = new Float64Array(k);
    return releaseWith(k, scores, logits, (s, _z, out, r) => {
      for (let j = 0; j < k; j++) { order[j] = j; sorted[j] = random[r * k + j]!; }
      order.sort((a, b) => s[b]! - s[a]! || a - b);
      sorted.sort().reverse();
      let max = -Infinity, sum = 0;
      for (let i = 0; i < k; i++) max = Math.max(max, sorted[i]!);
      for (let i = 0; i < k; i++) sum += (out[order[i]!] = Math.exp(sorted[i]! - max));
      for (let j = 0; j < k; j++) out[j] = out[j]! / sum;
    }, this.model.engine);
  }
}
