// The engine on the real task: design §6's target architecture memorises its Location training set.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLocation } from '../../src/data/datasets.js';
import { locationSplits, take } from '../../src/data/splits.js';
import { predictedLabels } from '../../src/attacks/confidence.js';
import { Mlp } from '../../src/nn/mlp.js';

const t = suite('Location target model');

t('446-1024-512-256-128-30 reaches 100% train accuracy on [0, 1000) and generalises above chance', () => {
  const data = loadLocation();
  const splits = locationSplits(data.shuffle);
  const train = take(data.features, data.labels, splits.targetTrain);
  const test = take(data.features, data.labels, splits.targetTest);
  const target = Mlp.create([446, 1024, 512, 256, 128, 30], { seed: 1 });
  // Fewer epochs than the paper's 200 (plain SGD gets there by ~130): momentum 0.9 by epoch ~16.
  const { loss } = target.fit(train.features, train.labels, { epochs: 20, learningRate: 0.01, seed: 1, optimizer: { type: 'sgd', momentum: 0.9 } });
  const acc = (x: Float32Array, y: Int32Array) => {
    const p = predictedLabels(target.predict(x), 30);
    let right = 0;
    for (let i = 0; i < y.length; i++) right += Number(p[i] === y[i]);
    return right / y.length;
  };
  assert.is(acc(train.features, train.labels), 1, `loss went ${loss[0]} -> ${loss[loss.length - 1]}`);
  const testAcc = acc(test.features, test.labels);
  assert.ok(testAcc > 0.4, `test accuracy ${testAcc} (chance is about 0.06)`);
  target.dispose();
});

t.run();
