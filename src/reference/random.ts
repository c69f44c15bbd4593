// Plain-JS twin of assembly/nn/random.ts: sfc32 over a Uint32Array(4) state (the stream of
// src/random.ts), and the polar-method Gaussian noise DP-SGD adds.

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

export function addGaussianNoise(n: number, x: Float32Array, std: number, scale: number, rng: Uint32Array): void {
  let i = 0;
  while (i < n) {
    const u = 2 * nextUniform(rng) - 1, v = 2 * nextUniform(rng) - 1;
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue;
    const m = std * Math.sqrt(-2 * Math.log(s) / s);
    x[i] = (x[i]! + Math.fround(u * m)) * scale;
    if (++i === n) break;
    x[i] = (x[i]! + Math.fround(v * m)) * scale;
    i++;
  }
}
