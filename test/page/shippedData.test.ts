// The demo page ships Phase I candidates made once by scripts/make-page-data.ts and checks in the
// browser that its own Phase I reproduces them bit for bit. Any change to the engine's arithmetic
// (softmax, GEMM, the search) makes that file stale; this catches it in npm test, not only in the
// Chromium run of test:runtimes. The fix is to re-run the script.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuard } from '../../src/memguard/memguard.js';
import { loadModel } from '../../src/nn/modelFile.js';
import { parsePageData } from '../../src/page/data.js';
import { loadEngine } from '../../src/wasm/engine.js';

const t = suite('page: shipped data');

t('the shipped Phase I candidates reproduce bit for bit on the SIMD build (else: node --import tsx scripts/make-page-data.ts)', () => {
  const data = parsePageData(readFileSync(new URL('../../page/data/location-demo.json', import.meta.url), 'utf8'));
  const engine = loadEngine({ build: 'simd' });
  const guard = new MemGuard({ defenseClassifier: loadModel(data.defenseClassifier, engine), epsilon: Infinity, coin: { mode: 'expectation' } });
  const { noiseL1 } = guard.protect(data.logits, { input: 'logits' });
  let stale = 0;
  for (let i = 0; i < data.rows; i++) stale += Number(Math.fround(noiseL1[i]!) !== data.candidateNoiseL1[i]);
  assert.is(stale, 0, `${stale} of ${data.rows} shipped candidates differ from this engine's Phase I`);
});

t.run();
