// The post-hoc rivals (src/posthoc/) on 2,000 confidence vectors of width 30 (Location's k; random
// peaked rows, as a trained target's are), each against label only, the trivial rule through the
// same machinery (input checks, per-row rule, design §5 check), measured in the same run. HAMP's
// includes its model's forward pass on 2,000 random inputs (a 446-256-30 MLP, Location's width).
import { Mlp } from '../src/nn/mlp.js';
import type { PostHocDefense } from '../src/posthoc/defense.js';
import { HampOutput } from '../src/posthoc/hampOutput.js';
import { LabelOnly } from '../src/posthoc/labelOnly.js';
import { Rounding } from '../src/posthoc/rounding.js';
import { TemperatureScaling } from '../src/posthoc/temperature.js';
import { TopK } from '../src/posthoc/topK.js';
import { UniformMixing } from '../src/posthoc/uniform.js';
import { Random } from '../src/random.js';
import { meanMs, time } from './defense.bench.js';
import { printTable, ratio, type SuiteOptions } from './util.js';

export const description = 'post-hoc rivals: ms per 2,000 vectors (k = 30) and the ratio to label only';

const K = 30, ROWS = 2000;

export async function run(options: SuiteOptions): Promise<void> {
  const rng = new Random(30), scores = new Float32Array(ROWS * K);
  for (let r = 0; r < ROWS; r++) {
    let sum = 0;
    for (let j = 0; j < K; j++) sum += (scores[r * K + j] = Math.exp(rng.uniform(-3, 3) / 0.3));
    for (let j = 0; j < K; j++) scores[r * K + j] = scores[r * K + j]! / sum;
  }
  const rivals: PostHocDefense[] = [
    new LabelOnly({ k: K }), new UniformMixing({ k: K, epsilon: 0.3 }), new TemperatureScaling({ k: K, temperature: 3 }),
    new TemperatureScaling({ k: K, epsilon: 0.3 }), new Rounding({ k: K, decimals: 2 }), new TopK({ k: K, top: 3 }),
    new HampOutput({ model: Mlp.create([446, 256, K], { seed: 1 }), seed: 1 }),
  ];
  const budgetMs = options.quick ? 50 : 1000;
  const rows: string[][] = [];
  let reference = NaN;
  for (const d of rivals) {
    const o = d as unknown as Record<string, number | undefined>;
    const knob = o.epsilon !== undefined ? `epsilon ${o.epsilon}` : o.temperature !== undefined ? `T ${o.temperature}`
      : o.decimals !== undefined ? `${o.decimals} decimals` : o.top !== undefined ? `top ${o.top}` : '';
    const ms = meanMs(await time(d.name, () => d.protect(scores), { budgetMs }));
    if (d.name === 'label-only') reference = ms;
    rows.push([`${d.name}${knob ? ` (${knob})` : ''}`, ms.toFixed(2), ratio(ms, reference)]);
  }
  printTable(['rival', 'ms / 2,000 rows', 'vs label only'], rows);
}
