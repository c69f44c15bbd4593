// The evaluation splits of design §6, as row indices: each role is a half-open range of positions in
// the dataset's shuffle permutation (MemGuard's own `shuffle_index`), so every run and every tool
// sees the same rows in the same order.
import { check, MemGuardFormatError, MemGuardInputError } from '../errors.js';

/**
 * A half-open range `[start, end)` of shuffle positions.
 *
 * @example
 * const ranges = { ...LOCATION_SPLITS, evalNonMembers: [2000, 2500] as PositionRange }; // a smaller evaluation set
 * const s = locationSplits(Array.from({ length: 5010 }, (_, i) => i), ranges);
 */
export type PositionRange = readonly [start: number, end: number];

/**
 * The roles of design §6 and their shuffle positions.
 *
 * @example
 * console.log(LOCATION_SPLITS.targetTrain); // [0, 1000]: shuffle positions of the target's members
 */
export const LOCATION_SPLITS = {
  /** The target model's training set: the members. */
  targetTrain: [0, 1000],
  /** The target model's test set: the defender's non-members (for the defense classifier). */
  targetTest: [1000, 2000],
  /** Non-members of the attack evaluation (members are `targetTrain`). */
  evalNonMembers: [2000, 3000],
  /** The attacker's shadow model training set: the shadow members. */
  shadowTrain: [3000, 3500],
  /** The defense-aware attacker's own defense-classifier non-members. */
  shadowDefenseNonMembers: [3500, 4000],
  /** The attacker's shadow non-members. */
  shadowTest: [4000, 4500],
} as const satisfies Record<string, PositionRange>;

/**
 * The roles of design §6: target train/test, evaluation non-members, shadow train/test.
 *
 * @example
 * const name: SplitName = 'shadowTrain';
 * console.log(LOCATION_SPLITS[name]); // [3000, 3500]
 */
export type SplitName = keyof typeof LOCATION_SPLITS;

/**
 * Row indices per role.
 *
 * @example
 * const shuffle = Array.from({ length: 5010 }, (_, i) => (i * 7) % 5010); // e.g. loadLocation().shuffle
 * const s: Splits = locationSplits(shuffle);
 * console.log(s.targetTrain.length, s.shadowTest.length); // 1000 500
 */
export type Splits = Record<SplitName, Int32Array>;

/** The rows at shuffle positions `[start, end)`. */
export function rowsAt(shuffle: ArrayLike<number>, start: number, end: number): Int32Array {
  check(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end,
    () => `rowsAt: invalid position range [${start}, ${end})`);
  check(end <= shuffle.length, () => `rowsAt: range [${start}, ${end}) exceeds the shuffle index (${shuffle.length} positions)`);
  const out = new Int32Array(end - start);
  for (let p = start; p < end; p++) out[p - start] = shuffle[p]!;
  return out;
}

/**
 * The design §6 splits of a dataset, from its shuffle permutation (at least 4,500 positions).
 *
 * @example
 * const shuffle = Array.from({ length: 5010 }, (_, i) => (i * 7) % 5010); // e.g. loadLocation().shuffle
 * const s = locationSplits(shuffle);
 * console.log(s.targetTrain.length); // 1000
 */
export function locationSplits(shuffle: ArrayLike<number>, ranges: Record<SplitName, PositionRange> = LOCATION_SPLITS): Splits {
  const out = {} as Splits;
  for (const name of Object.keys(ranges) as SplitName[]) {
    const [a, b] = ranges[name];
    out[name] = rowsAt(shuffle, a, b);
  }
  return out;
}

/** The dataset size the design §6 positions are for (Location's 5,010 rows). */
export const LOCATION_ROWS = 5010;

/** Fewest rows a role may have after scaling (an attack needs members and non-members to learn from). */
export const MIN_ROLE_ROWS = 10;

/**
 * The design §6 positions scaled to a dataset of `n` rows, in the same proportions as Location's
 * 1000/1000/1000/500/500/500 of 5,010: each boundary `b` becomes `floor(b * n / 5010)`, so `n = 5010`
 * gives exactly `LOCATION_SPLITS`. Throws when a role would get fewer than `MIN_ROLE_ROWS` rows.
 */
export function scaledRanges(n: number): Record<SplitName, PositionRange> {
  check(Number.isInteger(n) && n > 0, () => `scaledRanges: n must be a positive integer, got ${n}`);
  const out = {} as Record<SplitName, PositionRange>;
  for (const name of Object.keys(LOCATION_SPLITS) as SplitName[]) {
    const [a, b] = LOCATION_SPLITS[name];
    const range: PositionRange = [Math.floor((a * n) / LOCATION_ROWS), Math.floor((b * n) / LOCATION_ROWS)];
    if (range[1] - range[0] < MIN_ROLE_ROWS) {
      throw new MemGuardInputError(`a dataset of ${n} rows is too small for the evaluation protocol's six roles: role ${name} would get ` +
        `${range[1] - range[0]} rows (at least ${MIN_ROLE_ROWS} needed, so at least ${Math.ceil((MIN_ROLE_ROWS * LOCATION_ROWS) / 500)} rows)`);
    }
    out[name] = range;
  }
  return out;
}

/** The design §6 splits of any dataset: `scaledRanges` of its size, read through its shuffle permutation. */
export function scaledSplits(shuffle: ArrayLike<number>): Splits {
  return locationSplits(shuffle, scaledRanges(shuffle.length));
}

/**
 * Parses a split file: a JSON object with one array of 0-based data-row indices per role
 * (`targetTrain`, `targetTest`, `evalNonMembers`, `shadowTrain`, `shadowDefenseNonMembers`,
 * `shadowTest`), e.g. `{"targetTrain": [0, 7, ...], ...}`. Every role must be present with at
 * least `MIN_ROLE_ROWS` rows, every index in `[0, n)`, and no row in two roles.
 */
export function parseSplits(text: string, n: number, source = 'split file'): Splits {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MemGuardFormatError(`${source}: not JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MemGuardFormatError(`${source}: expected a JSON object with one array of row indices per role (${Object.keys(LOCATION_SPLITS).join(', ')})`);
  }
  const obj = raw as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !(k in LOCATION_SPLITS));
  if (unknown.length) throw new MemGuardFormatError(`${source}: unknown role ${JSON.stringify(unknown[0])}; roles are ${Object.keys(LOCATION_SPLITS).join(', ')}`);
  const owner = new Map<number, string>();
  const out = {} as Splits;
  for (const name of Object.keys(LOCATION_SPLITS) as SplitName[]) {
    const rows = obj[name];
    if (!Array.isArray(rows)) throw new MemGuardFormatError(`${source}: role ${name} is missing (expected an array of row indices)`);
    if (rows.length < MIN_ROLE_ROWS) throw new MemGuardFormatError(`${source}: role ${name} has ${rows.length} rows, at least ${MIN_ROLE_ROWS} needed`);
    rows.forEach((r, i) => {
      if (!(Number.isInteger(r) && (r as number) >= 0 && (r as number) < n)) {
        throw new MemGuardFormatError(`${source}: ${name}[${i}] = ${JSON.stringify(r)} is not a row index in [0, ${n})`);
      }
      const prev = owner.get(r as number);
      if (prev !== undefined) throw new MemGuardFormatError(`${source}: row ${r} is in both ${prev} and ${name}`);
      owner.set(r as number, name);
    });
    out[name] = Int32Array.from(rows as number[]);
  }
  return out;
}

/**
 * Rows with a membership flag (1 = member), members first: an attack's evaluation or calibration set.
 *
 * @example
 * const m: MembershipRows = membershipRows([0, 1], [7]);
 * console.log(m.rows, m.isMember); // Int32Array [0, 1, 7] Uint8Array [1, 1, 0]
 */
export interface MembershipRows {
  rows: Int32Array;
  isMember: Uint8Array;
}

/**
 * Concatenates member rows and non-member rows, flagging each.
 *
 * @example
 * const { rows, isMember } = membershipRows([4, 5], [9]);
 * console.log(rows, isMember); // Int32Array [4, 5, 9] Uint8Array [1, 1, 0]
 */
export function membershipRows(members: ArrayLike<number>, nonMembers: ArrayLike<number>): MembershipRows {
  const rows = new Int32Array(members.length + nonMembers.length);
  const isMember = new Uint8Array(rows.length);
  for (let i = 0; i < members.length; i++) { rows[i] = members[i]!; isMember[i] = 1; }
  for (let i = 0; i < nonMembers.length; i++) rows[members.length + i] = nonMembers[i]!;
  return { rows, isMember };
}

/** The attack evaluation set: members `targetTrain`, non-members `evalNonMembers`. */
export function evaluationRows(s: Splits): MembershipRows {
  return membershipRows(s.targetTrain, s.evalNonMembers);
}

/** The attacker's shadow set: members `shadowTrain`, non-members `shadowTest`. */
export function shadowRows(s: Splits): MembershipRows {
  return membershipRows(s.shadowTrain, s.shadowTest);
}

/**
 * Gathers `rows` of a row-major `features` matrix (width `features.length / labels.length`) and
 * their labels into new contiguous arrays.
 *
 * @example
 * const features = new Float32Array([1, 2, 3, 4, 5, 6]), labels = new Int32Array([0, 1, 2]);
 * console.log(take(features, labels, [2, 0])); // { features: [5, 6, 1, 2], labels: [2, 0], n: 2, d: 2 }
 */
export function take(features: Float32Array, labels: Int32Array, rows: ArrayLike<number>): { features: Float32Array; labels: Int32Array; n: number; d: number } {
  const n0 = labels.length;
  check(n0 > 0 && features.length % n0 === 0,
    () => `take: features has ${features.length} entries, not a multiple of the ${n0} labels`);
  const d = features.length / n0;
  const out = new Float32Array(rows.length * d);
  const y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    check(Number.isInteger(r) && r >= 0 && r < n0, () => `take: rows[${i}] = ${r} is not a row index in [0, ${n0})`);
    out.set(features.subarray(r * d, r * d + d), i * d);
    y[i] = labels[r]!;
  }
  return { features: out, labels: y, n: rows.length, d };
}

/**
 * Gathers `rows` of a row-major matrix with `width` columns.
 *
 * @example
 * console.log(takeRows(new Float32Array([1, 2, 3, 4, 5, 6]), 2, [2, 0])); // Float32Array [5, 6, 1, 2]
 */
export function takeRows(matrix: Float32Array, width: number, rows: ArrayLike<number>): Float32Array {
  check(Number.isInteger(width) && width > 0 && matrix.length % width === 0,
    () => `takeRows: matrix of ${matrix.length} entries has no integer number of rows of width ${width}`);
  const n0 = matrix.length / width;
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    check(Number.isInteger(r) && r >= 0 && r < n0, () => `takeRows: rows[${i}] = ${r} is not a row index in [0, ${n0})`);
    out.set(matrix.subarray(r * width, r * width + width), i * width);
  }
  return out;
}
