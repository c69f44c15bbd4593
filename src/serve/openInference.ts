// The Open Inference Protocol (KServe V2, REST) and KServe's V1 protocol as `memguard serve` speaks
// them (design §8.1): parsing infer / predict bodies into rows, writing the answers, and, in proxy
// mode, finding and replacing the confidence output of a model server's answer. No Node imports
// (pure data in, text out); the routes are in server.ts.
//
// V2 request  {"id"?, "parameters"?: {"ids"?: [...]}, "inputs": [{"name", "shape": [n, k], "datatype": "FP32"|"FP64", "data", "parameters"?}]}
// V2 answer   {"model_name", "id"?, "outputs": [{"name": "released", "shape": [n, k], "datatype": "FP32", "data": [flat, row-major]}]}
// V1 request  {"instances": [[k numbers], ...], "parameters"?: {"ids"?: [...]}}
// V1 answer   {"predictions": [[k numbers], ...]}
// Errors      {"error": "<message>"}
// What the numbers are: an input (or upstream output) named "logits", or with
// `"parameters": {"content": "logits"}`, holds logits; one named "probabilities" or "scores", or with
// content "probabilities", holds confidence vectors; any other name holds what the server was
// started for (--logits or not). The released values are written as in /v1/protect (the float32's
// shortest text), so the same rows give the same text through every protocol.
import { formatFloat32 } from '../data/csv/cells.js';

/** What a tensor's numbers are: confidence vectors or the target model's logits. */
export type Content = 'probabilities' | 'logits';

/** A protocol-level failure: the message for `{"error": ...}` and the §8 status it maps to. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';

  constructor(readonly status: 400 | 404 | 413 | 422 | 502, message: string) {
    super(message);
  }
}

/** Rows pulled out of a request or an upstream answer: n x k float32, with their content and ids. */
export interface TensorRows {
  rows: Float32Array;
  n: number;
  k: number;
  content: Content;
  /** Per-row ids for the keyed coin (from `parameters.ids`), when given. */
  ids: string[] | undefined;
}

const FLOAT_TYPES = ['FP32', 'FP64'];

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The content a tensor (or prediction field) holds, from its parameters, then its name. */
function contentOf(name: unknown, parameters: unknown, fallback: Content, what: string): Content {
  const declared = isObject(parameters) ? parameters.content : undefined;
  if (declared !== undefined) {
    if (declared !== 'logits' && declared !== 'probabilities') {
      throw new ProtocolError(400, `${what}: parameters.content must be "probabilities" or "logits", got ${JSON.stringify(declared)}`);
    }
    return declared;
  }
  if (name === 'logits') return 'logits';
  if (name === 'probabilities' || name === 'scores') return 'probabilities';
  return fallback;
}

/** Per-row ids from `parameters.ids`: one non-empty string per row. */
function idsOf(parameters: unknown, n: number, what: string): string[] | undefined {
  if (!isObject(parameters) || parameters.ids === undefined) return undefined;
  const ids = parameters.ids;
  if (!Array.isArray(ids) || ids.length !== n || ids.some((id) => typeof id !== 'string' || id === '')) {
    throw new ProtocolError(400, `${what}: parameters.ids must be ${n} non-empty strings (one per row), got ${Array.isArray(ids) ? `${ids.length} entries` : typeof ids}`);
  }
  return ids as string[];
}

/** Row-major numbers of a tensor whose data is flat or nested as its shape [n, k]. */
function tensorData(data: unknown, n: number, k: number, what: string): Float32Array {
  if (!Array.isArray(data)) throw new ProtocolError(400, `${what}: "data" must be an array of numbers (flat or nested, row-major)`);
  const out = new Float32Array(n * k);
  let at = 0;
  const walk = (x: unknown[], depth: number): void => {
    if (depth > 2) throw new ProtocolError(400, `${what}: "data" is nested deeper than its shape [${n}, ${k}]`);
    for (const v of x) {
      if (Array.isArray(v)) walk(v, depth + 1);
      else if (typeof v === 'number') {
        if (at >= n * k) throw new ProtocolError(400, `${what}: "data" has more than the ${n * k} values of shape [${n}, ${k}]`);
        out[at++] = v;
      } else throw new ProtocolError(400, `${what}: value ${at} of "data" is ${JSON.stringify(v)}, not a number`);
    }
  };
  walk(data, 0);
  if (at !== n * k) throw new ProtocolError(400, `${what}: "data" has ${at} values; shape [${n}, ${k}] needs ${n * k}`);
  return out;
}

/** A [n, k] floating-point tensor's rows; `k` is the width the defense takes. */
function floatTensor(t: Record<string, unknown>, k: number, what: string, wrongType: 400 | 502): { rows: Float32Array; n: number } {
  const { shape, datatype } = t;
  if (typeof datatype !== 'string' || !FLOAT_TYPES.includes(datatype)) {
    const labels = typeof datatype === 'string' && /^U?INT/.test(datatype) ? ' (integer class labels?)' : '';
    throw new ProtocolError(wrongType, `${what} has datatype ${JSON.stringify(datatype)}${labels}: memguard protects confidence vectors or logits, FP32 or FP64 of shape [n, ${k}]`);
  }
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ProtocolError(wrongType === 502 ? 502 : 400, `${what} has shape ${JSON.stringify(shape)}: memguard takes [n, k] (n rows of k = ${k} values)`);
  }
  const [n, width] = shape as [number, number];
  if (width !== k) throw new ProtocolError(wrongType === 502 ? 502 : 422, `${what} has rows of ${width} values; the defense classifier takes k = ${k}`);
  return { rows: tensorData(t.data, n, k, what), n };
}

/** The rows of a V2 infer request (one input tensor; `fallback`: what unnamed inputs hold). */
export function parseV2Request(body: unknown, k: number, fallback: Content): TensorRows {
  if (!isObject(body)) throw new ProtocolError(400, 'the body must be a JSON object {"inputs": [{"name", "shape", "datatype", "data"}]}');
  const { inputs } = body;
  if (!Array.isArray(inputs) || inputs.length !== 1 || !isObject(inputs[0])) {
    throw new ProtocolError(400, `"inputs" must hold exactly one tensor (the confidence vectors or logits, shape [n, ${k}]), got ${Array.isArray(inputs) ? inputs.length : typeof inputs}`);
  }
  const input = inputs[0];
  const what = `input ${JSON.stringify(input.name ?? '')}`;
  const { rows, n } = floatTensor(input, k, what, 400);
  const ids = idsOf(body.parameters, n, 'the request') ?? idsOf(input.parameters, n, what);
  return { rows, n, k, content: contentOf(input.name, input.parameters, fallback, what), ids };
}

/** The rows of a V1 predict request: `instances` (rows of k numbers). */
export function parseV1Request(body: unknown, k: number, fallback: Content): TensorRows {
  if (!isObject(body) || !Array.isArray(body.instances)) throw new ProtocolError(400, 'the body must be a JSON object {"instances": [[...], ...]}');
  const instances = body.instances;
  for (let r = 0; r < instances.length; r++) {
    const row: unknown = instances[r];
    if (!Array.isArray(row)) throw new ProtocolError(400, `instance ${r} is not an array of ${k} numbers`);
    if (row.length !== k) throw new ProtocolError(422, `instance ${r} has ${row.length} values; the defense classifier takes k = ${k}`);
  }
  const rows = tensorData(instances, instances.length, k, '"instances"');
  return { rows, n: instances.length, k, content: contentOf(undefined, body.parameters, fallback, 'the request'), ids: idsOf(body.parameters, instances.length, 'the request') };
}

/** Released values (n x k float32) as flat JSON numbers, each the float32's shortest text. */
export function flatText(released: Float32Array, datatype: 'FP32' | 'FP64' = 'FP32'): string {
  const format = datatype === 'FP32' ? formatFloat32 : (x: number) => String(x);
  const cells = new Array<string>(released.length);
  for (let i = 0; i < released.length; i++) cells[i] = format(released[i]!);
  return `[${cells.join(',')}]`;
}

/** Released values as JSON rows [[...], ...]. */
export function nestedText(released: Float32Array, n: number, k: number, datatype: 'FP32' | 'FP64' = 'FP32'): string {
  const rows = new Array<string>(n);
  for (let r = 0; r < n; r++) rows[r] = flatText(released.subarray(r * k, (r + 1) * k), datatype);
  return `[${rows.join(',')}]`;
}

/** The V2 infer answer of memguard itself: one FP32 output "released" [n, k]. */
export function v2ResponseText(modelName: string, id: unknown, released: Float32Array, n: number, k: number): string {
  const idText = typeof id === 'string' ? `,"id":${JSON.stringify(id)}` : '';
  return `{"model_name":${JSON.stringify(modelName)}${idText},"outputs":[{"name":"released","shape":[${n},${k}],"datatype":"FP32","data":${flatText(released)}}]}`;
}

/** The V1 predict answer: {"predictions": rows}. */
export function v1ResponseText(released: Float32Array, n: number, k: number): string {
  return `{"predictions":${nestedText(released, n, k)}}`;
}

/** The JSON error body of both protocols. */
export function errorText(message: string): string {
  return JSON.stringify({ error: message });
}

// Proxy mode: the model server's answer, its confidence output found and replaced. The rest of the
// answer is kept as parsed JSON and written back with JSON.stringify (the same values).
const PLACEHOLDER = '\u0000memguard-released\u0000';
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

/** An upstream answer with the rows to protect and how to put the released rows back. */
export interface UpstreamOutput extends TensorRows {
  /** The answer's text with the released rows in place of the confidence output. */
  replace(released: Float32Array): string;
}

/**
 * The confidence output of a V2 infer answer: the output named `outputName`, or else the only
 * FP32/FP64 output of shape [n, k]. Anything else is a 502 naming what the model server sent.
 */
export function v2UpstreamOutput(answer: unknown, k: number, outputName: string | undefined, fallback: Content): UpstreamOutput {
  if (!isObject(answer) || !Array.isArray(answer.outputs)) throw new ProtocolError(502, 'the model server\'s answer has no "outputs" array (not a V2 infer answer)');
  const outputs = answer.outputs as unknown[];
  let index: number;
  if (outputName !== undefined) {
    index = outputs.findIndex((o) => isObject(o) && o.name === outputName);
    if (index < 0) {
      const names = outputs.map((o) => (isObject(o) ? JSON.stringify(o.name) : '?')).join(', ');
      throw new ProtocolError(502, `the model server's answer has no output named ${JSON.stringify(outputName)} (--output-name); its outputs: ${names}`);
    }
  } else {
    const candidates = outputs.flatMap((o, i) => (isObject(o) && FLOAT_TYPES.includes(o.datatype as string) && Array.isArray(o.shape) && o.shape.length === 2 ? [i] : []));
    if (candidates.length !== 1) {
      const names = outputs.map((o) => (isObject(o) ? `${JSON.stringify(o.name)} ${String(o.datatype)} ${JSON.stringify(o.shape)}` : '?')).join(', ');
      throw new ProtocolError(502, `cannot tell which output holds the confidence vectors: ${candidates.length} FP32/FP64 outputs of shape [n, k] among ${names || 'none'}; name it with --output-name`);
    }
    index = candidates[0]!;
  }
  const output = outputs[index] as Record<string, unknown>;
  const what = `the model server's output ${JSON.stringify(output.name ?? '')}`;
  const { rows, n } = floatTensor(output, k, what, 502);
  const datatype = output.datatype as 'FP32' | 'FP64';
  const nested = Array.isArray(output.data) && output.data.some((x) => Array.isArray(x));
  return {
    rows, n, k, content: contentOf(output.name, output.parameters, fallback, what), ids: undefined,
    replace(released) {
      const copy = { ...answer, outputs: outputs.map((o, i) => (i === index ? { ...output, data: PLACEHOLDER } : o)) };
      const data = nested ? nestedText(released, n, k, datatype) : flatText(released, datatype);
      return JSON.stringify(copy).replace(PLACEHOLDER_JSON, data);
    },
  };
}

/**
 * The confidence output of a V1 predict answer: `predictions` as rows of k numbers, or objects
 * whose field `outputName` holds the row. Class labels (a number per prediction) are refused.
 */
export function v1UpstreamOutput(answer: unknown, k: number, outputName: string | undefined, fallback: Content): UpstreamOutput {
  if (!isObject(answer) || !Array.isArray(answer.predictions)) throw new ProtocolError(502, 'the model server\'s answer has no "predictions" array (not a V1 predict answer)');
  const predictions = answer.predictions as unknown[];
  const n = predictions.length;
  const field = outputName;
  const rowOf = (p: unknown, r: number): unknown => {
    if (field === undefined) return p;
    if (!isObject(p)) throw new ProtocolError(502, `prediction ${r} of the model server is not an object with a field ${JSON.stringify(field)} (--output-name)`);
    return p[field];
  };
  for (let r = 0; r < n; r++) {
    const row = rowOf(predictions[r], r);
    if (!Array.isArray(row)) {
      const labels = typeof row === 'number' || typeof row === 'string' ? ' (a class label?)' : '';
      throw new ProtocolError(502, `prediction ${r} of the model server is ${JSON.stringify(row)}${labels}, not a confidence vector of ${k} numbers${field === undefined ? ' (name the field with --output-name)' : ''}`);
    }
    if (row.length !== k) throw new ProtocolError(502, `prediction ${r} of the model server has ${row.length} values; the defense classifier takes k = ${k}`);
  }
  const rows = tensorData(predictions.map((p, r) => rowOf(p, r)), n, k, 'the model server\'s "predictions"');
  return {
    rows, n, k, content: contentOf(field, undefined, fallback, 'predictions'), ids: undefined,
    replace(released) {
      const copy = {
        ...answer,
        predictions: field === undefined ? PLACEHOLDER : predictions.map((p, r) => ({ ...(p as Record<string, unknown>), [field]: `${PLACEHOLDER}${r}` })),
      };
      let text = JSON.stringify(copy);
      if (field === undefined) return text.replace(PLACEHOLDER_JSON, nestedText(released, n, k));
      for (let r = 0; r < n; r++) text = text.replace(JSON.stringify(`${PLACEHOLDER}${r}`), flatText(released.subarray(r * k, (r + 1) * k)));
      return text;
    },
  };
}
