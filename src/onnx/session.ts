// MemGuard in front of an ONNX Runtime session: runs the caller's own session (onnxruntime-node or
// onnxruntime-web, typed here by shape only, so memguard never loads either) and hands back the
// protected confidence vectors in place of the chosen output.
import { MemGuardInputError } from '../errors.js';
import type { MemGuard, ProtectOptions, ProtectResult } from '../memguard/memguard.js';

/**
 * What memguard reads of an ONNX Runtime tensor (`ort.Tensor` has these fields).
 *
 * @example
 * const t: OnnxTensorLike = { type: 'float32', dims: [1, 3], data: Float32Array.of(0.7, 0.2, 0.1) };
 */
export interface OnnxTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/**
 * What memguard calls on an ONNX Runtime session (`ort.InferenceSession` of onnxruntime-node or
 * onnxruntime-web has it).
 *
 * @example
 * const echo: OnnxSessionLike = {
 *   outputNames: ['probabilities'],
 *   run: async () => ({ probabilities: { type: 'float32', dims: [1, 3], data: Float32Array.of(0.7, 0.2, 0.1) } }),
 * };
 */
export interface OnnxSessionLike {
  readonly outputNames: readonly string[];
  /** Runs the model on `feeds` (input name -> tensor) and resolves to its outputs by name. */
  run(feeds: Record<string, unknown>): Promise<Record<string, OnnxTensorLike>>;
}

/**
 * A session behind MemGuard: what `guardSession` returns.
 *
 * @example
 * const guarded: GuardedSession = { run: async () => ({ released: new Float32Array(3), rows: 1, k: 3, outputs: {} }) };
 */
export interface GuardedSession {
  /**
   * Runs the session on `feeds` and protects the named output: `protect` passes query ids or an
   * epsilon to `MemGuard.protect`; `details: true` adds the full per-row results.
   */
  run(feeds: Record<string, unknown>, protect?: Omit<ProtectOptions, 'input'> & { details?: boolean }): Promise<GuardedRun>;
}

/**
 * Which session output MemGuard protects, and what it holds.
 *
 * @example
 * const options: GuardSessionOptions = { output: 'logits', kind: 'logits' };
 */
export interface GuardSessionOptions {
  /** The name of the output holding the confidence scores (see `session.outputNames`). */
  output: string;
  /** 'probabilities' (rows sum to 1) or the target model's 'logits' (softmax is applied). */
  kind: 'probabilities' | 'logits';
}

/**
 * One protected run: the released vectors (rows x k, row-major) and the session's other outputs.
 * The unprotected output is not among `outputs`, so it cannot be handed back by mistake.
 *
 * @example
 * const run: GuardedRun = { released: Float32Array.of(0.69, 0.21, 0.1), rows: 1, k: 3, outputs: {} };
 */
export interface GuardedRun {
  released: Float32Array;
  rows: number;
  k: number;
  /** Every other output of the session, unchanged. */
  outputs: Record<string, OnnxTensorLike>;
  /** The full per-row results (noise flags, steps, ...): for the server's own logs, never for clients. */
  details?: ProtectResult<Float32Array>;
}

/**
 * A session wrapped so that each `run` returns MemGuard's released vectors instead of the output it
 * names (protected with `guard`, whose defense classifier takes k = that output's width).
 *
 * @example
 * import { MemGuard, Mlp } from 'memguard';
 * import { guardSession, type OnnxSessionLike } from 'memguard/onnx';
 * const g = Mlp.create([3, 8, 1], { head: 'sigmoid', seed: 1 });
 * const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
 * const session: OnnxSessionLike = { // in real use: await ort.InferenceSession.create('model.onnx')
 *   outputNames: ['probabilities'],
 *   run: async () => ({ probabilities: { type: 'float32', dims: [1, 3], data: Float32Array.of(0.7, 0.2, 0.1) } }),
 * };
 * const guarded = guardSession(session, guard, { output: 'probabilities', kind: 'probabilities' });
 * const { released } = await guarded.run({}); // feeds as for session.run
 * console.log(released.length); // 3
 */
export function guardSession(session: OnnxSessionLike, guard: MemGuard, options: GuardSessionOptions): GuardedSession {
  const { output, kind } = options;
  if (kind !== 'probabilities' && kind !== 'logits') throw new MemGuardInputError(`guardSession: kind must be 'probabilities' or 'logits', got ${String(kind)}`);
  if (!session.outputNames.includes(output)) {
    throw new MemGuardInputError(`guardSession: the session has no output "${output}" (its outputs: ${session.outputNames.map((n) => `"${n}"`).join(', ')})`);
  }
  return {
    async run(feeds, protect = {}) {
      const results = await session.run(feeds);
      const tensor = results[output];
      if (tensor === undefined) throw new MemGuardInputError(`guardSession: the session returned no output "${output}"`);
      const { rows, k, data } = scoresOf(tensor, output);
      // Checked here, not left to protect(): [2, 15] would otherwise pass as one row of k = 30.
      if (k !== guard.k) {
        throw new MemGuardInputError(`guardSession: output ${JSON.stringify(output)} has ${k} columns but the defense classifier takes k = ${guard.k}`);
      }
      const { details, ...protectOptions } = protect;
      const result = guard.protect(data, { ...protectOptions, input: kind });
      const outputs: Record<string, OnnxTensorLike> = {};
      for (const [name, t] of Object.entries(results)) if (name !== output) outputs[name] = t;
      return { released: result.released, rows, k, outputs, ...(details ? { details: result } : {}) };
    },
  };
}

function scoresOf(t: OnnxTensorLike, name: string): { rows: number; k: number; data: Float32Array | Float64Array } {
  if (t.type !== 'float32' && t.type !== 'float64') {
    throw new MemGuardInputError(`guardSession: output "${name}" holds ${t.type} values${/int|bool/.test(t.type) ? ' (class labels?)' : ''}; ` +
      'MemGuard protects confidence scores: name the probabilities or logits output (float32 or float64)');
  }
  const dims = t.dims;
  if (dims.length !== 2 && dims.length !== 1) throw new MemGuardInputError(`guardSession: output "${name}" has dims [${dims}]; expected [rows, k]`);
  const [rows, k] = dims.length === 2 ? [dims[0]!, dims[1]!] : [1, dims[0]!];
  const data = t.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array) || data.length !== rows * k) {
    throw new MemGuardInputError(`guardSession: output "${name}" data is not a ${t.type} array of ${rows} x ${k} values`);
  }
  return { rows, k, data };
}
