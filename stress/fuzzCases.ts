// The protect fuzzer (issue 9 item 1): one deterministic *case* per (seed, index), i.e. a batch of
// random and adversarial rows with random settings, run through `MemGuard.protect` and checked
// against design §4-§5 row by row. Used by stress/fuzz.ts (millions of vectors, worker processes)
// and by test/stress/fuzz.test.ts (a smoke run). Replay one case with `npm run fuzz -- --case I`.
//
// What "valid" means here (README "Guarantees"):
// - label kept: the first maximum (lowest index among equal maxima) of the released vector is the
//   first maximum of the undefended vector s (for logits input, s = their float32 softmax, which
//   `protect` returns as `scores`);
// - a released vector is either s + n with every entry finite and >= 0 and the float64 sum of its
//   float32 entries within 1e-6 of 1, or the caller's own s bit for bit (an input row accepted
//   within `sumTolerance` stays as valid as the caller made it: nothing is silently fixed);
// - p * ||n||_1 <= epsilon, n = released noise (the repaired candidate minus s);
// - an invalid row: MemGuardInputError whose message names the first invalid row; afterwards the
//   engine gives a known-good batch its known-good answer and has leaked no heap.
import { MemGuardInputError } from '../src/errors.js';
import { MemGuard, type MemGuardOptions, type ProtectOptions, type ProtectResult } from '../src/memguard/memguard.js';
import { Mlp } from '../src/nn/mlp.js';
import { Random } from '../src/random.js';
import { defaultEngine } from '../src/wasm/engine.js';
import { firstArgmax, releaseViolations } from '../test/memguard/invariants.js';

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
/** The float32 next to x (x a float32) in direction `dir` (+1 up, -1 down). */
function nextF32(x: number, dir: 1 | -1): number {
  f32[0] = x;
  if (x === 0) return dir * 1.4e-45;
  u32[0] = u32[0]! + ((x > 0) === (dir > 0) ? 1 : -1);
  return f32[0]!;
}

export const PROBABILITY_KINDS = [
  'softmax', 'peaked', 'flat', 'one-hot', 'one-hot-floor', 'uniform', 'tie-exact', 'tie-ulp', 'denormal', 'sum-edge-in', 'sum-edge-out',
] as const;
export const LOGIT_KINDS = ['normal', 'huge', 'extreme', 'tie-exact', 'tie-ulp', 'flat', 'tiny'] as const;
export const INVALID_KINDS = ['nan', 'inf', '-inf', 'negative', 'negative-denormal', 'above-one', 'sum'] as const;
type Kind = (typeof PROBABILITY_KINDS)[number] | (typeof LOGIT_KINDS)[number];
type InvalidKind = (typeof INVALID_KINDS)[number];

/** One fuzz case: settings and rows, all derived from (seed, index). */
export interface FuzzCase {
  index: number;
  k: number;
  rows: number;
  input: 'probabilities' | 'logits';
  data: Float32Array;
  kinds: Kind[];
  /** Rows made invalid (ascending), with how. */
  invalid: Array<{ row: number; kind: InvalidKind }>;
  options: Omit<MemGuardOptions, 'defenseClassifier'>;
  protect: ProtectOptions;
  /** Variant of the defense classifier for k (see `defenseFor`). */
  gVariant: number;
  /** Whether epsilon (constructor or call) is invalid, so an error is expected before any row. */
  badEpsilon: boolean;
}

const pick = <T>(rng: Random, xs: readonly T[]): T => xs[rng.int(xs.length)]!;

function chooseK(rng: Random): number {
  const u = rng.next();
  if (u < 0.15) return 2;
  if (u < 0.25) return 3;
  if (u < 0.4) return 10;
  if (u < 0.55) return 30;
  if (u < 0.62) return 100;
  if (u < 0.67) return 1000;
  return 2 + rng.int(999);
}

function chooseRows(rng: Random, k: number): number {
  const u = rng.next();
  if (u < 0.004) return 4096; // the largest batch, at any k (including 1,000)
  if (u < 0.25) return 1;
  if (u < 0.5) return 2 + rng.int(15);
  // Bounded work per case: about 20,000 floats, so cases stay short and vary a lot.
  return 1 + rng.int(Math.max(1, Math.min(4096, Math.floor(20000 / k))));
}

const EPSILONS = [0, 5e-324, 1e-300, 1e-6, 0.05, 0.1, 0.5, 1, 2, 1e300, Number.MAX_VALUE, Infinity];
const BAD_EPSILONS = [-1, -5e-324, NaN, -Infinity];

function probabilityRow(kind: Kind, row: Float32Array, rng: Random, tolerance: number): void {
  const k = row.length;
  const softmax = (spread: number) => {
    let sum = 0;
    const t = new Float64Array(k);
    for (let j = 0; j < k; j++) sum += (t[j] = Math.exp(rng.uniform(-spread, spread)));
    for (let j = 0; j < k; j++) row[j] = t[j]! / sum;
  };
  switch (kind) {
    case 'peaked': softmax(30); break;
    case 'flat': softmax(0.1); break;
    case 'one-hot': row.fill(0); row[rng.int(k)] = 1; break;
    case 'one-hot-floor': {
      const floor = pick(rng, [1e-7, 1e-12, 1e-38, 1.4e-45]);
      row.fill(floor);
      row[rng.int(k)] = 1 - floor * (k - 1);
      break;
    }
    case 'uniform': row.fill(1 / k); break;
    case 'tie-exact': case 'tie-ulp': {
      softmax(3);
      let top = 0;
      for (let j = 1; j < k; j++) if (row[j]! > row[top]!) top = j;
      const other = (top + 1 + rng.int(k - 1)) % k;
      // Exactly equal, or one float32 ulp above or below the maximum; the sum moves by ~1 ulp.
      row[other] = kind === 'tie-exact' ? row[top]! : nextF32(row[top]!, rng.next() < 0.5 ? 1 : -1);
      if (kind === 'tie-exact' && k > 2 && rng.next() < 0.3) row.fill(row[top]!, 0, k); // all tied
      renormalize(row, top, other);
      break;
    }
    case 'denormal': {
      softmax(3);
      const n = 1 + rng.int(Math.max(1, k - 1));
      for (let i = 0; i < n; i++) {
        const j = rng.int(k);
        row[j] = pick(rng, [1e-38, 1.17549435e-38, 1e-40, 1.4e-45, 0]);
      }
      renormalize(row);
      break;
    }
    case 'sum-edge-in': case 'sum-edge-out': {
      softmax(3);
      const sign = rng.next() < 0.5 ? 1 : -1;
      const factor = kind === 'sum-edge-in' ? 1 - 1e-3 : 1 + 1e-3;
      for (let j = 0; j < k; j++) row[j] = row[j]! * (1 + sign * tolerance * factor);
      break;
    }
    default: softmax(3);
  }
}

/** Rescales so the float64 sum of the float32 entries is as close to 1 as float32 allows, keeping `keep` entries. */
function renormalize(row: Float32Array, ...keep: number[]): void {
  let sum = 0, kept = 0;
  for (let j = 0; j < row.length; j++) if (keep.includes(j)) kept += row[j]!; else sum += row[j]!;
  if (sum > 0 && kept < 1) {
    const scale = (1 - kept) / sum;
    for (let j = 0; j < row.length; j++) if (!keep.includes(j)) row[j] = row[j]! * scale;
  } else if (sum === 0 && kept > 0) {
    for (const j of keep) row[j] = row[j]! / kept;
  }
}

function logitRow(kind: Kind, row: Float32Array, rng: Random): void {
  const k = row.length;
  switch (kind) {
    case 'huge': for (let j = 0; j < k; j++) row[j] = rng.uniform(-1, 1) * 1e30; break;
    case 'extreme': for (let j = 0; j < k; j++) row[j] = pick(rng, [3.4028234e38, -3.4028234e38, 1e30, -1e30, 0]); break;
    case 'flat': row.fill(pick(rng, [0, 1, -7, 1e30, -1e30, 3.4028234e38])); break;
    case 'tiny': for (let j = 0; j < k; j++) row[j] = pick(rng, [1e-38, -1e-38, 1.4e-45, -1.4e-45, 0, 1e-40]); break;
    case 'tie-exact': case 'tie-ulp': {
      const scale = pick(rng, [1, 10, 1e30]);
      for (let j = 0; j < k; j++) row[j] = rng.uniform(-1, 1) * scale;
      let top = 0;
      for (let j = 1; j < k; j++) if (row[j]! > row[top]!) top = j;
      const other = (top + 1 + rng.int(k - 1)) % k;
      row[other] = kind === 'tie-exact' ? row[top]! : nextF32(row[top]!, rng.next() < 0.5 ? 1 : -1);
      break;
    }
    default: for (let j = 0; j < k; j++) row[j] = rng.uniform(-10, 10);
  }
}

function breakRow(kind: InvalidKind, row: Float32Array, rng: Random, input: 'probabilities' | 'logits'): void {
  const j = rng.int(row.length);
  if (input === 'logits') {
    row[j] = kind === 'nan' ? NaN : kind === '-inf' ? -Infinity : Infinity;
    return;
  }
  switch (kind) {
    case 'nan': row[j] = NaN; break;
    case 'inf': row[j] = Infinity; break;
    case '-inf': row[j] = -Infinity; break;
    case 'negative': row[j] = -rng.uniform(1e-6, 0.5); break;
    case 'negative-denormal': row[j] = -1.4e-45; break;
    case 'above-one': row[j] = 1 + rng.uniform(1e-6, 1); break;
    case 'sum': for (let i = 0; i < row.length; i++) row[i] = row[i]! * 1.5; break;
  }
}

/** The case for (seed, index): a pure function, so any case can be replayed on its own. */
export function makeCase(seed: number, index: number): FuzzCase {
  const rng = new Random((seed * 0x9e3779b1 + index * 0x85ebca6b + 1) >>> 0);
  // Every 500th case is the largest shape, k = 1,000 classes in a batch of 4,096 rows.
  const largest = index % 500 === 499;
  const k = largest ? 1000 : chooseK(rng);
  const rows = largest ? 4096 : chooseRows(rng, k);
  const input = rng.next() < 0.3 ? 'logits' : 'probabilities';
  const coinMode = pick(rng, ['key', 'seed', 'expectation'] as const);
  const key = Uint8Array.from({ length: 16 + rng.int(49) }, () => rng.int(256));
  const coin = coinMode === 'key' ? { mode: 'key' as const, key } : coinMode === 'seed' ? { mode: 'seed' as const, seed: rng.int(1e9) } : { mode: 'expectation' as const };
  const sumTolerance = rng.next() < 0.7 ? 1e-3 : pick(rng, [1e-6, 1e-4, 1e-2]);
  const badEpsilon = rng.next() < 0.02;
  const epsilon = badEpsilon ? pick(rng, BAD_EPSILONS) : pick(rng, EPSILONS);
  const overrideEpsilon = rng.next() < 0.2;
  // Default search where the batch is small; fewer steps where it is large (the invariants are about
  // the release, which every search outcome must satisfy; the default search is exercised too).
  const work = rows * k;
  const search = work <= 3000 && rng.next() < 0.6 ? {} : { maxSteps: pick(rng, [1, 5, 20, 60, 150]), c3Max: pick(rng, [0.5, 10, 1e5]) };
  const options: FuzzCase['options'] = {
    epsilon: overrideEpsilon ? 0.5 : epsilon, coin, sumTolerance,
    mixing: rng.next() < 0.5 ? 'paper' : 'exact', method: rng.next() < 0.5 ? 'logits' : 'projected',
    search, batchSize: pick(rng, [1, 7, 64, 512, 4096]),
  };
  const protect: ProtectOptions = { input };
  if (overrideEpsilon) protect.epsilon = epsilon;
  if (coinMode === 'key' && rng.next() < 0.25) {
    protect.queryIds = Array.from({ length: rows }, (_, i) => rng.next() < 0.5 ? `q-${index}-${i}` : Uint8Array.of(i & 255, i >> 8, index & 255));
  }
  const pool = (input === 'logits' ? LOGIT_KINDS : PROBABILITY_KINDS) as readonly Kind[];
  const caseKinds = Array.from({ length: 1 + rng.int(3) }, () => pick(rng, pool));
  const data = new Float32Array(rows * k);
  const kinds: Kind[] = [];
  for (let r = 0; r < rows; r++) {
    const kind = pick(rng, caseKinds);
    kinds.push(kind);
    const row = data.subarray(r * k, (r + 1) * k);
    if (input === 'logits') logitRow(kind, row, rng);
    else probabilityRow(kind, row, rng, sumTolerance);
  }
  const invalid: FuzzCase['invalid'] = [];
  // Invalid rows mostly in small batches: a rejected batch releases nothing, so big ones are costly.
  if (rng.next() < (rows <= 256 ? 0.2 : 0.02)) {
    const count = 1 + rng.int(Math.min(3, rows));
    const at = new Set<number>();
    while (at.size < count) at.add(rng.int(rows));
    for (const row of [...at].sort((a, b) => a - b)) {
      const kind = input === 'logits' ? pick(rng, ['nan', 'inf', '-inf'] as const) : pick(rng, INVALID_KINDS);
      breakRow(kind, data.subarray(row * k, (row + 1) * k), rng, input);
      invalid.push({ row, kind });
    }
  }
  return { index, k, rows, input, data, kinds, invalid, options, protect, gVariant: rng.int(4), badEpsilon };
}

// ---- defense classifiers: small random g per k (the invariants do not depend on its size) ----------

const classifiers = new Map<string, Mlp>();

/**
 * A small random defense classifier for k inputs. Variants shift and scale the output logit so that
 * g(s) lands near 0.5, far from it on either side, or saturated (h of order 100).
 */
export function defenseFor(k: number, variant: number): Mlp {
  const name = `${k}/${variant}`;
  let g = classifiers.get(name);
  if (g) return g;
  if (classifiers.size >= 48) {
    for (const m of classifiers.values()) m.dispose();
    classifiers.clear();
  }
  g = Mlp.create([k, 8, 4, 1], { head: 'sigmoid', seed: k * 4 + variant });
  const layers = g.parameters();
  const last = layers[layers.length - 1]!;
  const scale = [1, 10, 10, 200][variant]!, shift = [0, 0, 2, -1][variant]!;
  for (let i = 0; i < last.weight.length; i++) last.weight[i] = last.weight[i]! * scale;
  last.bias[0] = shift;
  g.setParameters(layers);
  classifiers.set(name, g);
  return g;
}

// ---- the checks -----------------------------------------------------------------------------------

export interface FuzzTally {
  cases: number;
  /** Rows submitted. */
  vectors: number;
  /** Rows released and checked. */
  checkedRows: number;
  noiseReleased: number;
  /** Batches rejected with the expected typed error. */
  rejectedBatches: number;
  /** Rows of the kinds, among the checked ones. */
  byKind: Record<string, number>;
  /** Logit rows whose float32 softmax tied what were distinct top logits (label = first max of s). */
  softmaxTies: number;
  /** The largest k and batch that were released and checked. */
  maxK: number;
  maxRows: number;
  violations: number;
  /** The first few violation descriptions (case index first, for replay). */
  examples: string[];
}

export function emptyTally(): FuzzTally {
  return { cases: 0, vectors: 0, checkedRows: 0, noiseReleased: 0, rejectedBatches: 0, byKind: {}, softmaxTies: 0, maxK: 0, maxRows: 0, violations: 0, examples: [] };
}

export function mergeTally(into: FuzzTally, from: FuzzTally): void {
  for (const key of ['cases', 'vectors', 'checkedRows', 'noiseReleased', 'rejectedBatches', 'softmaxTies', 'violations'] as const) into[key] += from[key];
  into.maxK = Math.max(into.maxK, from.maxK);
  into.maxRows = Math.max(into.maxRows, from.maxRows);
  for (const [kind, n] of Object.entries(from.byKind)) into.byKind[kind] = (into.byKind[kind] ?? 0) + n;
  for (const e of from.examples) if (into.examples.length < 20) into.examples.push(e);
}


/** The first row the validator must reject, and whether the case expects any error at all. */
function expectedFailure(c: FuzzCase): { row: number | undefined; any: boolean } {
  if (c.badEpsilon) return { row: undefined, any: true };
  const tol = c.options.sumTolerance!;
  for (let r = 0; r < c.rows; r++) {
    let sum = 0, bad = false;
    for (let j = 0; j < c.k; j++) {
      const v = c.data[r * c.k + j]!;
      if (!Number.isFinite(v)) bad = true;
      sum += v;
      if (c.input === 'probabilities' && !(v >= 0 && v <= 1)) bad = true;
    }
    if (c.input === 'probabilities' && !(Math.abs(sum - 1) <= tol)) bad = true;
    if (bad) return { row: r, any: true };
  }
  return { row: undefined, any: false };
}

/** A fixed batch and its answer, computed once: after every rejected batch the engine must still give it. */
let knownGood: { guard: MemGuard; rows: Float32Array; released: Uint8Array } | undefined;

function checkKnownGood(): string | undefined {
  if (!knownGood) {
    const g = Mlp.create([30, 16, 1], { head: 'sigmoid', seed: 11 }); // not in the cache, never disposed
    const rng = new Random(7);
    const rows = new Float32Array(16 * 30);
    for (let r = 0; r < 16; r++) probabilityRow('softmax', rows.subarray(r * 30, (r + 1) * 30), rng, 1e-3);
    const guard = new MemGuard({ defenseClassifier: g, epsilon: 0.7, coin: { mode: 'key', key: Uint8Array.from({ length: 16 }, (_, i) => 3 * i + 1) } });
    knownGood = { guard, rows, released: new Uint8Array(guard.protect(rows).released.buffer.slice(0)) };
  }
  const again = new Uint8Array(knownGood.guard.protect(knownGood.rows).released.buffer);
  if (again.length !== knownGood.released.length || again.some((b, i) => b !== knownGood!.released[i])) {
    return 'after a rejected batch the known-good batch gave a different answer';
  }
  return undefined;
}

/** Runs case `c`, adds to `tally`; returns the violations found (also counted in `tally`). */
export function runCase(c: FuzzCase, tally: FuzzTally): string[] {
  const violations: string[] = [];
  const fail = (msg: string) => { violations.push(`case ${c.index} (k=${c.k}, rows=${c.rows}, ${c.input}): ${msg}`); };
  tally.cases++;
  tally.vectors += c.rows;
  const engine = defaultEngine();
  const g = defenseFor(c.k, c.gVariant);
  const heapBefore = engine.heap.bytesInUse;
  const expect = expectedFailure(c);
  let result: ReturnType<MemGuard['protect']> | undefined;
  try {
    const guard = new MemGuard({ ...c.options, defenseClassifier: g });
    result = guard.protect(c.data, c.protect) as typeof result;
  } catch (err) {
    const e = err as Error;
    if (!expect.any) fail(`unexpected ${e?.name}: ${e?.message}`);
    else if (!(e instanceof MemGuardInputError)) fail(`expected MemGuardInputError, got ${e?.name}: ${e?.message}`);
    else if (expect.row !== undefined && !new RegExp(`\\brow ${expect.row}\\b`).test(e.message)) {
      fail(`the error should name row ${expect.row} (${c.invalid.map((b) => `${b.row}:${b.kind}`).join(' ')}): ${e.message}`);
    } else tally.rejectedBatches++;
    if (engine.heap.bytesInUse !== heapBefore) fail(`heap in use went from ${heapBefore} to ${engine.heap.bytesInUse} bytes after the error`);
    const broken = checkKnownGood();
    if (broken) fail(broken);
  }
  if (result) {
    if (expect.any) fail(`accepted a batch with an invalid row ${expect.row} or epsilon`);
    else checkRows(c, result, fail, tally);
  }
  tally.violations += violations.length;
  for (const v of violations) if (tally.examples.length < 20) tally.examples.push(v);
  return violations;
}

export function checkRows(c: FuzzCase, res: ReturnType<MemGuard['protect']>, fail: (m: string) => void, tally: FuzzTally): void {
  const { k, rows } = c;
  const epsilon = c.protect.epsilon ?? c.options.epsilon;
  const result = res as ProtectResult<Float32Array>;
  if (result.released.length !== rows * k) { fail(`released has ${result.released.length} values for ${rows} x ${k}`); return; }
  tally.maxK = Math.max(tally.maxK, k);
  tally.maxRows = Math.max(tally.maxRows, rows);
  for (let r = 0; r < rows; r++) {
    tally.checkedRows++;
    tally.byKind[c.kinds[r]!] = (tally.byKind[c.kinds[r]!] ?? 0) + 1;
    if (c.input === 'logits' && firstArgmax(c.data, r * k, k) !== firstArgmax(result.scores, r * k, k)) tally.softmaxTies++;
    if (result.noiseReleased[r] === 1) tally.noiseReleased++;
    for (const v of releaseViolations(result, k, epsilon, r, c.input === 'probabilities' ? c.data : undefined)) fail(`row ${r} (${c.kinds[r]}): ${v}`);
  }
}
