// The attacker's side of offline LiRA (src/attacks/lira.ts) in the experiment: N shadow models of the
// target's architecture and training recipe, each trained on a random half of the attacker's data
// pool, queried on the evaluation records (which are outside the pool, so every shadow is an "out"
// model for every one of them: the offline setting), plus a decision threshold calibrated on the
// shadows themselves (shadow 0 plays the target, the others are its references).
import { check } from '../errors.js';
import { bestThreshold } from '../attacks/metrics.js';
import { logitConfidence, liraScores, outDistribution, type LiraAttack } from '../attacks/lira.js';
import { take } from '../data/splits.js';
import { Mlp, type FitJob, type FitOptions } from '../nn/mlp.js';
import { Random } from '../random.js';

/** Labelled feature rows (row-major, `n x d`). */
export interface LabelledRows {
  features: Float32Array;
  labels: Int32Array;
  n: number;
}

export interface LiraShadowOptions {
  /** The attacker's data: each shadow trains on a random half of it. */
  pool: LabelledRows;
  /** The records attacked (not in the pool). */
  evaluation: LabelledRows;
  /** Layer sizes of the shadows (the target's). */
  sizes: number[];
  /** Shadow count (>= 3: the calibration needs shadow 0 plus two references out of each record). */
  count: number;
  /** Training of shadow m, seeded per shadow. */
  fit: (seed: number) => FitOptions;
  seed: number;
  /** Trains the jobs in place (e.g. over worker threads). */
  train: (jobs: FitJob[]) => Promise<unknown>;
}

/** Which pool rows shadow m trains on: exactly half of them (floor(n / 2)), chosen by `rng`. */
export function randomHalf(n: number, rng: Random): Uint8Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const inside = new Uint8Array(n);
  for (let i = 0; i < n >> 1; i++) inside[order[i]!] = 1;
  return inside;
}

/** Trains the shadows and returns the fitted attack for the evaluation records. */
export async function trainLiraAttack(o: LiraShadowOptions): Promise<LiraAttack> {
  check(Number.isInteger(o.count) && o.count >= 3, () => `LiRA: needs at least 3 shadow models, got ${o.count}`);
  const k = o.sizes[o.sizes.length - 1]!;
  const rng = new Random(o.seed);
  const halves = Array.from({ length: o.count }, () => randomHalf(o.pool.n, rng));
  const jobs: FitJob[] = halves.map((half, m) => {
    const rows: number[] = [];
    half.forEach((f, i) => { if (f) rows.push(i); });
    const { features: x, labels: y } = take(o.pool.features, o.pool.labels, rows);
    return { model: Mlp.create(o.sizes, { seed: o.seed + 1 + m }), x, y, options: o.fit(o.seed + 1 + m) };
  });
  await o.train(jobs);
  const phi = (model: Mlp, rows: LabelledRows) => logitConfidence({ vectors: model.predict(rows.features), labels: rows.labels, k });
  const onEval = jobs.map((j) => phi(j.model, o.evaluation));
  const onPool = jobs.map((j) => phi(j.model, o.pool));
  for (const j of jobs) j.model.dispose();

  // Calibration: shadow 0 is the target, its half the members; pool records out of fewer than two
  // of the other shadows cannot be fitted and sit out.
  const others = onPool.slice(1), outOfOthers = halves.slice(1).map((h) => h.map((f) => 1 - f));
  const usable: number[] = [];
  for (let i = 0; i < o.pool.n; i++) if (outOfOthers.reduce((c, f) => c + f[i]!, 0) >= 2) usable.push(i);
  const pick = (a: ArrayLike<number>) => Float64Array.from(usable, (i) => a[i]!);
  const reference = outDistribution(others.map(pick), outOfOthers.map((f) => Uint8Array.from(usable, (i) => f[i]!)));
  const scores = liraScores(pick(onPool[0]!), reference);
  const { threshold } = bestThreshold(scores, Uint8Array.from(usable, (i) => halves[0]![i]!), { objective: 'accuracy' });
  return { reference: outDistribution(onEval), threshold };
}
