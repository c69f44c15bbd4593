// Phase II's release decision (design §4): given the mixing probability p of a row, release s + r
// (weight 1) or s (weight 0). Three modes:
// - 'key': the coin is u = SipHash-2-4(key, query) mapped to [0, 1) with 53 bits; release iff u < p.
//   The query is its input vector (float32 bytes) or a caller-given id, so asking the same query
//   twice always gets the same answer and an attacker never sees both s and s + r. Pure TypeScript
//   (32-bit arithmetic, no node:crypto, no BigInt on the hot path): works in every runtime.
// - 'seed': a reproducible sfc32 stream (src/random.ts), one draw per row; for experiments only.
// - 'expectation': no coin; the weight is p itself (for evaluation in expectation).
import { check, MemGuardInputError } from '../errors.js';
import { Random } from '../random.js';

/**
 * The release coin (design §4): 'key' (a keyed hash of the query: the same query always gets the
 * same answer), 'seed' (a reproducible stream, experiments only) or 'expectation' (weight = p).
 *
 * @example
 * const keyed: CoinOptions = { mode: 'key', key: crypto.getRandomValues(new Uint8Array(16)) }; // production
 * const seeded: CoinOptions = { mode: 'seed', seed: 1 };                                       // experiments
 * const expected: CoinOptions = { mode: 'expectation' };                                      // evaluation
 * new ReleaseCoin(keyed).weight(0.5, { id: 'query-1' });
 */
export type CoinOptions =
  | ({ mode: 'key'; key: Uint8Array } & CoarseKeying)
  | { mode: 'seed'; seed: number }
  | { mode: 'expectation' };

/**
 * What identifies one query to the keyed coin: its input vector (hashed as little-endian float32,
 * with -0 read as +0), or a caller-given id (a string is hashed as its UTF-8 bytes, so the string
 * and its UTF-8 encoding are the same id). Inputs and ids never collide (domain-separated).
 *
 * @example
 * const coin = new ReleaseCoin({ mode: 'key', key: Uint8Array.from({ length: 16 }, (_, i) => i * 37 + 3) });
 * const byContent: QueryRef = { input: [0.7, 0.2, 0.1] };
 * const byId: QueryRef = { id: 'user-42/query-7' };
 * console.log(coin.weight(0.5, byContent), coin.weight(0.5, byId));
 */
export type QueryRef = { input: ArrayLike<number> } | { id: string | Uint8Array };

/**
 * Queries of a batch: `rows x dim` inputs, row-major (confidence vectors when the coin is coarse), or
 * one id per row.
 *
 * @example
 * const coin = new ReleaseCoin({ mode: 'key', key: Uint8Array.from({ length: 16 }, (_, i) => i * 37 + 5) });
 * const batch: QueryBatch = { inputs: [0.7, 0.2, 0.1, 0.1, 0.3, 0.6], dim: 3 };
 * console.log(coin.weights([0.5, 0.5], batch)); // Float64Array of 0/1, one per row
 */
export type QueryBatch = { inputs: ArrayLike<number>; dim: number } | { ids: ReadonlyArray<string | Uint8Array> };

/**
 * What the keyed coin hashes when the caller gives no query id (design §7, near-duplicate queries):
 * - `content: 'exact'`: the query's bytes. A query that differs in one bit draws an independent
 *   coin, so an attacker asking m near-duplicates sees a clean vector with probability 1 - p^m.
 * - `content: 'coarse'`: the predicted label and the top `entries` scores of the confidence
 *   vector, each rounded down on a grid of step `resolution` (default 0.05) shifted by a secret
 *   offset derived from the key (so an attacker cannot aim at the grid's edges). Near-identical
 *   vectors share a coin unless a score crosses a grid line; unrelated queries may share one too,
 *   which keeps E||n||_1 <= epsilon query by query (each query's coin stays uniform over keys).
 * The default is 'coarse' (`COARSE_DEFAULTS`; README "Library" gives the measurements). The strong answer is a
 * caller-given id (`queryIds`) naming what the query is about (a user, a record): no perturbation
 * of the query changes it.
 *
 * @example
 * const keying: CoarseKeying = { content: 'coarse', resolution: 0.05 };
 * const coin = new ReleaseCoin({ mode: 'key', key: Uint8Array.from({ length: 16 }, (_, i) => i * 37 + 5), ...keying });
 * console.log(coin.uniforms({ inputs: [0.61, 0.3, 0.09, 0.6101, 0.3, 0.0899], dim: 3 })); // usually two equal values
 */
export interface CoarseKeying {
  content?: 'exact' | 'coarse';
  /** Grid step of the coarse key, in (0, 1]. Default 0.05. */
  resolution?: number;
  /** How many of the largest scores the coarse key rounds (1 to 8). Default 1. */
  entries?: number;
}

/**
 * The keyed coin's keying when `CoarseKeying` fields are left out.
 *
 * @example
 * console.log(COARSE_DEFAULTS.content, COARSE_DEFAULTS.resolution); // "coarse 0.05"
 */
export const COARSE_DEFAULTS = Object.freeze({ content: 'coarse' as 'exact' | 'coarse', resolution: 0.05, entries: 1 });

/**
 * Minimum key length in bytes for the keyed coin (SipHash's 128-bit key).
 *
 * @example
 * const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES)); // 16 random bytes
 */
export const KEY_BYTES = 16;

const TAG_INPUT = 0, TAG_ID = 1, TAG_COARSE = 2;

// ---- SipHash-2-4 on (hi, lo) uint32 pairs --------------------------------------------------------

// v0..v3 as [v0h, v0l, v1h, v1l, v2h, v2l, v3h, v3l].
function sipRounds(v: Uint32Array, rounds: number): void {
  let v0h = v[0]!, v0l = v[1]!, v1h = v[2]!, v1l = v[3]!, v2h = v[4]!, v2l = v[5]!, v3h = v[6]!, v3l = v[7]!;
  let t: number;
  for (let r = 0; r < rounds; r++) {
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    t = v0l + v1l; v0h = (v0h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0; v0l = t >>> 0;
    t = v1h; v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0; v1l = ((v1l << 13) | (t >>> 19)) >>> 0;
    v1h = (v1h ^ v0h) >>> 0; v1l = (v1l ^ v0l) >>> 0;
    t = v0h; v0h = v0l; v0l = t;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    t = v2l + v3l; v2h = (v2h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0; v2l = t >>> 0;
    t = v3h; v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0; v3l = ((v3l << 16) | (t >>> 16)) >>> 0;
    v3h = (v3h ^ v2h) >>> 0; v3l = (v3l ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    t = v0l + v3l; v0h = (v0h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0; v0l = t >>> 0;
    t = v3h; v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0; v3l = ((v3l << 21) | (t >>> 11)) >>> 0;
    v3h = (v3h ^ v0h) >>> 0; v3l = (v3l ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    t = v2l + v1l; v2h = (v2h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0; v2l = t >>> 0;
    t = v1h; v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0; v1l = ((v1l << 17) | (t >>> 15)) >>> 0;
    v1h = (v1h ^ v2h) >>> 0; v1l = (v1l ^ v2l) >>> 0;
    t = v2h; v2h = v2l; v2l = t;
  }
  v[0] = v0h; v[1] = v0l; v[2] = v1h; v[3] = v1l; v[4] = v2h; v[5] = v2l; v[6] = v3h; v[7] = v3l;
}

const le32 = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

// Absorbs one 64-bit word (hi, lo) with c = 2 compression rounds.
function absorb(v: Uint32Array, mh: number, ml: number): void {
  v[6] = (v[6]! ^ mh) >>> 0; v[7] = (v[7]! ^ ml) >>> 0;
  sipRounds(v, 2);
  v[0] = (v[0]! ^ mh) >>> 0; v[1] = (v[1]! ^ ml) >>> 0;
}

/** SipHash-2-4 of `message` under the 16-byte `key`, as (hi, lo) uint32 written to `out`. */
export function siphash24Words(key: Uint8Array, message: Uint8Array, out: Uint32Array = new Uint32Array(2)): Uint32Array {
  check(key.length === KEY_BYTES, () => `siphash24: key must be ${KEY_BYTES} bytes, got ${key.length}`);
  const k0l = le32(key, 0), k0h = le32(key, 4), k1l = le32(key, 8), k1h = le32(key, 12);
  const v = new Uint32Array([
    (k0h ^ 0x736f6d65) >>> 0, (k0l ^ 0x70736575) >>> 0, // "somepseu"
    (k1h ^ 0x646f7261) >>> 0, (k1l ^ 0x6e646f6d) >>> 0, // "dorandom"
    (k0h ^ 0x6c796765) >>> 0, (k0l ^ 0x6e657261) >>> 0, // "lygenera"
    (k1h ^ 0x74656462) >>> 0, (k1l ^ 0x79746573) >>> 0, // "tedbytes"
  ]);
  const n = message.length;
  const full = n - (n % 8);
  for (let i = 0; i < full; i += 8) absorb(v, le32(message, i + 4), le32(message, i));
  // Last word: the remaining bytes, and the length mod 256 in the top byte.
  let ml = 0, mh = ((n & 0xff) << 24) >>> 0;
  for (let i = full; i < n; i++) {
    const shift = 8 * (i - full);
    if (shift < 32) ml = (ml | (message[i]! << shift)) >>> 0;
    else mh = (mh | (message[i]! << (shift - 32))) >>> 0;
  }
  absorb(v, mh, ml);
  v[5] = (v[5]! ^ 0xff) >>> 0;
  sipRounds(v, 4);
  out[0] = (v[0]! ^ v[2]! ^ v[4]! ^ v[6]!) >>> 0;
  out[1] = (v[1]! ^ v[3]! ^ v[5]! ^ v[7]!) >>> 0;
  return out;
}

/**
 * SipHash-2-4 (Aumasson & Bernstein 2012) of `message` under a 16-byte `key`, as an unsigned 64-bit
 * BigInt (the reference implementation's little-endian output read as a number).
 *
 * @example
 * const key = Uint8Array.from({ length: 16 }, (_, i) => i);
 * siphash24(key, Uint8Array.from({ length: 15 }, (_, i) => i)); // 0xa129ca6149be45e5n
 */
export function siphash24(key: Uint8Array, message: Uint8Array): bigint {
  const [hi, lo] = siphash24Words(key, message);
  return (BigInt(hi!) << 32n) | BigInt(lo!);
}

// ---- query encoding and the keyed uniform ------------------------------------------------------

const utf8 = new TextEncoder();

/** The bytes hashed for a query: a domain tag, then the id bytes or the little-endian float32 input. */
export function queryBytes(query: QueryRef): Uint8Array {
  if ('id' in query) {
    const id = typeof query.id === 'string' ? utf8.encode(query.id) : query.id;
    check(id instanceof Uint8Array, () => `coin: a query id must be a string or a Uint8Array, got ${typeof query.id}`);
    const out = new Uint8Array(1 + id.length);
    out[0] = TAG_ID;
    out.set(id, 1);
    return out;
  }
  return inputBytes(query.input, 0, query.input.length);
}

function inputBytes(input: ArrayLike<number>, off: number, dim: number, buf?: Uint8Array): Uint8Array {
  const out = buf && buf.length === 1 + 4 * dim ? buf : new Uint8Array(1 + 4 * dim);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = TAG_INPUT;
  for (let j = 0; j < dim; j++) {
    const x = input[off + j]!;
    view.setFloat32(1 + 4 * j, x === 0 ? 0 : x, true); // -0 -> +0: the same query either way
  }
  return out;
}

const isOneByteValue = (bytes: Uint8Array): boolean => bytes.every((b) => b === bytes[0]);

/**
 * Why `key` cannot be the coin's secret, or undefined when it can: fewer than 16 bytes, one byte value
 * repeated (all zeros, a placeholder, a mistake), or halves that cancel out under the XOR fold (e.g.
 * 16 bytes written twice), which leaves a constant SipHash key. The text never contains key bytes.
 *
 * @example
 * console.log(keyProblem(new Uint8Array(16))); // "the key's 16 bytes all have the same value; ..."
 * console.log(keyProblem(crypto.getRandomValues(new Uint8Array(32)))); // undefined
 */
export function keyProblem(key: Uint8Array): string | undefined {
  if (key.length < KEY_BYTES) return `the key has ${key.length} bytes; at least ${KEY_BYTES} bytes (128 bits) are needed`;
  if (isOneByteValue(key)) return `the key's ${key.length} bytes all have the same value; use random bytes (e.g. \`openssl rand -hex 32\`)`;
  if (isOneByteValue(xorFold(key))) return `the key's ${KEY_BYTES}-byte blocks cancel out (e.g. the same bytes repeated); use random bytes`;
  return undefined;
}

// XOR-folds a key of >= 16 bytes into SipHash's 16 (a 16-byte key is used as is).
function xorFold(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(KEY_BYTES);
  for (let i = 0; i < key.length; i++) out[i % KEY_BYTES]! ^= key[i]!;
  return out;
}

/** The checked, folded SipHash key; the error names the problem, never the bytes. */
function foldKey(key: Uint8Array): Uint8Array {
  check(key instanceof Uint8Array, () => `coin: mode 'key' needs a secret key (a Uint8Array of at least ${KEY_BYTES} bytes), got ${key === undefined ? 'none' : typeof key}`);
  const problem = keyProblem(key);
  check(problem === undefined, () => `coin: ${problem}`);
  return xorFold(key);
}

const TWO53 = 2 ** 53;

// The top 53 bits of the 64-bit hash as a uniform in [0, 1).
function uniform53(words: Uint32Array): number {
  return (words[0]! * 2 ** 21 + (words[1]! >>> 11)) / TWO53;
}

/**
 * The keyed coin's uniform in [0, 1) for one query: the top 53 bits of SipHash-2-4 of `queryBytes`.
 * `key`: at least 16 bytes (longer keys are XOR-folded to 16).
 */
export function keyedUniform(key: Uint8Array, query: QueryRef): number {
  return uniform53(siphash24Words(foldKey(key), queryBytes(query)));
}

/**
 * The bytes the coarse key hashes for row `off..off+dim` of `scores`: a tag, the label (first
 * maximum), then the top `entries` scores (descending) as grid cells floor(v / resolution + offset_i).
 */
export function coarseQueryBytes(scores: ArrayLike<number>, off: number, dim: number, resolution: number, offsets: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const entries = offsets.length;
  const bytes = out && out.length === 3 + 4 * entries ? out : new Uint8Array(3 + 4 * entries);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let label = 0;
  for (let j = 1; j < dim; j++) if (scores[off + j]! > scores[off + label]!) label = j;
  bytes[0] = TAG_COARSE;
  view.setUint16(1, label, true);
  // The top `entries` values by repeated selection (entries is at most 8).
  let prev = Infinity, prevAt = -1;
  for (let e = 0; e < entries; e++) {
    let best = -1;
    for (let j = 0; j < dim; j++) {
      const v = scores[off + j]!;
      const below = v < prev || (v === prev && j > prevAt);
      if (below && (best < 0 || v > scores[off + best]!)) best = j;
    }
    const v = best < 0 ? 0 : scores[off + best]!;
    view.setInt32(3 + 4 * e, Math.floor(v / resolution + offsets[e]!), true);
    prev = v; prevAt = best;
  }
  return bytes;
}

// ---- the coin ---------------------------------------------------------------------------------

function checkP(p: number, row?: number): void {
  check(p >= 0 && p <= 1, () => `coin: ${row === undefined ? '' : `row ${row}: `}the mixing probability must be in [0, 1], got ${p}`);
}

/**
 * The release decision of Phase II. `weight(p, query)` is 1 (release s + r) or 0 (release s) in the
 * 'key' and 'seed' modes, and p itself in 'expectation' mode.
 *
 * @example
 * const coin = new ReleaseCoin({ mode: 'key', key: Uint8Array.from({ length: 16 }, (_, i) => i * 37 + 9) });
 * coin.weight(0.3, { id: 'user-42/query-7' }); // 0 or 1, always the same for this id and key
 */
export class ReleaseCoin {
  readonly mode: CoinOptions['mode'];
  /** 'key' mode: what a query without an id is keyed on (see `CoarseKeying`). */
  readonly content: 'exact' | 'coarse' = 'exact';
  readonly resolution: number = COARSE_DEFAULTS.resolution;
  private readonly gridOffsets: Float64Array = new Float64Array(0);
  private readonly key: Uint8Array | null = null;
  private readonly rng: Random | null = null;
  private readonly words = new Uint32Array(2);

  constructor(options: CoinOptions) {
    check(options && typeof options === 'object', () => `coin: options must be an object, got ${String(options)}`);
    this.mode = options.mode;
    switch (options.mode) {
      case 'key': {
        this.key = foldKey(options.key); // a private copy: later changes to the caller's key do not leak in
        const o = { ...COARSE_DEFAULTS, ...options };
        check(o.content === 'exact' || o.content === 'coarse', () => `coin: content must be 'exact' or 'coarse', got ${String(o.content)}`);
        check(o.resolution > 0 && o.resolution <= 1, () => `coin: resolution must be in (0, 1], got ${o.resolution}`);
        check(Number.isInteger(o.entries) && o.entries >= 1 && o.entries <= 8, () => `coin: entries must be an integer from 1 to 8, got ${o.entries}`);
        this.content = o.content;
        this.resolution = o.resolution;
        // The grid's secret offsets, one per rounded score, derived from the key (domain-separated).
        this.gridOffsets = Float64Array.from({ length: o.entries }, (_, e) =>
          uniform53(siphash24Words(this.key!, queryBytes({ id: `memguard/coarse-grid/${e}` }))));
        break;
      }
      case 'seed':
        check(Number.isSafeInteger(options.seed), () => `coin: mode 'seed' needs an integer seed, got ${options.seed}`);
        this.rng = new Random(options.seed);
        break;
      case 'expectation':
        break;
      default:
        throw new MemGuardInputError(
          `coin: mode must be 'key', 'seed' or 'expectation', got ${String((options as { mode?: unknown }).mode)}`,
        );
    }
  }

  /** The weight of s + r for one row with mixing probability `p`; 'key' mode needs the query. */
  weight(p: number, query?: QueryRef): number {
    checkP(p);
    if (this.mode === 'expectation') return p;
    if (this.rng) return this.rng.next() < p ? 1 : 0;
    check(query !== undefined, () => `coin: mode 'key' needs the query (its input or an id) to hash`);
    const bytes = this.content === 'coarse' && 'input' in query
      ? coarseQueryBytes(query.input, 0, query.input.length, this.resolution, this.gridOffsets)
      : queryBytes(query);
    return uniform53(siphash24Words(this.key!, bytes, this.words)) < p ? 1 : 0;
  }

  /**
   * 'key' mode: each query's keyed uniform in [0, 1) (release iff u < p). Two queries share a coin
   * exactly when their uniforms are equal (for measuring how often near-duplicates do).
   */
  uniforms(queries: QueryBatch): Float64Array {
    check(this.key !== null, () => `coin: uniforms are defined in mode 'key' only, not '${this.mode}'`);
    if ('ids' in queries) {
      return Float64Array.from(queries.ids, (id) => uniform53(siphash24Words(this.key!, queryBytes({ id }), this.words)));
    }
    const { inputs, dim } = queries;
    check(Number.isInteger(dim) && dim >= 1, () => `coin: dim must be a positive integer, got ${dim}`);
    check(inputs.length % dim === 0, () => `coin: inputs have ${inputs.length} values, not a multiple of dim ${dim}`);
    const rows = inputs.length / dim;
    const out = new Float64Array(rows);
    let buf: Uint8Array | undefined;
    for (let i = 0; i < rows; i++) {
      buf = this.content === 'coarse'
        ? coarseQueryBytes(inputs, i * dim, dim, this.resolution, this.gridOffsets, buf)
        : inputBytes(inputs, i * dim, dim, buf);
      out[i] = uniform53(siphash24Words(this.key!, buf, this.words));
    }
    return out;
  }

  /**
   * Weights for a batch: `p[i]` is row i's mixing probability; `queries` ('key' mode only, ignored
   * otherwise) gives each row's input (`rows x dim`) or id. 'seed' mode draws once per row, whatever p.
   */
  weights(p: ArrayLike<number>, queries?: QueryBatch, out: Float64Array = new Float64Array(p.length)): Float64Array {
    const rows = p.length;
    check(out.length >= rows, () => `coin: out has ${out.length} entries for ${rows} rows`);
    for (let i = 0; i < rows; i++) checkP(p[i]!, i);
    if (this.mode === 'expectation') {
      for (let i = 0; i < rows; i++) out[i] = p[i]!;
      return out;
    }
    if (this.rng) {
      for (let i = 0; i < rows; i++) out[i] = this.rng.next() < p[i]! ? 1 : 0;
      return out;
    }
    check(queries !== undefined, () => `coin: mode 'key' needs the queries (inputs or ids) to hash`);
    if ('ids' in queries) check(queries.ids.length === rows, () => `coin: ${queries.ids.length} ids for ${rows} rows`);
    else check(queries.inputs.length === rows * queries.dim, () => `coin: inputs have ${queries.inputs.length} values, expected ${rows} rows x ${queries.dim}`);
    const u = this.uniforms(queries);
    for (let i = 0; i < rows; i++) out[i] = u[i]! < p[i]! ? 1 : 0;
    return out;
  }
}
