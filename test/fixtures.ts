// Small real fixtures shared by tests: a target model trained on Location rows and a defense
// classifier trained on its outputs. Built once per process from fixed seeds (a few seconds).
import { loadLocation } from '../src/data/datasets.js';
import { locationSplits, take } from '../src/data/splits.js';
import { Mlp } from '../src/nn/mlp.js';
import { sortRows } from '../src/memguard/defenseClassifier.js';
export { sortRows };

export interface LocationFixture {
  target: Mlp;
  defense: Mlp;
  /** Target confidence vectors (rows x 30) of members and of non-members, 300 each. */
  members: Float32Array;
  nonMembers: Float32Array;
  memberLabels: Int32Array;
  nonMemberLabels: Int32Array;
}

let cached: LocationFixture | undefined;

export function locationFixture(): LocationFixture {
  if (cached) return cached;
  const data = loadLocation();
  const splits = locationSplits(data.shuffle);
  const train = take(data.features, data.labels, splits.targetTrain.subarray(0, 300));
  const test = take(data.features, data.labels, splits.targetTest.subarray(0, 300));
  const target = Mlp.create([446, 128, 30], { seed: 1 });
  target.fit(train.features, train.labels, { epochs: 40, learningRate: 0.05, seed: 1, optimizer: { type: 'sgd', momentum: 0.9 } });
  const members = target.predict(train.features), nonMembers = target.predict(test.features);
  const defense = Mlp.create([30, 64, 32, 1], { head: 'sigmoid', seed: 2 });
  const x = new Float32Array(600 * 30);
  x.set(sortRows(members, 30));
  x.set(sortRows(nonMembers, 30), 300 * 30);
  const y = new Float32Array(600).fill(1, 0, 300);
  defense.fit(x, y, { epochs: 60, learningRate: 0.05, seed: 3, optimizer: { type: 'sgd', momentum: 0.9 } });
  cached = { target, defense, members, nonMembers, memberLabels: train.labels, nonMemberLabels: test.labels };
  return cached;
}
