// The RDP accountant for the sampled Gaussian mechanism (DP-SGD), design §10: Mironov, Talwar and
// Zhang 2019 ("Rényi Differential Privacy of the Sampled Gaussian Mechanism") for the per-step RDP
// at integer and fractional orders, composed over steps and converted to (epsilon, delta) with
// Balle et al. 2020's bound. Pure functions, apart from training, as Opacus keeps it.
import { check } from '../errors.js';

/**
 * The RDP orders searched by default: Opacus's list, 1.1, 1.2, ..., 10.9 and 12, 13, ..., 63.
 *
 * @example
 * console.log(RDP_ORDERS.length, RDP_ORDERS[0], RDP_ORDERS.at(-1)); // 151 1.1 63
 */
export const RDP_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
];

function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b), lo = Math.min(a, b);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log(exp(a) - exp(b)) for a >= b. */
function logSub(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  return a + Math.log1p(-Math.exp(b - a));
}

/** log erfc(x), accurate far into both tails (series for small |x|, continued fraction beyond). */
function logErfc(x: number): number {
  if (x < 0) return Math.log(2 - Math.exp(logErfc(-x)));
  if (x < 2) {
    // erf by its Maclaurin series; erfc(2) = 0.0047, so 1 - erf keeps ~13 digits here.
    let term = x, sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return Math.log(1 - (2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = exp(-x^2) / sqrt(pi) * 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), by Lentz.
  const tiny = 1e-300;
  let f = x, c = x, d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d; d = Math.abs(d) < tiny ? tiny : d; d = 1 / d;
    c = x + a / c; c = Math.abs(c) < tiny ? tiny : c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -x * x - 0.5 * Math.log(Math.PI) - Math.log(f);
}

function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity, logBinom = 0;
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log(alpha - i + 1) - Math.log(i);
    const coef = logBinom + i * Math.log(q) + (alpha - i) * Math.log1p(-q);
    logA = logAdd(logA, coef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

function logAFractional(q: number, sigma: number, alpha: number): number {
  // Mironov et al. 2019, Section 3.3: two series, split at z0, summed in log space with signs.
  let logA0 = -Infinity, logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  // log |binom(alpha, i)| and its sign, updated term by term: binom(a, i + 1) = binom(a, i) (a - i) / (i + 1).
  let logCoef = 0, sign = 1;
  for (let i = 0; ; i++) {
    if (i > 0) {
      const f = alpha - (i - 1);
      if (f < 0) sign = -sign;
      logCoef += Math.log(Math.abs(f)) - Math.log(i);
    }
    const j = alpha - i;
    const logT0 = logCoef + i * Math.log(q) + j * Math.log1p(-q);
    const logT1 = logCoef + j * Math.log(q) + i * Math.log1p(-q);
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (sign > 0) { logA0 = logAdd(logA0, logS0); logA1 = logAdd(logA1, logS1); }
    else if (sign < 0) { logA0 = logSub(logA0, logS0); logA1 = logSub(logA1, logS1); }
    if (Math.max(logS0, logS1) < -30 || i > 10000) break;
  }
  return logAdd(logA0, logA1);
}

/**
 * The Rényi DP at order `order` (> 1) of ONE step of the sampled Gaussian mechanism: each row
 * sampled with probability q, Gaussian noise of standard deviation sigma times the sensitivity.
 * T steps compose to T times this.
 *
 * @example
 * console.log(rdpSampledGaussian(0.064, 1, 2)); // 0.0070134...
 */
export function rdpSampledGaussian(q: number, sigma: number, order: number): number {
  check(typeof q === 'number' && q >= 0 && q <= 1, () => `rdpSampledGaussian: sampling rate q must be in [0, 1], got ${q}`);
  check(typeof sigma === 'number' && sigma >= 0 && !Number.isNaN(sigma), () => `rdpSampledGaussian: noise multiplier sigma must be >= 0, got ${sigma}`);
  check(typeof order === 'number' && order > 1, () => `rdpSampledGaussian: order must be > 1, got ${order}`);
  if (q === 0) return 0;
  if (sigma === 0 || order === Infinity) return Infinity;
  if (q === 1) return order / (2 * sigma * sigma);
  const logA = Number.isInteger(order) ? logAInteger(q, sigma, order) : logAFractional(q, sigma, order);
  return logA / (order - 1);
}

/**
 * What `dpEpsilon` needs: the DP-SGD run (sampling rate, noise multiplier, steps) and delta; the
 * orders to search default to `RDP_ORDERS`.
 *
 * @example
 * const run: DpAccounting = { sampleRate: 0.064, noiseMultiplier: 1, steps: 3125, delta: 1e-5 };
 * console.log(dpEpsilon(run).epsilon); // about 31.88
 */
export interface DpAccounting { sampleRate: number; noiseMultiplier: number; steps: number; delta: number; orders?: readonly number[] }

/**
 * The (epsilon, delta)-DP guarantee of `steps` DP-SGD steps, by the RDP accountant: epsilon =
 * min over orders a of T RDP(a) - (log delta + log a) / (a - 1) + log((a - 1) / a) (Balle et al.
 * 2020). Returns epsilon and the order that attains it.
 *
 * @example
 * const { epsilon, order } = dpEpsilon({ sampleRate: 1 / 11, noiseMultiplier: 2.91, steps: 550, delta: 1e-5 });
 * console.log(epsilon.toFixed(3), order); // 3.531 and the best order
 */
export function dpEpsilon(run: DpAccounting): { epsilon: number; order: number } {
  const { sampleRate: q, noiseMultiplier: sigma, steps, delta } = run;
  const orders = run.orders ?? RDP_ORDERS;
  check(Number.isInteger(steps) && steps >= 0, () => `dpEpsilon: steps must be a non-negative integer, got ${steps}`);
  check(typeof delta === 'number' && delta > 0 && delta < 1, () => `dpEpsilon: delta must be in (0, 1), got ${delta}`);
  check(Array.isArray(orders) && orders.length > 0, () => 'dpEpsilon: orders must be a non-empty list of numbers > 1');
  let best = { epsilon: Infinity, order: orders[0]! };
  for (const a of orders) {
    const rdp = steps * rdpSampledGaussian(q, sigma, a);
    const epsilon = rdp - (Math.log(delta) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a);
    if (epsilon < best.epsilon) best = { epsilon, order: a };
  }
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/**
 * The noise multiplier for which `steps` DP-SGD steps at `sampleRate` spend `targetEpsilon` at
 * `delta`, found by bisection on `dpEpsilon` (which falls as sigma grows). The sigma returned is on
 * the safe side: its epsilon is at most the target and within 0.1 % of it.
 *
 * @example
 * const sigma = noiseMultiplierFor({ targetEpsilon: 4, sampleRate: 0.064, steps: 625, delta: 1e-5 });
 * console.log(sigma); // about 2
 */
export function noiseMultiplierFor(target: { targetEpsilon: number; sampleRate: number; steps: number; delta: number }): number {
  const { targetEpsilon, sampleRate, steps, delta } = target;
  check(typeof targetEpsilon === 'number' && targetEpsilon > 0 && Number.isFinite(targetEpsilon),
    () => `noiseMultiplierFor: targetEpsilon must be positive and finite, got ${targetEpsilon}`);
  check(typeof sampleRate === 'number' && sampleRate > 0 && sampleRate <= 1, () => `noiseMultiplierFor: sampleRate must be in (0, 1], got ${sampleRate}`);
  const eps = (sigma: number) => dpEpsilon({ sampleRate, noiseMultiplier: sigma, steps, delta }).epsilon;
  let lo = 0, hi = 1;
  while (eps(hi) > targetEpsilon) {
    lo = hi;
    hi *= 2;
    check(hi < 1e6, () => `noiseMultiplierFor: no noise multiplier below 1e6 reaches epsilon ${targetEpsilon}`);
  }
  for (let i = 0; i < 100 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (eps(mid) > targetEpsilon) lo = mid;
    else hi = mid;
    if (targetEpsilon - eps(hi) <= 1e-4 * targetEpsilon) break;
  }
  return hi;
}
