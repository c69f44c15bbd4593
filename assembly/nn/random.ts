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

/**
 * Adds std * N(0, 1) to each of n floats of x, then multiplies by scale (DP-SGD: noise on the
 * clipped sum, then division by the expected batch). Marsaglia's polar method, in float64.
 */
export function addGaussianNoise(n: i32, x: usize, std: f64, scale: f32, rng: usize): void {
  let i = 0;
  while (i < n) {
    const u = 2 * nextUniform(rng) - 1, v = 2 * nextUniform(rng) - 1;
    const s = u * u + v * v;
    if (s >= 1 || s == 0) continue;
    const m = std * Math.sqrt(-2 * Math.log(s) / s);
    let o = <usize>i << 2;
    store<f32>(x + o, (load<f32>(x + o) + <f32>(u * m)) * scale);
    if (++i == n) break;
    o = <usize>i << 2;
    store<f32>(x + o, (load<f32>(x + o) + <f32>(v * m)) * scale);
    i++;
  }
}
