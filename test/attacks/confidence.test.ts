import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { predictedLabels, topConfidence } from '../../src/attacks/confidence.js';

const t = suite('attacks/confidence');

t('predicted labels and top-1 confidence', () => {
  assert.equal(Array.from(predictedLabels([0.1, 0.6, 0.3, 0.5, 0.5, 0], 3)), [1, 0]); // ties: first index
  assert.equal(Array.from(topConfidence([0.1, 0.6, 0.3, 0.5, 0.5, 0], 3)), [0.6, 0.5]);
});

t.run();
