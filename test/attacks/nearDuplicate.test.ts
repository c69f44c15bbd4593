// The near-duplicate query attack's pieces: the copies, the max/median scoring, the shared-coin
// fraction; and, end to end on a small trained fixture, that keying the coin on the record id makes
// m copies worth no more than one query while exact content keys let the attacker find clean answers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { auc } from '../../src/attacks/metrics.js';
import { nearDuplicateQueries, nearDuplicateScores, sharedCoinFraction } from '../../src/attacks/nearDuplicate.js';
import { runNearDuplicates } from '../../src/experiment/nearDuplicates.js';
import { Mlp } from '../../src/nn/mlp.js';
import { loadLocation } from '../../src/data/datasets.js';
import { locationSplits, take } from '../../src/data/splits.js';
import { locationFixture } from '../fixtures.js';

const t = suite('near-duplicate queries');

t('each copy differs from its record in exactly one feature, distinct within a record', () => {
  const d = 12, records = 3, copies = 5;
  const x = Float32Array.from({ length: records * d }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
  const { queries, flipped } = nearDuplicateQueries(x, d, copies, 4);
  for (let r = 0; r < records; r++) {
    const seen = new Set<number>();
    for (let c = 0; c < copies; c++) {
      const diff: number[] = [];
      for (let j = 0; j < d; j++) if (queries[(r * copies + c) * d + j] !== x[r * d + j]) diff.push(j);
      assert.equal(diff, [flipped[r * copies + c]]);
      seen.add(diff[0]!);
    }
    assert.is(seen.size, copies);
  }
});

t('max and median over the first m copies, accuracy at 0.5 and AUC', () => {
  // An "attack" whose output is sigmoid(10 * (top score - 0.5)): a monotone function of the top score.
  const k = 2;
  const attack = Mlp.create([k, 1], { head: 'sigmoid' });
  attack.setParameters([{ weight: [0, 10], bias: [-5] }]); // sorted ascending: the top score is last
  const top = [[0.9, 0.2, 0.3], [0.4, 0.45, 0.95], [0.3, 0.1, 0.2], [0.6, 0.7, 0.55]]; // 4 records x 3 copies
  const released = Float32Array.from(top.flat().flatMap((v) => [1 - v, v]));
  const isMember = Uint8Array.of(1, 1, 0, 0);
  const got = nearDuplicateScores(attack, released, k, 4, 3, isMember, [1, 3]);
  const sig = (v: number) => 1 / (1 + Math.exp(-(10 * Math.fround(v) - 5)));
  const want = (m: number, agg: 'max' | 'median') => top.map((row) => {
    const s = row.slice(0, m).map((v) => Math.max(v, 1 - v)).sort((a, b) => a - b);
    return sig(agg === 'max' ? s[m - 1]! : s[(m - 1) / 2]!);
  });
  for (const g of got) {
    const w = want(g.m, g.aggregate);
    const acc = w.filter((p, i) => (p >= 0.5 ? 1 : 0) === isMember[i]).length / 4;
    assert.ok(Math.abs(g.accuracy - acc) < 1e-12, `m=${g.m} ${g.aggregate}: accuracy ${g.accuracy} vs ${acc}`);
    assert.ok(Math.abs(g.auc - auc(w, isMember)) < 1e-12, `m=${g.m} ${g.aggregate}: auc`);
  }
  assert.is(got.length, 4);
  assert.is(sharedCoinFraction(Float64Array.of(0.1, 0.1, 0.2, 0.5, 0.5, 0.5), 2, 2), 0.75);
});

t('on Location: the record-id coin shares every coin; exact keys share none; the attack with ids is the single query', () => {
  const f = locationFixture();
  const data = loadLocation();
  const s = locationSplits(data.shuffle);
  const members = take(data.features, data.labels, s.targetTrain.subarray(0, 12)).features;
  const non = take(data.features, data.labels, s.targetTest.subarray(0, 12)).features;
  const attack = Mlp.create([30, 16, 1], { head: 'sigmoid', seed: 8 });
  const res = runNearDuplicates({
    target: f.target, defense: f.defense, attack, members, nonMembers: non, d: data.d,
    config: { records: 12, copies: [1, 4], epsilons: [1], resolution: 0.05 }, method: 'logits', seed: 3,
  });
  const byCoin = Object.fromEntries(res.coins.map((c) => [c.coin, c]));
  assert.is(byCoin['query-id']!.sharedCoin, 1);
  assert.is(byCoin.exact!.sharedCoin, 0);
  assert.ok(byCoin.coarse!.sharedCoin > 0.3, `coarse shared ${byCoin.coarse!.sharedCoin}`);
  assert.ok(res.labelChanged < 0.5 && res.meanL1Shift > 0, `label changed ${res.labelChanged}, shift ${res.meanL1Shift}`);
  assert.is(byCoin.exact!.scores.length, 4);
});

t.run();
