// A trained target as MemGuard, the attacks and the comparison use it: class probabilities and
// logits over rows, freed with dispose(), saved as a file. An Mlp is one; model stacking's
// two-level model (StackedModel) is the other. Both save to JSON: the model file (memguard-mlp) for
// an Mlp, a memguard-stack file holding its models' files for a StackedModel; `loadPredictor` reads
// either.
import { MemGuardFormatError, check } from '../errors.js';
import { outputLike, toRows, type MatrixInput, type MatrixOutput } from '../nn/matrix.js';
import { Mlp } from '../nn/mlp.js';
import { loadModel, parseModel, serializeModel } from '../nn/modelFile.js';
import type { Engine } from '../wasm/engine.js';

/**
 * Anything that answers like a trained classifier: `predict` gives class probabilities (rows x
 * outputSize), `logits` the scores they are the softmax of. `Mlp` and `StackedModel` are predictors.
 *
 * @example
 * const model: Predictor = Mlp.create([4, 3], { seed: 1 });
 * console.log(model.predict([1, 0, 0, 1]).length); // 3
 * model.dispose();
 */
export interface Predictor {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Class probabilities for rows `x` (rows x outputSize). */
  predict<X extends MatrixInput>(x: X): MatrixOutput<X>;
  /** The scores whose softmax `predict` gives (rows x outputSize). */
  logits<X extends MatrixInput>(x: X): MatrixOutput<X>;
  /** Frees the model's WebAssembly memory; it is unusable afterwards. */
  dispose(): void;
}

/**
 * The `format` field of a stacked-model file.
 *
 * @example
 * console.log(STACK_FORMAT); // 'memguard-stack'
 */
export const STACK_FORMAT = 'memguard-stack';

/**
 * Model stacking's predictor (Salem et al. NDSS'19): first-level models whose class probabilities,
 * concatenated, are the input of a second-level model (a logistic regression) that answers.
 *
 * @example
 * const a = Mlp.create([4, 8, 3], { seed: 1 }), b = Mlp.create([4, 3], { seed: 2 });
 * const stacked = new StackedModel([a, b], Mlp.create([6, 3], { seed: 3 }));
 * console.log(stacked.predict([1, 0, 0, 1]).length); // 3
 * stacked.dispose();
 */
export class StackedModel implements Predictor {
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(readonly levelOne: readonly Mlp[], readonly levelTwo: Mlp) {
    check(levelOne.length > 0, () => 'StackedModel: needs at least one first-level model');
    const d = levelOne[0]!.inputSize;
    levelOne.forEach((m, i) => check(m.inputSize === d, () => `StackedModel: first-level model ${i} takes ${m.inputSize} inputs, model 0 takes ${d}`));
    const width = levelOne.reduce((s, m) => s + m.outputSize, 0);
    check(levelTwo.inputSize === width,
      () => `StackedModel: the second-level model takes ${levelTwo.inputSize} inputs; the first-level models give ${width}`);
    this.inputSize = d;
    this.outputSize = levelTwo.outputSize;
  }

  /** The second-level model's input for rows `x`: every first-level model's probabilities, side by side. */
  levelOneOutputs(x: MatrixInput): Float32Array {
    return sideBySide(this.levelOne, x);
  }

  /** The second-level model's class probabilities for rows `x`. */
  predict<X extends MatrixInput>(x: X): MatrixOutput<X> {
    return this.answer(x, true);
  }

  /** The second-level model's logits for rows `x`. */
  logits<X extends MatrixInput>(x: X): MatrixOutput<X> {
    return this.answer(x, false);
  }

  /** Frees every model's WebAssembly memory. */
  dispose(): void {
    for (const m of this.levelOne) m.dispose();
    this.levelTwo.dispose();
  }

  private answer<X extends MatrixInput>(x: X, withHead: boolean): MatrixOutput<X> {
    const output = outputLike(x, 'StackedModel x');
    const inner = this.levelOneOutputs(x);
    const rows = inner.length / this.levelTwo.inputSize;
    const result = withHead ? this.levelTwo.predict(inner) : this.levelTwo.logits(inner);
    return output(result, rows, this.outputSize);
  }
}

/**
 * Every model's class probabilities for rows `x`, side by side (rows x the sum of their outputs):
 * what a stacked model's second level reads.
 *
 * @example
 * const both = sideBySide([Mlp.create([2, 3], { seed: 1 }), Mlp.create([2, 3], { seed: 2 })], [0, 1]);
 * console.log(both.length); // 6
 */
export function sideBySide(models: readonly Predictor[], x: MatrixInput): Float32Array {
  check(models.length > 0, () => 'sideBySide: needs at least one model');
  const d = models[0]!.inputSize;
  const { data, rows } = toRows(x, d, 'sideBySide x');
  const width = models.reduce((s, m) => s + m.outputSize, 0);
  const out = new Float32Array(rows * width);
  let at = 0;
  for (const m of models) {
    const k = m.outputSize, p = m.predict(data);
    for (let r = 0; r < rows; r++) out.set(p.subarray(r * k, (r + 1) * k), r * width + at);
    at += k;
  }
  return out;
}

/**
 * A predictor's file: the model file for an `Mlp`, a memguard-stack file for a `StackedModel`.
 *
 * @example
 * const text = serializePredictor(Mlp.create([2, 2], { seed: 1 }));
 * const back = loadPredictor(text); // an Mlp again
 */
export function serializePredictor(model: Predictor): string {
  if (model instanceof Mlp) return serializeModel(model);
  if (model instanceof StackedModel) {
    return `{"format":"${STACK_FORMAT}","version":1,"levelOne":[\n${model.levelOne.map(serializeModel).join(',\n')}],` +
      `"levelTwo":\n${serializeModel(model.levelTwo)}}\n`;
  }
  throw new MemGuardFormatError('serializePredictor: only an Mlp or a StackedModel can be saved');
}

/**
 * Reads a predictor file written by `serializePredictor` (either format).
 *
 * @example
 * const stacked = new StackedModel([Mlp.create([2, 2], { seed: 1 })], Mlp.create([2, 2], { seed: 2 }));
 * const back = loadPredictor(serializePredictor(stacked));
 * console.log(back instanceof StackedModel); // true
 */
export function loadPredictor(json: string | unknown, engine?: Engine): Predictor {
  let doc = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (e) {
      throw new MemGuardFormatError(`model file: not valid JSON (${(e as Error).message})`);
    }
  }
  const d = doc as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || d.format !== STACK_FORMAT) return loadModel(doc, engine);
  if (d.version !== 1) throw new MemGuardFormatError(`stacked model file: "version" ${JSON.stringify(d.version)} is not supported (this library reads 1)`);
  if (!Array.isArray(d.levelOne) || d.levelOne.length === 0) throw new MemGuardFormatError('stacked model file: "levelOne" must be a non-empty array of model files');
  // Parse every part before allocating any, so a bad file leaves no WASM memory behind.
  const one = d.levelOne.map((m, i) => {
    try {
      return parseModel(m);
    } catch (e) {
      throw new MemGuardFormatError(`stacked model file: levelOne[${i}]: ${(e as Error).message}`);
    }
  });
  let two;
  try {
    two = parseModel(d.levelTwo);
  } catch (e) {
    throw new MemGuardFormatError(`stacked model file: levelTwo: ${(e as Error).message}`);
  }
  const models = one.map((layers) => Mlp.fromParameters(layers, engine));
  const top = Mlp.fromParameters(two, engine);
  try {
    return new StackedModel(models, top);
  } catch (e) {
    for (const m of [...models, top]) m.dispose();
    throw new MemGuardFormatError(`stacked model file: ${(e as Error).message}`);
  }
}
