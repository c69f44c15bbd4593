// design §5 for every post-hoc rival, on every row: the label (first argmax) kept, a valid
// probability vector released, the reported distortion the release's true L1 distance, and for
// uniform mixing that distance min(epsilon, ||s - u||_1) (computed here, independently), over
// random and adversarial vectors and logits at k = 2 to 1000. Checked by MemGuard's own row
// checker (`releaseViolations`), the one the fuzzer uses.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProtectResult } from '../../src/memguard/memguard.js';
import { Mlp } from '../../src/nn/mlp.js';
import type { PostHocDefense, PostHocResult } from '../../src/posthoc/defense.js';
import { HampOutput } from '../../src/posthoc/hampOutput.js';
import { LabelOnly } from '../../src/posthoc/labelOnly.js';
import { Rounding } from '../../src/posthoc/rounding.js';
import { TemperatureScaling } from '../../src/posthoc/temperature.js';
import { TopK } from '../../src/posthoc/topK.js';
import { UNIFORM_LEAD, UniformMixing } from '../../src/posthoc/uniform.js';
import { Random } from '../../src/random.js';
import { firstArgmax, releaseViolations } from '../memguard/invariants.js';
import { adversarialVectors, KINDS, randomLogits, WIDTHS } from './vectors.js';

/** A post-hoc result in the shape `releaseViolations` reads: every changed row is "noise released". */
export function asProtectResult(res: PostHocResult, k: number): ProtectResult<Float32Array> {
  const rows = res.distortion.length;
  const changed = Uint8Array.from(res.distortion, (d) => (d > 0 ? 1 : 0));
  return {
    released: res.released, noisy: res.released, scores: res.scores, noiseL1: res.distortion,
    mixProbability: Float64Array.from(changed), weight: Float64Array.from(changed), noiseReleased: changed,
    steps: new Int32Array(rows), ticks: new Int32Array(rows), status: new Int32Array(rows) as ProtectResult<Float32Array>['status'],
    g: new Float32Array(rows), gNoisy: new Float32Array(rows), repair: new Int32Array(rows),
  } as ProtectResult<Float32Array>;
  void k;
}

/** Every design §5 violation of `res` (epsilon: the per-row distortion bound, Infinity if none). */
function violations(res: PostHocResult, k: number, epsilon: number, caller?: Float32Array): string[] {
  const view = asProtectResult(res, k), out: string[] = [];
  for (let r = 0; r < res.distortion.length && out.length < 5; r++) {
    for (const v of releaseViolations(view, k, epsilon, r, caller)) out.push(`row ${r}: ${v}`);
  }
  return out;
}

/** The rivals under test at width k (HAMP with an untrained model of 6 binary inputs). */
function rivals(k: number): Array<{ defense: PostHocDefense; bound: number }> {
  return [
    ...[0, 0.05, 0.3, 1, 2, Infinity].map((epsilon) => ({ defense: new UniformMixing({ k, epsilon }), bound: epsilon })),
    ...[0, 0.1, 0.5, 1.5].map((epsilon) => ({ defense: new TemperatureScaling({ k, epsilon }), bound: Infinity })),
    ...[0.5, 3, 1e5].map((temperature) => ({ defense: new TemperatureScaling({ k, temperature }), bound: Infinity })),
    ...[1, 2, 3].map((decimals) => ({ defense: new Rounding({ k, decimals }), bound: Infinity })),
    ...[1, 3, k].map((top) => ({ defense: new TopK({ k, top }), bound: Infinity })),
    { defense: new LabelOnly({ k }), bound: Infinity },
    { defense: new HampOutput({ model: Mlp.create([6, 16, k], { seed: k }), seed: k }), bound: Infinity },
  ];
}

const props = suite('post-hoc rivals: design §5 on every row');

props('every rival keeps the label and releases a valid vector: 9 kinds x k = 2..1000, probabilities', () => {
  const rng = new Random(1515);
  let rows = 0;
  for (const k of WIDTHS) {
    const n = k >= 1000 ? 20 : 120;
    const sets = KINDS.map((kind) => ({ kind, s: adversarialVectors(kind, n, k, rng) }));
    for (const { defense, bound } of rivals(k)) {
      for (const { kind, s } of sets) {
        const res = defense.protect(s);
        assert.equal(violations(res, k, bound, s), [], `${defense.name} ${describe(defense)} k=${k} ${kind}`);
        rows += res.distortion.length;
      }
    }
  }
  assert.ok(rows > 100_000, `${rows} rows checked`);
});

props('every rival keeps the label and releases a valid vector on logits (huge, tied, dominant)', () => {
  const rng = new Random(1516);
  for (const k of WIDTHS) {
    const z = randomLogits(k >= 1000 ? 40 : 200, k, rng);
    for (const { defense, bound } of rivals(k)) {
      const res = defense.protect(z, { input: 'logits' });
      assert.equal(violations(res, k, bound), [], `${defense.name} ${describe(defense)} k=${k} logits`);
    }
  }
});

props('uniform mixing: each row moves min(epsilon, ||s - u||_1) toward u, unless the label lead caps it', () => {
  const rng = new Random(1517);
  let exact = 0, capped = 0;
  for (const k of WIDTHS) {
    for (const kind of KINDS) {
      const s = adversarialVectors(kind, k >= 1000 ? 20 : 120, k, rng);
      for (const epsilon of [0, 0.05, 0.3, 1, 2, Infinity]) {
        const res = new UniformMixing({ k, epsilon }).protect(s);
        for (let r = 0; r < res.distortion.length; r++) {
          const o = r * k;
          let distance = 0;
          for (let j = 0; j < k; j++) distance += Math.abs(s[o + j]! - 1 / k);
          const want = Math.min(epsilon, distance), got = res.distortion[r]!;
          if (Math.abs(got - want) <= 1e-5) { exact++; continue; }
          // Capped: less than the budget, only where the uncapped release would cut the label's
          // lead over the entries below it under the promise (UNIFORM_LEAD, or half the lead it had),
          // and then the label keeps at least that lead (more where float32 rounding tied it and
          // the design §5 repair lifted it by its own margin).
          const label = firstArgmax(s, o, k);
          let below = -Infinity, belowAfter = -Infinity;
          for (let j = 0; j < k; j++) {
            if (s[o + j]! < s[o + label]! && s[o + j]! > below) below = s[o + j]!;
            if (s[o + j]! < s[o + label]!) belowAfter = Math.max(belowAfter, res.released[o + j]!);
          }
          const gap = s[o + label]! - below, promised = Math.min(UNIFORM_LEAD, gap / 2);
          const uncappedLead = (1 - want / distance) * gap, lead = res.released[o + label]! - belowAfter;
          // A promised lead below float32's resolution at the label's value may round to a tie; the
          // label is still the first argmax (the design §5 test above checks that on every row).
          const ulp = 2 ** -23 * res.released[o + label]!, resolvable = promised > ulp;
          assert.ok(got < want && uncappedLead < promised && (lead >= promised - 4 * ulp || !resolvable),
            `k=${k} ${kind} eps=${epsilon} row ${r}: distortion ${got}, want ${want}; lead ${lead} vs ${promised} (uncapped ${uncappedLead})`);
          capped++;
        }
      }
    }
  }
  assert.ok(exact > 10_000 && capped > 100, `${exact} rows exact, ${capped} capped (both cases must be exercised)`);
});

props('uniform mixing releases (1 - t) s + t u with one t per row', () => {
  const k = 10, s = adversarialVectors('peaked', 200, k, new Random(1518));
  const res = new UniformMixing({ k, epsilon: 0.4 }).protect(s);
  for (let r = 0; r < 200; r++) {
    const o = r * k, label = firstArgmax(s, o, k);
    const t = (res.released[o + label]! - s[o + label]!) / (1 / k - s[o + label]!);
    for (let j = 0; j < k; j++) {
      const want = (1 - t) * s[o + j]! + t / k;
      assert.ok(Math.abs(res.released[o + j]! - want) < 2e-7, `row ${r} class ${j}: ${res.released[o + j]} vs ${want}`);
    }
  }
});

function describe(d: PostHocDefense): string {
  const o = d as unknown as Record<string, unknown>;
  return ['epsilon', 'temperature', 'decimals', 'top'].filter((key) => o[key] !== undefined).map((key) => `${key}=${o[key]}`).join(' ');
}

props.run();
