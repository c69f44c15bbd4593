// The demo page's data file (page/data/location-demo.json, made once by scripts/make-page-data.ts):
// a defense classifier trained on Location, the target model's logits on the design §6 evaluation
// rows, and the NN attack's scores on them. Binary arrays travel as base64 of little-endian typed
// arrays (every runtime this library supports is little-endian), so the file stays a few hundred KB.
import { MemGuardFormatError } from '../errors.js';
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from '../nn/modelFile.js';
import type { Activation } from '../nn/mlp.js';

export const PAGE_DATA_FORMAT = 'memguard-page-data';
export const PAGE_DATA_VERSION = 1;

/** A float32 model layer with base64 weights (the model file's layout, [in][out] row-major). */
export interface EncodedLayer {
  in: number;
  out: number;
  activation: Activation;
  weight: string;
  bias: string;
}

/** What the JSON file holds. */
export interface PageDataFile {
  format: typeof PAGE_DATA_FORMAT;
  version: typeof PAGE_DATA_VERSION;
  /** How the file was made (command, seeds, hyperparameters, model accuracies): shown on the page. */
  provenance: Record<string, unknown>;
  k: number;
  /** Evaluation rows: the first `members` are members ([0,1000)), the rest non-members ([2000,3000)). */
  members: number;
  nonMembers: number;
  /** True class of each evaluation row. */
  labels: number[];
  /** Target logits as int16 times `scale` (a power of two, so decoding is exact in float32). */
  logits: { scale: number; int16: string };
  defenseClassifier: { layers: EncodedLayer[] };
  /** The paper's NN attack (trained on the shadow model): P(member) on s and on Phase I's s + r. */
  nnAttack: { onScores: string; onCandidates: string };
  /** ||s + r - s||_1 per row as the script's Phase I found it: the page checks it reproduces them. */
  candidateNoiseL1: string;
  /** Rows shown as bar charts, with why each was chosen. */
  queries: Array<{ row: number; note: string }>;
  /** The paper's published NN-attack accuracy on Location. */
  published: Array<{ epsilon: number; accuracy: number }>;
}

/** The decoded data, ready for MemGuard. */
export interface PageData {
  provenance: Record<string, unknown>;
  k: number;
  rows: number;
  members: number;
  labels: Int32Array;
  /** 1 for members. */
  isMember: Uint8Array;
  logits: Float32Array;
  defenseClassifier: ModelFile;
  attackOnScores: Float32Array;
  attackOnCandidates: Float32Array;
  candidateNoiseL1: Float32Array;
  queries: Array<{ row: number; note: string }>;
  published: Array<{ epsilon: number; accuracy: number }>;
}

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function fromBase64(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string') throw new MemGuardFormatError(`page data: ${what} must be a base64 string`);
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    throw new MemGuardFormatError(`page data: ${what} is not valid base64`);
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Base64 of a typed array's bytes. */
export function encodeArray(a: Float32Array | Int16Array): string {
  return toBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** A float32 array of exactly `length` values, all finite, from base64. */
export function decodeFloat32(text: unknown, length: number, what: string): Float32Array {
  const bytes = fromBase64(text, what);
  if (bytes.length !== length * 4) throw new MemGuardFormatError(`page data: ${what} holds ${bytes.length / 4} float32 values, expected ${length}`);
  const out = new Float32Array(bytes.buffer);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new MemGuardFormatError(`page data: ${what}[${bad}] is ${out[bad]}`);
  return out;
}

/**
 * Logits to int16 steps of a power-of-two `scale` (the smallest that fits the largest logit), so
 * `q * scale` reads back exactly in float32 everywhere. Resolution: scale / 2 (about 5e-4 here).
 */
export function quantizeLogits(logits: Float32Array): { scale: number; int16: Int16Array } {
  let max = 0;
  for (const v of logits) max = Math.max(max, Math.abs(v));
  let scale = 2 ** -12;
  while (max / scale > 32767) scale *= 2;
  return { scale, int16: Int16Array.from(logits, (v) => Math.round(v / scale)) };
}

export function dequantizeLogits(q: Int16Array, scale: number): Float32Array {
  return Float32Array.from(q, (v) => v * scale);
}

/** Checks and decodes the data file (text or parsed JSON); the error names the first problem. */
export function parsePageData(json: string | unknown): PageData {
  const d = (typeof json === 'string' ? JSON.parse(json) : json) as PageDataFile;
  const fail = (msg: string): never => { throw new MemGuardFormatError(`page data: ${msg}`); };
  if (d === null || typeof d !== 'object') fail('top level must be an object');
  if (d.format !== PAGE_DATA_FORMAT || d.version !== PAGE_DATA_VERSION) {
    fail(`expected format "${PAGE_DATA_FORMAT}" version ${PAGE_DATA_VERSION}, got ${JSON.stringify(d.format)} version ${JSON.stringify(d.version)}`);
  }
  const { k, members, nonMembers } = d;
  for (const [name, v] of Object.entries({ k, members, nonMembers })) {
    if (!Number.isInteger(v) || v < 1) fail(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const rows = members + nonMembers;
  if (!Array.isArray(d.labels) || d.labels.length !== rows) fail(`labels must hold ${rows} entries`);
  const labels = Int32Array.from(d.labels);
  const badLabel = labels.findIndex((y, i) => y !== d.labels[i] || y < 0 || y >= k);
  if (badLabel >= 0) fail(`labels[${badLabel}] is ${JSON.stringify(d.labels[badLabel])}, expected an integer in [0, ${k})`);
  const scale = d.logits?.scale;
  if (!(typeof scale === 'number' && scale > 0 && Number.isInteger(Math.log2(scale)))) fail(`logits.scale must be a power of two, got ${JSON.stringify(scale)}`);
  const qBytes = fromBase64(d.logits.int16, 'logits.int16');
  if (qBytes.length !== rows * k * 2) fail(`logits.int16 holds ${qBytes.length / 2} values, expected ${rows} rows x ${k}`);
  if (!Array.isArray(d.defenseClassifier?.layers)) fail('defenseClassifier.layers must be an array');
  const layers = d.defenseClassifier.layers.map((l, i) => ({
    in: l.in, out: l.out, activation: l.activation,
    weight: Array.from(decodeFloat32(l.weight, l.in * l.out, `defenseClassifier.layers[${i}].weight`)),
    bias: Array.from(decodeFloat32(l.bias, l.out, `defenseClassifier.layers[${i}].bias`)),
  }));
  if (!Array.isArray(d.queries) || d.queries.some((q) => !Number.isInteger(q.row) || q.row < 0 || q.row >= rows)) {
    fail(`queries must be rows in [0, ${rows})`);
  }
  const isMember = new Uint8Array(rows).fill(1, 0, members);
  return {
    provenance: d.provenance ?? {}, k, rows, members, labels, isMember,
    logits: dequantizeLogits(new Int16Array(qBytes.buffer), scale),
    defenseClassifier: { format: MODEL_FORMAT, version: MODEL_VERSION, layers },
    attackOnScores: decodeFloat32(d.nnAttack?.onScores, rows, 'nnAttack.onScores'),
    attackOnCandidates: decodeFloat32(d.nnAttack?.onCandidates, rows, 'nnAttack.onCandidates'),
    candidateNoiseL1: decodeFloat32(d.candidateNoiseL1, rows, 'candidateNoiseL1'),
    queries: d.queries, published: Array.isArray(d.published) ? d.published : [],
  };
}
