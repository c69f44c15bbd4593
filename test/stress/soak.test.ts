// A smoke run of the soak (stress/soak.ts; `npm run soak -- --queries 1000000` is the long run):
// thousands of queries through one engine and through the worker pool, the WebAssembly memory
// constant and no allocated block left behind after warm-up.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runSoak, soakVerdict, type SoakSample } from '../../stress/soak.js';

const t = suite('soak (smoke)');

t('3,000 queries per path: WebAssembly memory constant after warm-up, nothing leaked', async () => {
  const samples = await runSoak({ queries: 3000, batch: 250, workers: 2, samples: 6, paperShape: false });
  for (const path of ['engine', 'pool'] as const) {
    const mine = samples.filter((s) => s.path === path);
    assert.is(mine.length, 6, path);
    assert.is(mine.at(-1)!.queries, 3000);
    const v = soakVerdict(mine);
    assert.not.ok(v.wasmGrew, `${path}: WebAssembly memory grew: ${mine.map((s) => s.wasmBytes.join('/')).join(' ')}`);
    assert.not.ok(v.wasmLeaked, `${path}: allocated bytes grew: ${mine.map((s) => s.wasmInUse.join('/')).join(' ')}`);
    assert.is(mine[0]!.wasmBytes.length, path === 'pool' ? 2 : 1, 'one memory per engine');
  }
});

t('the verdict notices growth and leaks', () => {
  const s = (wasm: number, inUse: number): SoakSample => ({
    path: 'engine', queries: 0, queriesPerSecond: 1, wasmBytes: [wasm], wasmInUse: [inUse], jsHeapUsed: 1, workerHeapUsed: [], rss: 1,
  });
  assert.ok(soakVerdict([s(1, 0), s(1, 0), s(1, 0), s(2, 0)]).wasmGrew);
  assert.ok(soakVerdict([s(1, 0), s(1, 0), s(1, 0), s(1, 64)]).wasmLeaked);
  const steady = soakVerdict([s(5, 9), s(1, 0), s(1, 0), s(1, 0)]);
  assert.not.ok(steady.wasmGrew || steady.wasmLeaked, 'growth during warm-up is allowed');
});

t.run();
