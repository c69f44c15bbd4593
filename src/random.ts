// Seeded pseudo-random numbers for reproducible experiments (weights, shuffles, coins in `seed`
// mode). sfc32: 128-bit state, passes PractRand to 2^40+, fast with 32-bit integer ops.
// Not for secrets: the keyed coin (src/memguard/coin.ts) uses a keyed hash instead.

/**
 * Seeded pseudo-random numbers (sfc32) for reproducible experiments: weights, shuffles, coins in
 * `seed` mode. Integer arithmetic only, so a seed gives the same stream in every JS engine. Not for
 * secrets (the keyed coin uses SipHash).
 *
 * @example
 * const rng = new Random(42);
 * rng.next();                    // uniform in [0, 1), the same sequence for the same seed everywhere
 * rng.int(10);                   // integer in [0, 10)
 * rng.shuffle([1, 2, 3, 4]);     // seeded Fisher-Yates, in place
 */
export class Random {
  private a: number; private b: number; private c: number; private d: number;

  constructor(seed: number) {
    // splitmix32 expands one seed into the four state words so nearby seeds give unrelated streams.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher-Yates shuffle in place; returns `arr`. */
  shuffle<T extends { [i: number]: number; length: number }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i]!; arr[i] = arr[j]!; arr[j] = t;
    }
    return arr;
  }

  /** A fresh generator whose stream is derived from this one (for independent sub-tasks). */
  fork(): Random {
    return new Random(this.uint32());
  }
}
