// timingLeakage (design §7): the AUC of a row's cost as a membership score. Under fixed work every row
// costs the same number of passes, so that score carries nothing (AUC exactly 0.5); the default
// search's passes differ from row to row.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { timingLeakage } from '../../src/attacks/timing.js';
import { MemGuard } from '../../src/memguard/memguard.js';
import { loadModel } from '../../src/nn/modelFile.js';

const fixture = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/location-phase1.json.gz', import.meta.url))).toString('utf8')) as
  { logits: number[][]; isMember: number[]; defense: unknown };
const defense = loadModel(fixture.defense);
// 30 members (fixture rows 0..29) and 30 non-members (rows 100..129).
const rows = new Float32Array(60 * 30);
rows.set(Float32Array.from(fixture.logits.slice(0, 30).flat()));
rows.set(Float32Array.from(fixture.logits.slice(100, 130).flat()), 30 * 30);
const flags = [...fixture.isMember.slice(0, 30), ...fixture.isMember.slice(100, 130)];

test('fixed work: every row the same passes, AUC exactly 0.5; wall times measured for every row', () => {
  assert.ok(flags.filter(Boolean).length === 30 && flags.length === 60);
  const guard = new MemGuard({ defenseClassifier: defense, epsilon: 0.5, coin: { mode: 'seed', seed: 1 }, search: { fixedWork: 32 } });
  const leak = timingLeakage(guard, rows, flags, { input: 'logits', repeats: 1 });
  assert.is(leak.ticksAuc, 0.5);
  assert.ok(leak.wallMs.every((t) => Number.isFinite(t) && t >= 0));
  assert.ok(leak.wallTimeAuc >= 0 && leak.wallTimeAuc <= 1);
});

test('default search: passes differ by row (the channel fixed work closes); repeats 0 skips wall time', () => {
  const guard = new MemGuard({ defenseClassifier: defense, epsilon: 0.5, coin: { mode: 'seed', seed: 1 } });
  const leak = timingLeakage(guard, rows, flags, { input: 'logits', repeats: 0 });
  assert.ok(Number.isNaN(leak.wallTimeAuc));
  assert.ok(leak.ticksAuc !== 0.5 && leak.stepsAuc !== 0.5, `steps AUC ${leak.stepsAuc}, passes AUC ${leak.ticksAuc}`);
});

test.run();
