// sfc32 over a 4 x u32 state in memory, the same generator and stream as src/random.ts, so WASM
// draws (dropout masks, DP-SGD noise) are seeded from the library's generator and reproducible.

/** Next 32-bit output; advances the state at `s` (a, b, c, d). */
@inline export function nextUint32(s: usize): u32 {
  const a = load<u32>(s), b = load<u32>(s, 4), c = load<u32>(s, 8), d = load<u32>(s, 12);
  const t = a + b + d;
  store<u32>(s, b ^ (b >>> 9));
  store<u32>(s, c + (c << 3), 4);
  store<u32>(s, rotl<u32>(c, 21) + t, 8);
  store<u32>(s, d + 1, 12);
  return t;
}

/** Uniform in [0, 1), as Random.next(). */
@inline export function nextUniform(s: usize): f64 {
  return <f64>nextUint32(s) / 4294967296.0;
}

// Marsaglia & Tsang's ziggurat (2000) with 128 layers: one 32-bit draw and a table compare for
// about 99% of normals, so noise on a million parameters costs far less than a training step (the
// polar method's log per pair cost as much as the step). The layer comes from the low 7 bits and
// the value from the other 25, so the two are independent (the original shares bits between them).
const LAYERS = 128;
const SCALE: f64 = 16777216.0; // 2^24: the value's range
const R: f64 = 3.442619855899; // where the tail starts
// Tables in static data (the module never allocates: the heap above __heap_base belongs to JS).
const KN: usize = memory.data(LAYERS * 8, 16);
const WN: usize = memory.data(LAYERS * 8, 16);
const FN: usize = memory.data(LAYERS * 8, 16);
let tablesReady = false;

@inline function tab(t: usize, i: i32): f64 { return load<f64>(t + (<usize>i << 3)); }
@inline function setTab(t: usize, i: i32, v: f64): void { store<f64>(t + (<usize>i << 3), v); }

function buildTables(): void {
  const v: f64 = 9.91256303526217e-3;
  let dn = R, tn = R;
  const q = v / Math.exp(-0.5 * dn * dn);
  setTab(KN, 0, (dn / q) * SCALE); setTab(KN, 1, 0);
  setTab(WN, 0, q / SCALE); setTab(WN, LAYERS - 1, dn / SCALE);
  setTab(FN, 0, 1); setTab(FN, LAYERS - 1, Math.exp(-0.5 * dn * dn));
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    setTab(KN, i + 1, (dn / tn) * SCALE);
    tn = dn;
    setTab(FN, i, Math.exp(-0.5 * dn * dn));
    setTab(WN, i, dn / SCALE);
  }
  tablesReady = true;
}

/** One standard normal from the sfc32 state at `s`. */
export function nextGaussian(s: usize): f64 {
  if (!tablesReady) buildTables();
  return slowGaussian(s, <i32>nextUint32(s));
}

/** The ziggurat from a first draw `first` already taken from `s` (more draws as rejections need). */
function slowGaussian(s: usize, first: i32): f64 {
  let j = first;
  while (true) {
    const i = j & (LAYERS - 1);
    const h = <f64>(j >> 7);
    if (Math.abs(h) < tab(KN, i)) return h * tab(WN, i);
    if (i == 0) {
      // The tail beyond R (Marsaglia 1964).
      let x: f64, y: f64;
      do {
        x = -Math.log(1 - nextUniform(s)) / R;
        y = -Math.log(1 - nextUniform(s));
      } while (y + y < x * x);
      return h > 0 ? R + x : -R - x;
    }
    const x = h * tab(WN, i);
    if (tab(FN, i) + nextUniform(s) * (tab(FN, i - 1) - tab(FN, i)) < Math.exp(-0.5 * x * x)) return x;
    j = <i32>nextUint32(s);
  }
}

/**
 * Adds std * N(0, 1) to each of n floats of x, then multiplies by scale (DP-SGD: noise on the
 * clipped sum, then division by the expected batch). The generator state lives in locals on the
 * ziggurat's fast path (one draw, one compare) and goes back to memory only for the rare slow path.
 */
export function addGaussianNoise(n: i32, x: usize, std: f64, scale: f32, rng: usize): void {
  if (!tablesReady) buildTables();
  let a = load<u32>(rng), b = load<u32>(rng, 4), c = load<u32>(rng, 8), d = load<u32>(rng, 12);
  for (let i = 0; i < n; i++) {
    const t = a + b + d;
    a = b ^ (b >>> 9); b = c + (c << 3); c = rotl<u32>(c, 21) + t; d = d + 1;
    const j = <i32>t;
    const layer = j & (LAYERS - 1);
    const h = <f64>(j >> 7);
    let g: f64;
    if (Math.abs(h) < tab(KN, layer)) g = h * tab(WN, layer);
    else {
      // The draw is taken: hand it and the advanced state to the slow path.
      store<u32>(rng, a); store<u32>(rng, b, 4); store<u32>(rng, c, 8); store<u32>(rng, d, 12);
      g = slowGaussian(rng, j);
      a = load<u32>(rng); b = load<u32>(rng, 4); c = load<u32>(rng, 8); d = load<u32>(rng, 12);
    }
    const o = <usize>i << 2;
    store<f32>(x + o, (load<f32>(x + o) + <f32>(std * g)) * scale);
  }
  store<u32>(rng, a); store<u32>(rng, b, 4); store<u32>(rng, c, 8); store<u32>(rng, d, 12);
}
