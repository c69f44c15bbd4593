// The RDP accountant against design §10's reference values, against a direct numerical integration
// of the sampled Gaussian's Rényi divergence (integer and fractional orders), and its inverse.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardInputError } from '../../src/errors.js';
import { dpEpsilon, noiseMultiplierFor, rdpSampledGaussian, RDP_ORDERS } from '../../src/privacy/accountant.js';
import { throwsTyped } from '../helpers.js';

const t = suite('RDP accountant');

/**
 * RDP of one sampled-Gaussian step by Simpson quadrature of its definition (Mironov et al. 2019):
 * A = E_{z ~ N(0, s^2)} [((1 - q) + q exp((2z - 1) / (2 s^2)))^a], RDP = log A / (a - 1).
 */
function rdpByQuadrature(q: number, s: number, a: number): number {
  const lo = -40 * s, hi = a + 40 * s + 1, n = 40000, h = (hi - lo) / n;
  // In logs, shifted by the largest term, so high orders neither overflow nor underflow.
  const logF = (z: number) => {
    const u = Math.log(q) + (2 * z - 1) / (2 * s * s), v = Math.log(1 - q), m = Math.max(u, v);
    return -(z * z) / (2 * s * s) - Math.log(s * Math.sqrt(2 * Math.PI)) + a * (m + Math.log(Math.exp(u - m) + Math.exp(v - m)));
  };
  const logs = Array.from({ length: n + 1 }, (_, i) => logF(lo + i * h));
  const shift = logs.reduce((m, l) => Math.max(m, l), -Infinity);
  let sum = 0;
  logs.forEach((l, i) => { sum += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(l - shift); });
  return (shift + Math.log((sum * h) / 3)) / (a - 1);
}

t('design §10: the five reference epsilons at delta 1e-5, within 0.5 %', () => {
  for (const [q, sigma, steps, expected] of [
    [1 / 11, 2.91, 550, 3.531], [0.064, 1.0, 3125, 31.88], [0.064, 2.0, 625, 4.111], [0.064, 3.0, 3125, 6.055], [0.01, 1.1, 10000, 5.632],
  ] as const) {
    const { epsilon } = dpEpsilon({ sampleRate: q, noiseMultiplier: sigma, steps, delta: 1e-5 });
    assert.ok(Math.abs(epsilon / expected - 1) < 0.005, `q ${q} sigma ${sigma} T ${steps}: ${epsilon} vs ${expected}`);
  }
});

t('design §10: one step at order 2, q 0.064, sigma 1 is RDP 0.0070134 (within 1e-6)', () => {
  assert.ok(Math.abs(rdpSampledGaussian(0.064, 1, 2) - 0.0070134) < 1e-6, `${rdpSampledGaussian(0.064, 1, 2)}`);
});

t('one-step RDP matches numerical integration at integer and fractional orders (within 1e-6)', () => {
  for (const [q, sigma] of [[0.064, 1], [0.01, 1.1], [1 / 11, 2.91], [0.3, 0.8]] as const) {
    for (const a of [1.1, 1.5, 2, 2.5, 3, 4.7, 6.5, 10.9, 12, 20]) {
      const got = rdpSampledGaussian(q, sigma, a), expected = rdpByQuadrature(q, sigma, a);
      assert.ok(Math.abs(got - expected) < 1e-6 * Math.max(1, expected), `q ${q} sigma ${sigma} order ${a}: ${got} vs ${expected}`);
    }
  }
  // The edges: no sampling, no noise, full batch (the plain Gaussian mechanism a / (2 sigma^2)).
  assert.is(rdpSampledGaussian(0, 1, 2), 0);
  assert.is(rdpSampledGaussian(0.5, 0, 2), Infinity);
  assert.ok(Math.abs(rdpSampledGaussian(1, 2, 3) - 3 / 8) < 1e-15);
});

t('Opacus\'s orders, the best one reported; more noise or fewer steps spend less', () => {
  assert.is(RDP_ORDERS.length, 151);
  assert.is(RDP_ORDERS[0], 1.1);
  assert.is(RDP_ORDERS[98], 10.9);
  assert.is(RDP_ORDERS[99], 12);
  assert.is(RDP_ORDERS[150], 63);
  const run = { sampleRate: 0.064, noiseMultiplier: 2, steps: 625, delta: 1e-5 };
  const { epsilon, order } = dpEpsilon(run);
  assert.ok(RDP_ORDERS.includes(order));
  assert.ok(dpEpsilon({ ...run, noiseMultiplier: 2.5 }).epsilon < epsilon);
  assert.ok(dpEpsilon({ ...run, steps: 300 }).epsilon < epsilon);
  assert.ok(dpEpsilon({ ...run, orders: [order] }).epsilon === epsilon);
});

t('noiseMultiplierFor: the sigma returned spends the target epsilon within 0.5 %, never more', () => {
  for (const target of [1, 2, 4, 8, 16, 50]) {
    const run = { sampleRate: 0.064, steps: 1563, delta: 1e-5 };
    const sigma = noiseMultiplierFor({ targetEpsilon: target, ...run });
    const { epsilon } = dpEpsilon({ ...run, noiseMultiplier: sigma });
    assert.ok(epsilon <= target && epsilon >= target * 0.995, `target ${target}: sigma ${sigma} gives ${epsilon}`);
  }
});

t('bad arguments are MemGuardInputErrors naming the argument', () => {
  throwsTyped(() => rdpSampledGaussian(1.5, 1, 2), MemGuardInputError, /sampling rate q must be in \[0, 1\], got 1.5/);
  throwsTyped(() => rdpSampledGaussian(0.1, 1, 1), MemGuardInputError, /order must be > 1, got 1/);
  throwsTyped(() => dpEpsilon({ sampleRate: 0.1, noiseMultiplier: 1, steps: 10, delta: 0 }), MemGuardInputError, /delta must be in \(0, 1\)/);
  throwsTyped(() => dpEpsilon({ sampleRate: 0.1, noiseMultiplier: 1, steps: 1.5, delta: 1e-5 }), MemGuardInputError, /steps must be a non-negative integer/);
  throwsTyped(() => noiseMultiplierFor({ targetEpsilon: 0, sampleRate: 0.1, steps: 10, delta: 1e-5 }), MemGuardInputError, /targetEpsilon must be positive/);
});

t.run();
