// Plain-JS twin of assembly/nn/random.ts: sfc32 over a Uint32Array(4) state (the stream of
// src/random.ts), and the ziggurat Gaussian noise DP-SGD adds.

export function nextUint32(s: Uint32Array): number {
  const a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!;
  const t = (((a + b) >>> 0) + d) >>> 0;
  s[0] = b ^ (b >>> 9);
  s[1] = (c + (c << 3)) >>> 0;
  s[2] = (((c << 21) | (c >>> 11)) + t) >>> 0;
  s[3] = (d + 1) >>> 0;
  return t;
}

export function nextUniform(s: Uint32Array): number {
  return nextUint32(s) / 4294967296;
}

const LAYERS = 128, SCALE = 16777216, R = 3.442619855899;
const kn = new Float64Array(LAYERS), wn = new Float64Array(LAYERS), fn = new Float64Array(LAYERS);
{
  const v = 9.91256303526217e-3;
  let dn = R, tn = R;
  const q = v / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * SCALE; kn[1] = 0;
  wn[0] = q / SCALE; wn[LAYERS - 1] = dn / SCALE;
  fn[0] = 1; fn[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * SCALE;
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / SCALE;
  }
}

export function nextGaussian(s: Uint32Array): number {
  for (;;) {
    const j = nextUint32(s) | 0;
    const i = j & (LAYERS - 1);
    const h = j >> 7;
    if (Math.abs(h) < kn[i]!) return h * wn[i]!;
    if (i === 0) {
      let x: number, y: number;
      do {
        x = -Math.log(1 - nextUniform(s)) / R;
        y = -Math.log(1 - nextUniform(s));
      } while (y + y < x * x);
      return h > 0 ? R + x : -R - x;
    }
    const x = h * wn[i]!;
    if (fn[i]! + nextUniform(s) * (fn[i - 1]! - fn[i]!) < Math.exp(-0.5 * x * x)) return x;
  }
}

export function addGaussianNoise(n: number, x: Float32Array, std: number, scale: number, rng: Uint32Array): void {
  for (let i = 0; i < n; i++) x[i] = (x[i]! + Math.fround(std * nextGaussian(rng))) * Math.fround(scale);
}
