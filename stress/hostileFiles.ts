// Hostile files (issue 9 item 2): random mutations of a valid model file and of a valid scores CSV
// (and, issue 18, of a valid ONNX model: stress/hostileOnnx.ts).
// Each mutant either loads correctly (checked against what the text says, by an independent
// reading) or throws MemGuardFormatError naming the first problem: the field path for model files
// (`layers[1].bias[3]`), the line (and column) for CSV files. The CSV is read twice, whole and
// streamed in random chunks, which must agree. A sample of mutants goes through the `memguard` CLI,
// which must exit 1 with a one-line message and leave nothing at --out. Memory is sampled throughout.
//
// Used by `npm run fuzz -- --files N` (stress/fuzz.ts) and by test/stress/hostileFiles.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemGuardFormatError } from '../src/errors.js';
import { parseScoresCsv, readScoresCsvBatches, type ScoresTable } from '../src/data/csv/scores.js';
import { Mlp } from '../src/nn/mlp.js';
import { loadModel, serializeModel } from '../src/nn/modelFile.js';
import { Random } from '../src/random.js';
import { checkOnnxMutant, mutateOnnx } from './hostileOnnx.js';

const pick = <T>(rng: Random, xs: readonly T[]): T => xs[rng.int(xs.length)]!;

export interface FileTally {
  files: number;
  loaded: number;
  rejected: number;
  cliRuns: number;
  byMutation: Record<string, number>;
  violations: number;
  examples: string[];
  peakRssMiB: number;
  heapMiB: number[];
}

export function emptyFileTally(): FileTally {
  return { files: 0, loaded: 0, rejected: 0, cliRuns: 0, byMutation: {}, violations: 0, examples: [], peakRssMiB: 0, heapMiB: [] };
}

// ---- model files -----------------------------------------------------------------------------------

const MODEL_SIZES = [6, 5, 3, 1];
let baseModelText: string | undefined;

function baseModel(): string {
  return (baseModelText ??= serializeModel(Mlp.create(MODEL_SIZES, { head: 'sigmoid', seed: 4 })));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const WRONG_VALUES: Json[] = ['x', '', null, true, false, {}, [], [1], 1.5, -1, 0, 'relu', { in: 1 }];

/** A mutant model file: its text, and the field path the error must name when one is certain. */
export interface ModelMutant { mutation: string; text: string; names?: string }

export function mutateModel(rng: Random): ModelMutant {
  const text = baseModel();
  const doc = JSON.parse(text) as { format: string; version: number; layers: Array<Record<string, Json>> };
  const layer = rng.int(doc.layers.length);
  const L = doc.layers[layer]!;
  const u = rng.next();
  if (u < 0.12) return { mutation: 'truncate', text: text.slice(0, rng.int(text.length)) };
  if (u < 0.2) {
    // Reordered keys (valid: order does not matter) and unknown extra fields (ignored).
    const shuffled = (o: Record<string, Json>) => Object.fromEntries(rng.shuffle(Object.keys(o).map((_, i) => i)).map((i) => Object.entries(o)[i]!));
    const out = shuffled({ ...doc, layers: doc.layers.map(shuffled) as unknown as Json, note: 'extra' } as Record<string, Json>);
    return { mutation: 'reorder-keys', text: JSON.stringify(out) };
  }
  if (u < 0.26) {
    const a = layer, b = (layer + 1 + rng.int(doc.layers.length - 1)) % doc.layers.length;
    [doc.layers[a], doc.layers[b]] = [doc.layers[b]!, doc.layers[a]!];
    // Layer 0 has no predecessor, so the first broken link is at layers[1] or later.
    return { mutation: 'reorder-layers', text: JSON.stringify(doc), names: `layers[${Math.max(1, Math.min(a, b))}]` };
  }
  if (u < 0.5) {
    // A wrong type or value at one path; everything before it is valid, so that path is the first problem.
    const fields = ['format', 'version', 'layers', 'layer', 'in', 'out', 'activation', 'weight', 'bias', 'weight[j]', 'bias[j]'] as const;
    const f = pick(rng, fields);
    const wrong = pick(rng, WRONG_VALUES);
    if (f === 'format' || f === 'version') {
      if (wrong === (f === 'format' ? 'memguard-mlp' : 1)) return { mutation: 'wrong-type', text };
      (doc as unknown as Record<string, Json>)[f] = wrong;
      return { mutation: 'wrong-type', text: JSON.stringify(doc), names: `"${f}"` };
    }
    if (f === 'layers') {
      if (Array.isArray(wrong) && wrong.length > 0) return { mutation: 'wrong-type', text };
      return { mutation: 'wrong-type', text: JSON.stringify({ ...doc, layers: wrong }), names: '"layers"' };
    }
    if (f === 'layer') {
      if (typeof wrong === 'object' && wrong !== null && !Array.isArray(wrong)) {
        doc.layers[layer] = wrong as Record<string, Json>;
        return { mutation: 'wrong-type', text: JSON.stringify(doc), names: `layers[${layer}]` };
      }
      (doc.layers as unknown as Json[])[layer] = wrong;
      return { mutation: 'wrong-type', text: JSON.stringify(doc), names: `layers[${layer}]` };
    }
    if (f === 'weight[j]' || f === 'bias[j]') {
      const key = f === 'weight[j]' ? 'weight' : 'bias';
      const arr = L[key] as Json[];
      const j = rng.int(arr.length);
      const bad = typeof wrong === 'number' ? 'x' : wrong;
      arr[j] = bad;
      return { mutation: 'wrong-type', text: JSON.stringify(doc), names: `layers[${layer}].${key}[${j}]` };
    }
    if ((f === 'in' || f === 'out') && typeof wrong === 'number' && Number.isInteger(wrong) && wrong > 0) return { mutation: 'wrong-type', text };
    if (f === 'activation' && wrong === 'relu') return { mutation: 'wrong-type', text };
    if ((f === 'weight' || f === 'bias') && Array.isArray(wrong) && wrong.length === (L[f] as Json[]).length) return { mutation: 'wrong-type', text };
    L[f] = wrong;
    // A changed `out` is named at the layer itself (its type check comes first).
    return { mutation: 'wrong-type', text: JSON.stringify(doc), names: `layers[${layer}].${f}` };
  }
  if (u < 0.62) {
    // Huge numbers: 1e400 reads as Infinity; sizes far beyond the arrays.
    const kind = rng.int(4);
    if (kind === 0) {
      const key = rng.next() < 0.5 ? 'weight' : 'bias';
      const j = rng.int((L[key] as Json[]).length);
      (L[key] as Json[])[j] = 0.123456789123; // a sentinel, replaced in the text
      const t = JSON.stringify(doc).replace('0.123456789123', '1e400');
      return { mutation: 'huge-number', text: t, names: `layers[${layer}].${key}[${j}]` };
    }
    const value = pick(rng, [1e9, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e308]);
    const key = kind === 1 ? 'in' : 'out';
    L[key] = value;
    // `in` breaks the chain with the previous layer (layer 0: the weight count); `out` the weight count.
    return { mutation: 'huge-number', text: JSON.stringify(doc), names: `layers[${layer}]` };
  }
  if (u < 0.7) {
    const depth = pick(rng, [10, 1000, 100000, 1000000]);
    const nested = '['.repeat(depth) + ']'.repeat(depth);
    const key = pick(rng, ['weight', 'bias', 'in', 'activation'] as const);
    const t = JSON.stringify(doc).replace(`"${key}":`, `"${key}":${nested},"x${key}":`);
    // The first layer's field is replaced (its value moved to an ignored key).
    return { mutation: 'deep-nesting', text: t, names: `layers[0].${key}` };
  }
  if (u < 0.78) {
    const forms = ['NaN', 'Infinity', '-Infinity', 'nan', '1e', '--1', '0x10', '.', 'undefined'];
    const key = rng.next() < 0.5 ? 'weight' : 'bias';
    const t = JSON.stringify(doc).replace(`"${key}":[`, `"${key}":[${pick(rng, forms)},`);
    return { mutation: 'nan-text', text: t };
  }
  // Byte-level noise: deletions, duplications, junk insertions, a BOM.
  let t = text;
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(t.length + 1);
    const op = rng.int(5);
    if (op === 0) t = t.slice(0, at) + t.slice(at + 1 + rng.int(20));
    else if (op === 1) t = t.slice(0, at) + t.slice(at, at + 1 + rng.int(40)) + t.slice(at);
    else if (op === 2) t = t.slice(0, at) + pick(rng, ['"', ',', ']', '}', '{', '[', '\u0000', '\ufeff', '-', 'e', '9', ' ', '\n']) + t.slice(at);
    else if (op === 3) t = '\ufeff' + t;
    else t = t.slice(0, at) + String.fromCharCode(rng.int(0x3000)) + t.slice(at + 1);
  }
  return { mutation: 'bytes', text: t };
}

/** A model file of about `mib` MiB: a valid big layer, or the same array under a small declared shape. */
export function hugeModel(mib: number, valid: boolean): ModelMutant {
  const width = Math.floor(Math.sqrt((mib * 2 ** 20) / 9)); // "0.123456," = 9 characters a weight
  const row = Array.from({ length: width }, (_, i) => ((i % 997) / 1000 + 0.0001).toFixed(6)).join(',');
  const weights = Array.from({ length: width }, () => row).join(',');
  const declaredIn = valid ? width : 3;
  const text = `{"format":"memguard-mlp","version":1,"layers":[{"in":${declaredIn},"out":${width},"activation":"sigmoid",` +
    `"weight":[${weights}],"bias":[${Array.from({ length: width }, () => '0').join(',')}]}]}`;
  return { mutation: valid ? 'huge-array-valid' : 'huge-array', text, names: valid ? undefined : 'layers[0].weight' };
}

/** An independent reading of an accepted model text: what the loaded model must hold. */
function expectedLayers(text: string): Array<{ in: number; out: number; activation: string; weight: number[]; bias: number[] }> {
  const doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as { layers: Array<{ in: number; out: number; activation: string; weight: number[]; bias: number[] }> };
  return doc.layers;
}

export function checkModelMutant(m: ModelMutant, tally: FileTally): string | undefined {
  tally.files++;
  tally.byMutation[m.mutation] = (tally.byMutation[m.mutation] ?? 0) + 1;
  let mlp: Mlp | undefined;
  try {
    mlp = loadModel(m.text);
  } catch (err) {
    tally.rejected++;
    const e = err as Error;
    if (!(e instanceof MemGuardFormatError)) return `model ${m.mutation}: ${e?.name} instead of MemGuardFormatError: ${e?.message}`;
    if (!e.message.startsWith('model file: ')) return `model ${m.mutation}: message without the "model file:" prefix: ${e.message}`;
    if (m.names !== undefined && !e.message.includes(m.names)) return `model ${m.mutation}: the error should name ${m.names}: ${e.message.slice(0, 300)}`;
    if (e.message.length > 600) return `model ${m.mutation}: a ${e.message.length}-character message (echoes the file?)`;
    return undefined;
  }
  try {
    tally.loaded++;
    if (m.names !== undefined) return `model ${m.mutation}: loaded, but ${m.names} is invalid`;
    let want;
    try { want = expectedLayers(m.text); } catch { return `model ${m.mutation}: loaded text that is not JSON`; }
    const got = mlp.parameters();
    if (got.length !== want.length) return `model ${m.mutation}: ${got.length} layers loaded, the file has ${want.length}`;
    for (let i = 0; i < got.length; i++) {
      const g = got[i]!, w = want[i]!;
      if (g.in !== w.in || g.out !== w.out || g.activation !== w.activation) return `model ${m.mutation}: layer ${i} shape differs`;
      for (let j = 0; j < w.weight.length; j++) if (g.weight[j] !== Math.fround(w.weight[j]!)) return `model ${m.mutation}: layers[${i}].weight[${j}] differs`;
      for (let j = 0; j < w.bias.length; j++) if (g.bias[j] !== Math.fround(w.bias[j]!)) return `model ${m.mutation}: layers[${i}].bias[${j}] differs`;
    }
    return undefined;
  } finally {
    mlp.dispose();
  }
}

// ---- scores CSV ----------------------------------------------------------------------------------

const K = 4;
const HEADER = ['id', 'member', 'label', 'p0', 'p1', 'p2', 'p3'];

function baseRows(): string[][] {
  const rng = new Random(17);
  return Array.from({ length: 20 }, (_, r) => {
    const v = Array.from({ length: K }, () => rng.uniform(0.01, 1));
    const sum = v.reduce((a, b) => a + b, 0);
    return [`query ${r}`, String(r % 2), String(rng.int(K)), ...v.map((x) => String(Math.fround(x / sum)))];
  });
}

/** A mutant CSV: text, the line (and column) its error must name, or the table it must parse to. */
export interface CsvMutant { mutation: string; text: string; errorLine?: number; errorColumn?: string; rows?: string[][] }

const csvText = (rows: string[][], eol = '\n') => [HEADER.join(','), ...rows.map((r) => r.join(','))].join(eol) + eol;

export function mutateCsv(rng: Random): CsvMutant {
  const rows = baseRows();
  const r = rng.int(rows.length), line = r + 2; // header is line 1
  const c = rng.int(HEADER.length);
  const u = rng.next();
  if (u < 0.1) {
    // Quoted cells (doubling any quote) and an id holding a comma, a quote and a newline: same table.
    const id = pick(rng, ['a,b', 'say "hi"', 'two\nlines', 'cr\r\nlf', ' padded ']);
    const out = rows.map((row) => row.slice());
    out[r]![0] = id;
    const text = [HEADER.join(','), ...out.map((row) => row.map((cell, j) => (j === 0 || rng.next() < 0.3 ? `"${cell.replace(/"/g, '""')}"` : cell)).join(','))].join('\n') + '\n';
    return { mutation: 'quotes', text, rows: out };
  }
  if (u < 0.2) {
    // Line ends mixed per line (LF, CRLF, lone CR), a BOM, blank lines: the same table.
    let text = rng.next() < 0.5 ? '\ufeff' : '';
    const lines = [HEADER.join(','), ...rows.map((row) => row.join(','))];
    for (const l of lines) {
      text += l + pick(rng, ['\n', '\r\n', '\r']);
      if (rng.next() < 0.2) text += pick(rng, ['\n', '\r\n', '\n\n']);
    }
    return { mutation: 'line-ends', text, rows };
  }
  if (u < 0.3) {
    // Blank lines before a broken row: the error names the row's physical line.
    const blank = 1 + rng.int(3);
    const out = rows.map((row) => row.join(','));
    out[r] = out[r]!.split(',').slice(0, -1).join(','); // a missing cell
    const before = [HEADER.join(','), ...out.slice(0, r)].join('\n') + '\n' + '\n'.repeat(blank);
    return { mutation: 'blank-then-missing', text: before + out.slice(r).join('\n') + '\n', errorLine: line + blank };
  }
  if (u < 0.42) {
    const out = rows.map((row) => row.slice());
    if (rng.next() < 0.5) out[r]!.splice(c, 1); else out[r]!.splice(c, 0, 'extra');
    return { mutation: 'cell-count', text: csvText(out, pick(rng, ['\n', '\r\n'])), errorLine: line };
  }
  if (u < 0.56) {
    const out = rows.map((row) => row.slice());
    const pj = 3 + rng.int(K);
    out[r]![pj] = pick(rng, ['NaN', 'nan', 'Infinity', '-Infinity', 'inf', '', ' ', '1e400', '0x1', '1,5', '½', 'null', '--0.1', '0.2.3']);
    const cell = out[r]![pj]!;
    if (cell === '1,5') out[r]![pj] = '"1,5"';
    return { mutation: 'nan-text', text: csvText(out), errorLine: line, errorColumn: HEADER[pj] };
  }
  if (u < 0.64) {
    const out = rows.map((row) => row.slice());
    const col = pick(rng, [1, 2] as const);
    out[r]![col] = col === 1 ? pick(rng, ['2', '-1', 'yes', '', '1.0', 'true']) : pick(rng, ['-1', 'yes', '', '1.0', '99999999999', String(K)]);
    return { mutation: 'bad-member-label', text: csvText(out), errorLine: line, errorColumn: HEADER[col] };
  }
  if (u < 0.7) {
    // A stray quote inside an unquoted cell, or a quote never closed.
    const out = rows.map((row) => row.join(','));
    if (rng.next() < 0.5) {
      out[r] = out[r]!.replace(',', ',ab"c');
      return { mutation: 'stray-quote', text: [HEADER.join(','), ...out].join('\n') + '\n', errorLine: line };
    }
    out[r] = out[r]!.replace(',', ',"open');
    return { mutation: 'unterminated-quote', text: [HEADER.join(','), ...out].join('\n') + '\n', errorLine: line };
  }
  if (u < 0.76) {
    const header = HEADER.slice();
    const kind = rng.int(3);
    if (kind === 0) header[c] = header[(c + 1) % header.length]!; // duplicate
    else if (kind === 1) header[3 + rng.int(K)] = 'q'; // a p-column missing (becomes pass-through)
    else header.splice(3 + rng.int(K), 1); // a p-column gone: rows one cell too long
    const text = [header.join(','), ...rows.map((row) => row.join(','))].join('\n') + '\n';
    // A renamed p3 leaves p0..p2 (k = 3) and may still load; a removed p3 breaks the rows' width.
    const lastP = header.indexOf(`p${K - 1}`) < 0;
    return { mutation: 'header', text, errorLine: kind === 0 ? 1 : kind === 1 ? (lastP ? undefined : 1) : lastP ? 2 : 1 };
  }
  if (u < 0.84) {
    const text = csvText(rows);
    return { mutation: 'truncate', text: text.slice(0, rng.int(text.length)) };
  }
  // Random character noise: anything may happen, but only a MemGuardFormatError may be thrown.
  let text = csvText(rows, rng.next() < 0.5 ? '\n' : '\r\n');
  for (let e = 0, n = 1 + rng.int(5); e < n; e++) {
    const at = rng.int(text.length + 1);
    text = text.slice(0, at) + pick(rng, ['"', ',', '\n', '\r', '\ufeff', '', 'x', '-', 'e', '.', '""']) + text.slice(at + rng.int(3));
  }
  return { mutation: 'noise', text };
}

async function streamed(text: string, rng: Random): Promise<ScoresTable | Error> {
  // Random chunk sizes, down to one character: a chunk may split a CRLF, a quote pair or a BOM.
  async function* chunks() {
    for (let i = 0; i < text.length;) {
      const n = 1 + rng.int(rng.next() < 0.3 ? 4 : 200);
      yield text.slice(i, i + n);
      i += n;
    }
  }
  try {
    const parts: ScoresTable[] = [];
    for await (const b of readScoresCsvBatches(chunks(), { batchSize: 1 + rng.int(8), source: 'mutant.csv' })) parts.push(b);
    // A header without rows yields no batch (documented): an empty table.
    if (parts.length === 0) return { n: 0, k: 0, vectors: new Float32Array(0), passthrough: { columns: [], values: [] } };
    return {
      n: parts.reduce((a, p) => a + p.n, 0), k: parts[0]!.k,
      vectors: Float32Array.from(parts.flatMap((p) => Array.from(p.vectors))),
      member: parts[0]!.member ? Uint8Array.from(parts.flatMap((p) => Array.from(p.member!))) : undefined,
      label: parts[0]!.label ? Int32Array.from(parts.flatMap((p) => Array.from(p.label!))) : undefined,
      passthrough: { columns: parts[0]!.passthrough.columns, values: parts.flatMap((p) => p.passthrough.values) },
    };
  } catch (err) {
    return err as Error;
  }
}

const sameTable = (a: ScoresTable, b: ScoresTable): boolean =>
  a.n === b.n && a.k === b.k && a.vectors.every((v, i) => Object.is(v, b.vectors[i])) &&
  JSON.stringify([Array.from(a.member ?? []), Array.from(a.label ?? []), a.passthrough]) ===
  JSON.stringify([Array.from(b.member ?? []), Array.from(b.label ?? []), b.passthrough]);

export async function checkCsvMutant(m: CsvMutant, rng: Random, tally: FileTally): Promise<string | undefined> {
  tally.files++;
  tally.byMutation[`csv ${m.mutation}`] = (tally.byMutation[`csv ${m.mutation}`] ?? 0) + 1;
  let whole: ScoresTable | Error;
  try { whole = parseScoresCsv(m.text, { source: 'mutant.csv' }); } catch (err) { whole = err as Error; }
  const stream = await streamed(m.text, rng);
  if (whole instanceof Error) {
    tally.rejected++;
    if (!(whole instanceof MemGuardFormatError)) return `csv ${m.mutation}: ${whole.name} instead of MemGuardFormatError: ${whole.message}`;
    if (!/^mutant\.csv: (line \d+|the file is empty)/.test(whole.message)) return `csv ${m.mutation}: the error names no line: ${whole.message}`;
    if (m.errorLine !== undefined && !whole.message.startsWith(`mutant.csv: line ${m.errorLine}`)) {
      return `csv ${m.mutation}: the error should name line ${m.errorLine}: ${whole.message}`;
    }
    if (m.errorColumn !== undefined && !whole.message.includes(`column ${m.errorColumn}`)) return `csv ${m.mutation}: the error should name column ${m.errorColumn}: ${whole.message}`;
    if (m.rows) return `csv ${m.mutation}: a valid file was rejected: ${whole.message}`;
    if (!(stream instanceof Error) || stream.message !== whole.message) {
      return `csv ${m.mutation}: streamed reading disagrees: ${stream instanceof Error ? stream.message : 'accepted'} vs ${whole.message}`;
    }
    return undefined;
  }
  tally.loaded++;
  if (m.errorLine !== undefined) return `csv ${m.mutation}: accepted, but line ${m.errorLine} is invalid`;
  if (stream instanceof Error) return `csv ${m.mutation}: streamed reading failed (${stream.message}) where reading the whole text succeeded`;
  if (whole.n === 0 ? stream.n !== 0 : !sameTable(whole, stream)) return `csv ${m.mutation}: streamed reading gives another table`;
  for (const v of whole.vectors) if (!Number.isFinite(v)) return `csv ${m.mutation}: a non-finite value was accepted`;
  if (m.rows) {
    const want = m.rows;
    if (whole.n !== want.length) return `csv ${m.mutation}: ${whole.n} rows, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      if (whole.passthrough.values[i]![0] !== want[i]![0]) return `csv ${m.mutation}: row ${i} id ${JSON.stringify(whole.passthrough.values[i]![0])}, expected ${JSON.stringify(want[i]![0])}`;
      for (let j = 0; j < K; j++) if (whole.vectors[i * K + j] !== Math.fround(Number(want[i]![3 + j]))) return `csv ${m.mutation}: row ${i} p${j} differs`;
    }
  }
  return undefined;
}

// ---- the CLI on a sample of mutants -------------------------------------------------------------------

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * Runs `memguard protect` with a mutant as --defense or --in. Returns a violation when it exits 0 on
 * a rejected file, exits otherwise than 1, prints more than one line or a stack, or leaves any file
 * in the output folder after a failure.
 */
export function cliOnMutant(kind: 'model' | 'onnx' | 'csv', text: string | Uint8Array, rejected: boolean, dir: string): string | undefined {
  const work = mkdtempSync(join(dir, 'cli-'));
  const outDir = join(work, 'out');
  const defense = join(work, kind === 'onnx' ? 'g.onnx' : 'g.json'), input = join(work, 'in.csv');
  writeFileSync(defense, kind === 'csv' ? serializeModel(Mlp.create([K, 8, 1], { head: 'sigmoid', seed: 1 })) : text);
  writeFileSync(input, kind === 'csv' ? text : csvText(baseRows()));
  let code = 0, stderr = '';
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'protect', '--defense', defense, '--epsilon', '0.5', '--seed', '1',
      '--in', input, '--out', join(outDir, 'released.csv'), '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { status: number; stderr: Buffer };
    code = e.status;
    stderr = e.stderr.toString();
  }
  try {
    const left = (() => { try { return readdirSync(outDir); } catch { return []; } })();
    if (code === 0) return rejected && kind !== 'csv' ? `cli: exit 0 on a ${kind} file the library rejects` : undefined;
    if (code !== 1) return `cli: exit ${code} (expected 1): ${stderr.slice(0, 300)}`;
    if (left.length > 0) return `cli: left ${left.join(', ')} in the output folder after failing`;
    const lines = stderr.trimEnd().split('\n');
    if (lines.length !== 1 || !lines[0]!.startsWith('memguard: ')) return `cli: expected one "memguard: ..." line, got: ${stderr.slice(0, 300)}`;
    return undefined;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- the run -------------------------------------------------------------------------------------------

/** `n` model mutants and `n` CSV mutants; every `cliEvery`-th goes through the CLI too. */
export async function runFileFuzz(n: number, seed: number, options: { cliEvery?: number; hugeMiB?: number; log?: (s: string) => void } = {}): Promise<FileTally> {
  const tally = emptyFileTally();
  const rng = new Random(seed);
  const dir = mkdtempSync(join(tmpdir(), 'memguard-hostile-'));
  const cliEvery = options.cliEvery ?? 200;
  const note = (v: string | undefined) => {
    if (v === undefined) return;
    tally.violations++;
    if (tally.examples.length < 20) tally.examples.push(v);
  };
  const sample = () => {
    const rss = process.memoryUsage().rss / 2 ** 20;
    tally.peakRssMiB = Math.max(tally.peakRssMiB, rss);
  };
  try {
    // The big files first: a valid model of about `hugeMiB` MiB and the same array under a wrong shape.
    const huge = options.hugeMiB ?? 100;
    if (huge > 0) {
      for (const valid of [true, false]) {
        const m = hugeModel(huge, valid);
        note(checkModelMutant(m, tally));
        sample();
      }
    }
    tally.heapMiB.push(process.memoryUsage().heapUsed / 2 ** 20);
    for (let i = 0; i < n; i++) {
      const m = mutateModel(rng);
      const modelProblem = checkModelMutant(m, tally);
      note(modelProblem);
      const c = mutateCsv(rng);
      note(await checkCsvMutant(c, rng, tally));
      const o = mutateOnnx(rng);
      const onnx = checkOnnxMutant(o.bytes, o.mutation);
      note(onnx.violation);
      tally.files++;
      tally.byMutation[o.mutation.startsWith('onnx case') ? 'onnx case' : o.mutation] = (tally.byMutation[o.mutation.startsWith('onnx case') ? 'onnx case' : o.mutation] ?? 0) + 1;
      if (onnx.loaded) tally.loaded++;
      else tally.rejected++;
      if (cliEvery > 0 && i % cliEvery === 0) {
        let rejected = false;
        try { loadModel(m.text).dispose(); } catch { rejected = true; }
        note(cliOnMutant('model', m.text, rejected, dir));
        let csvRejected = false;
        try { parseScoresCsv(c.text); } catch { csvRejected = true; }
        note(cliOnMutant('csv', c.text, csvRejected, dir));
        note(cliOnMutant('onnx', o.bytes, !onnx.loaded, dir));
        tally.cliRuns += 3;
      }
      if (i % 500 === 0) sample();
      if ((i + 1) % Math.max(1, Math.floor(n / 5)) === 0) {
        tally.heapMiB.push(process.memoryUsage().heapUsed / 2 ** 20);
        options.log?.(`  files: ${i + 1}/${n} pairs, ${tally.violations} violations, heap ${tally.heapMiB.at(-1)!.toFixed(0)} MiB, peak rss ${tally.peakRssMiB.toFixed(0)} MiB`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tally;
}

/** `npm run fuzz -- --files N`: prints the counts; false when anything was violated. */
export async function fuzzFiles(n: number, seed: number, log: (s: string) => void): Promise<boolean> {
  const start = Date.now();
  log(`hostile files: ${n} model mutants, ${n} CSV mutants and ${n} ONNX mutants, seed ${seed}, a 100 MiB model first`);
  const t = await runFileFuzz(n, seed, { log });
  const kinds = Object.entries(t.byMutation).sort().map(([k, v]) => `${k} ${v}`).join(', ');
  log([
    `files ${t.files} in ${((Date.now() - start) / 1000).toFixed(1)} s: loaded ${t.loaded}, rejected with the documented error ${t.rejected}; CLI runs ${t.cliRuns}`,
    `by mutation: ${kinds}`,
    `memory: peak rss ${t.peakRssMiB.toFixed(0)} MiB; JS heap after the big files and at each fifth: ${t.heapMiB.map((h) => h.toFixed(0)).join(', ')} MiB`,
    `violations ${t.violations}`,
    ...t.examples.map((e) => `  ${e}`),
  ].join('\n'));
  return t.violations === 0;
}
