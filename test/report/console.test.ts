import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatConsoleTable } from '../../src/report/console.js';
import { makeResults } from './sampleResults.js';

const t = suite('report/console');

t('formatConsoleTable: one row per attack, one column per ε, per mode', () => {
  const r = makeResults(['nn', 'gap']);
  const text = formatConsoleTable(r);
  const lines = text.split('\n');
  assert.ok(lines.some((l) => l.startsWith('mixing = paper')));
  assert.ok(lines.some((l) => l.startsWith('mixing = exact')));
  const header = lines.find((l) => l.startsWith('attack'))!;
  assert.ok(/eps=0\s+eps=0\.5\s+eps=1$/.test(header), header);
  const gap = lines.find((l) => l.startsWith('gap'))!;
  const paperGap = r.runs.filter((x) => x.mixing === 'paper').map((x) => x.attacks['gap']!.accuracy.toFixed(3));
  assert.equal(gap.trim().split(/\s+/).slice(1), paperGap);
  assert.ok(lines.some((l) => /^label loss\s+0\.000\s+0\.000\s+0\.000$/.test(l)));
});

t.run();
