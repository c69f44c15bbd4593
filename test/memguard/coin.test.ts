// Phase II's coins: SipHash-2-4 against the reference test vectors, the keyed coin's determinism and
// independence across keys, the seeded coin's reproducibility, and expectation mode.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import { keyedUniform, keyProblem, queryBytes, ReleaseCoin, siphash24, siphash24Words } from '../../src/memguard/coin.js';
import { randomArray, throwsTyped } from '../helpers.js';
import { Random } from '../../src/random.js';

// SipHash-2-4 with key 00 01 .. 0f on messages 00 01 .. (len - 1), len = 0..63: the output bytes of the
// reference implementation (vectors.h of the SipHash repository; reproduced here with OpenSSL 3's
// SIPHASH MAC). Byte i of each string is byte i of the little-endian 64-bit output.
const VECTORS = [
  '310e0edd47db6f72', 'fd67dc93c539f874', '5a4fa9d909806c0d', '2d7efbd796666785',
  'b7877127e09427cf', '8da699cd64557618', 'cee3fe586e46c9cb', '37d1018bf50002ab',
  '6224939a79f5f593', 'b0e4a90bdf82009e', 'f3b9dd94c5bb5d7a', 'a7ad6b22462fb3f4',
  'fbe50e86bc8f1e75', '903d84c02756ea14', 'eef27a8e90ca23f7', 'e545be4961ca29a1',
  'db9bc2577fcc2a3f', '9447be2cf5e99a69', '9cd38d96f0b3c14b', 'bd6179a71dc96dbb',
  '98eea21af25cd6be', 'c7673b2eb0cbf2d0', '883ea3e395675393', 'c8ce5ccd8c030ca8',
  '94af49f6c650adb8', 'eab8858ade92e1bc', 'f315bb5bb835d817', 'adcf6b0763612e2f',
  'a5c91da7acaa4dde', '716595876650a2a6', '28ef495c53a387ad', '42c341d8fa92d832',
  'ce7cf2722f512771', 'e37859f94623f3a7', '381205bb1ab0e012', 'ae97a10fd434e015',
  'b4a31508beff4d31', '81396229f0907902', '4d0cf49ee5d4dcca', '5c73336a76d8bf9a',
  'd0a704536ba93e0e', '925958fcd6420cad', 'a915c29bc8067318', '952b79f3bc0aa6d4',
  'f21df2e41d4535f9', '87577519048f53a9', '10a56cf5dfcd9adb', 'eb75095ccd986cd0',
  '51a9cb9ecba312e6', '96afadfc2ce666c7', '72fe52975a4364ee', '5a1645b276d592a1',
  'b274cb8ebf87870a', '6f9bb4203de7b381', 'eaecb2a30b22a87f', '9924a43cc1315724',
  'bd838d3aafbf8db7', '0b1a2a3265d51aea', '135079a3231ce660', '932b2846e4d70666',
  'e1915f5cb1eca46c', 'f325965ca16d629f', '575ff28e60381be5', '724506eb4c328a95',
];

const iota = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
const KEY = iota(16);

function leHex(x: bigint): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += ((x >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return out;
}

function key(seed: number): Uint8Array {
  return Uint8Array.from(randomArray(16, seed, 0, 256), Math.floor);
}

const t = suite('memguard coin');

t('SipHash-2-4 reproduces the 64 reference vectors', () => {
  VECTORS.forEach((want, len) => assert.is(leHex(siphash24(KEY, iota(len))), want, `length ${len}`));
  assert.is(siphash24(KEY, iota(15)), 0xa129ca6149be45e5n, 'the paper\'s appendix vector');
  const words = siphash24Words(KEY, iota(15));
  assert.equal(Array.from(words), [0xa129ca61, 0x49be45e5]);
});

t('keyed coin: same query, same decision; a key is required and must be >= 16 bytes', () => {
  throwsTyped(() => new ReleaseCoin({ mode: 'key' } as never), MemGuardInputError, /needs a secret key/);
  throwsTyped(() => new ReleaseCoin({ mode: 'key', key: new Uint8Array(8) }), MemGuardInputError, /has 8 bytes; at least 16 bytes/);
  // Weak keys: one byte value repeated, or blocks that cancel under the fold to 16 bytes. The message
  // never shows the bytes (0xa7 = 167 would appear as "a7", "167" or "pw==" in some form).
  const weak: Array<[Uint8Array, RegExp]> = [
    [new Uint8Array(16), /all have the same value/],
    [new Uint8Array(40).fill(0xa7), /all have the same value/],
    [Uint8Array.from({ length: 32 }, (_, i) => (i % 16) * 13 + 1), /blocks cancel out/],
  ];
  for (const [bad, why] of weak) {
    throwsTyped(() => new ReleaseCoin({ mode: 'key', key: bad }), MemGuardInputError, why);
    try { new ReleaseCoin({ mode: 'key', key: bad }); } catch (e) {
      const text = (e as Error).message;
      assert.not.match(text, /a7|167|0x|pw==|\b1, 14\b/i, text);
    }
  }
  assert.is(keyProblem(Uint8Array.from({ length: 17 }, (_, i) => (i === 16 ? 1 : 0))), undefined, 'one differing byte is enough');
  throwsTyped(() => new ReleaseCoin({ mode: 'key', key: 'secret' as never }), MemGuardInputError, /Uint8Array/);
  const a = new ReleaseCoin({ mode: 'key', key: key(1) });
  const b = new ReleaseCoin({ mode: 'key', key: key(1) });
  const inputs = randomArray(200 * 8, 3);
  const p = randomArray(200, 4, 0, 1);
  const wa = a.weights(p, { inputs, dim: 8 });
  assert.equal(Array.from(a.weights(p, { inputs, dim: 8 })), Array.from(wa), 'asking again');
  assert.equal(Array.from(b.weights(p, { inputs, dim: 8 })), Array.from(wa), 'another coin with the same key');
  for (let i = 0; i < 200; i++) assert.is(a.weight(p[i]!, { input: inputs.subarray(8 * i, 8 * i + 8) }), wa[i]);
  assert.ok(wa.every((w) => w === 0 || w === 1));
  throwsTyped(() => a.weight(0.5), MemGuardInputError, /needs the query/);
  throwsTyped(() => a.weights([0.5]), MemGuardInputError, /needs the queries/);
  throwsTyped(() => a.weights([0.5, 0.5], { ids: ['x'] }), MemGuardInputError, /1 ids for 2 rows/);
  throwsTyped(() => a.weights([0.5], { inputs: [1, 2, 3], dim: 2 }), MemGuardInputError, /expected 1 rows x 2/);
});

t('keyed coin: release frequency p, and two keys agree at rate p^2 + (1-p)^2 over 10,000 queries', () => {
  const n = 10_000;
  const ids = Array.from({ length: n }, (_, i) => `query-${i}`);
  for (const pv of [0.1, 0.3, 0.5, 0.8]) {
    const p = new Float64Array(n).fill(pv);
    const w1 = new ReleaseCoin({ mode: 'key', key: key(11) }).weights(p, { ids });
    const w2 = new ReleaseCoin({ mode: 'key', key: key(12) }).weights(p, { ids });
    let r1 = 0, agree = 0;
    for (let i = 0; i < n; i++) { r1 += w1[i]!; if (w1[i] === w2[i]) agree++; }
    // 4 standard deviations: sqrt(0.25 / 1e4) = 0.005.
    assert.ok(Math.abs(r1 / n - pv) < 0.02, `p=${pv}: released ${r1 / n}`);
    const want = pv * pv + (1 - pv) * (1 - pv);
    assert.ok(Math.abs(agree / n - want) < 0.02, `p=${pv}: agreement ${agree / n}, expected ${want}`);
  }
});

t('keyed coin: uniforms are uniform, p = 0 never and p = 1 always releases', () => {
  const n = 4000;
  let sum = 0, below = 0;
  for (let i = 0; i < n; i++) {
    const u = keyedUniform(key(5), { id: `q${i}` });
    assert.ok(u >= 0 && u < 1);
    sum += u;
    if (u < 0.25) below++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.02);
  assert.ok(Math.abs(below / n - 0.25) < 0.03);
  const coin = new ReleaseCoin({ mode: 'key', key: key(5) });
  for (let i = 0; i < 200; i++) {
    assert.is(coin.weight(0, { id: `q${i}` }), 0);
    assert.is(coin.weight(1, { id: `q${i}` }), 1);
  }
});

t('keyed coin: query encoding (ids, inputs, -0, domain separation, long keys, key copies)', () => {
  const k = key(9);
  assert.is(keyedUniform(k, { id: 'abc' }), keyedUniform(k, { id: new TextEncoder().encode('abc') }));
  assert.is.not(keyedUniform(k, { id: 'abc' }), keyedUniform(k, { id: 'abd' }));
  assert.is(keyedUniform(k, { input: [0, 1.5] }), keyedUniform(k, { input: [-0, 1.5] }));
  assert.is(keyedUniform(k, { input: [0.1, 0.2] }), keyedUniform(k, { input: new Float32Array([0.1, 0.2]) }), 'float32 content');
  assert.is.not(keyedUniform(k, { input: [0.1, 0.2] }), keyedUniform(k, { input: [0.1, 0.2000001] }));
  // The input [x] and an id with the same 4 bytes are different queries.
  const asInput = queryBytes({ input: [1] });
  assert.is.not(keyedUniform(k, { input: [1] }), keyedUniform(k, { id: asInput.subarray(1) }));
  // Keys longer than 16 bytes are folded, all bytes matter; a 16-byte key is used as is.
  const long = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255);
  const long2 = long.slice(); long2[31] = 0;
  assert.is.not(keyedUniform(long, { id: 'x' }), keyedUniform(long2, { id: 'x' }));
  // The coin keeps a private copy of its key.
  const mine = key(21);
  const coin = new ReleaseCoin({ mode: 'key', key: mine });
  const before = Array.from({ length: 50 }, (_, i) => coin.weight(0.5, { id: `${i}` }));
  mine.fill(0);
  assert.equal(Array.from({ length: 50 }, (_, i) => coin.weight(0.5, { id: `${i}` })), before);
});

t('seed coin: reproducible per seed, one draw per row whatever p', () => {
  const p = randomArray(500, 8, 0, 1);
  const a = new ReleaseCoin({ mode: 'seed', seed: 42 }).weights(p);
  assert.equal(Array.from(new ReleaseCoin({ mode: 'seed', seed: 42 }).weights(p)), Array.from(a));
  assert.not.equal(Array.from(new ReleaseCoin({ mode: 'seed', seed: 43 }).weights(p)), Array.from(a));
  const c = new ReleaseCoin({ mode: 'seed', seed: 42 });
  const one = Array.from(p, (pi) => c.weight(pi));
  assert.equal(one, Array.from(a), 'weight() and weights() draw the same stream');
  const zeros = new ReleaseCoin({ mode: 'seed', seed: 42 });
  zeros.weights(new Float64Array(10));
  const after = zeros.weights(p.subarray(10));
  assert.equal(Array.from(after), Array.from(a.subarray(10)), 'rows with p = 0 still consume their draw');
  throwsTyped(() => new ReleaseCoin({ mode: 'seed', seed: 1.5 }), MemGuardInputError, /integer seed/);
});

t('expectation mode returns p itself; p and mode are validated', () => {
  const coin = new ReleaseCoin({ mode: 'expectation' });
  assert.equal(Array.from(coin.weights([0, 0.25, 1])), [0, 0.25, 1]);
  assert.is(coin.weight(0.3), 0.3);
  throwsTyped(() => coin.weights([0.5, 1.5]), MemGuardInputError, /row 1: .*\[0, 1\].*1\.5/);
  throwsTyped(() => coin.weight(NaN), MemGuardInputError, /\[0, 1\]/);
  throwsTyped(() => new ReleaseCoin({ mode: 'dice' } as never), MemGuardInputError, /mode must be/);
});

t.run();

const coarse = suite('keyed coin: coarse content key (near-duplicate queries)');

coarse('near-identical vectors share a coin; another label or a distant top score does not; exact keys differ', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i * 29 + 7);
  const c = new ReleaseCoin({ mode: 'key', key, content: 'coarse', resolution: 0.05 });
  const exact = new ReleaseCoin({ mode: 'key', key, content: 'exact' });
  const base = [0.6, 0.3, 0.1];
  // Nudges far smaller than the grid step: the same cell unless a grid line lies in between; with a
  // secret offset, a line falls within 1e-4 of 0.6 with probability 2e-4 / 0.05.
  const near = [[0.60005, 0.29995, 0.1], [0.59995, 0.3, 0.10005], [0.6, 0.2, 0.2]];
  const u = c.uniforms({ inputs: [base, ...near].flat(), dim: 3 });
  for (let i = 1; i <= 3; i++) assert.is(u[i], u[0], `near copy ${i} shares the coin`);
  const ue = exact.uniforms({ inputs: [base, ...near].flat(), dim: 3 });
  assert.ok(new Set(ue).size === 4, 'exact content: four different coins');
  const other = c.uniforms({ inputs: [0.3, 0.6, 0.1, 0.9, 0.05, 0.05], dim: 3 });
  assert.is.not(other[0], u[0], 'another label');
  assert.is.not(other[1], u[0], 'another cell');
  // The single-query form agrees with the batch form.
  assert.is(c.weight(0.5, { input: base }), u[0]! < 0.5 ? 1 : 0);
  // About 1 - delta/resolution of the vectors moved by delta stay in their cell (the grid offset is keyed).
  const rng = new Random(3);
  let same = 0;
  const n = 2000, delta = 0.005;
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const top = 0.4 + 0.5 * rng.next();
    rows.push(top, 1 - top, 0, top + delta, 1 - top - delta, 0);
  }
  const v = c.uniforms({ inputs: rows, dim: 3 });
  for (let i = 0; i < n; i++) same += Number(v[2 * i] === v[2 * i + 1]);
  assert.ok(Math.abs(same / n - (1 - delta / 0.05)) < 0.03, `${same / n} shared`);
  throwsTyped(() => new ReleaseCoin({ mode: 'key', key, content: 'coarse', resolution: 0 }), MemGuardInputError, /resolution must be in \(0, 1\]/);
  throwsTyped(() => new ReleaseCoin({ mode: 'key', key, content: 'fuzzy' as never }), MemGuardInputError, /content must be 'exact' or 'coarse'/);
  throwsTyped(() => new ReleaseCoin({ mode: 'key', key, entries: 9 }), MemGuardInputError, /entries must be an integer from 1 to 8/);
});

coarse.run();
