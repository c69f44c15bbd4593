// The micro-batching queue with a fake Phase I runner: waiting rows are shared evenly by the free
// workers (a wave of 64 one-row requests on 2 workers: two batches of 32, not 64 and an idle
// worker), never above maxBatch, and a batch never mixes probabilities with logits.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyPhase1Batch } from '../../src/memguard/phase1.js';
import type { SearchJob } from '../../src/memguard/memguard.js';
import { MicroBatcher, type Phase1Runner } from '../../src/serve/batcher.js';

const K = 3;
const job = (rows: number, logits = false): SearchJob => ({
  rows, k: K, scores: new Float32Array(rows * K).fill(1 / K), logits: logits ? new Float32Array(rows * K) : undefined, options: new Float64Array(0), batchSize: 512,
});

function fakeRunner(batches: Array<{ rows: number; logits: boolean }>, ms = 20): Phase1Runner {
  return ({ rows, logits }) => {
    batches.push({ rows, logits: logits !== undefined });
    return new Promise((resolve) => setTimeout(() => resolve(emptyPhase1Batch(rows, K)), ms));
  };
}

const t = suite('serve: micro-batcher');

t('a wave of 1-row requests is shared evenly by the free workers', async () => {
  const batches: Array<{ rows: number; logits: boolean }> = [];
  // A long max-wait: the 64th row (a full batch's worth) is what starts them, however slow the machine.
  const b = new MicroBatcher(fakeRunner(batches), { maxBatch: 64, maxWaitMs: 1000, queueRows: 1000, concurrency: 2 });
  await Promise.all(Array.from({ length: 64 }, () => b.submit(job(1))));
  assert.equal(batches.map((x) => x.rows), [32, 32]);
  batches.length = 0;
  await Promise.all(Array.from({ length: 200 }, () => b.submit(job(1))));
  assert.ok(batches.every((x) => x.rows <= 64), 'never above maxBatch');
  assert.is(batches.reduce((n, x) => n + x.rows, 0), 200);
  assert.ok(batches.length <= 8, `${batches.length} batches for 200 rows`);
});

t('one worker takes everything waiting (up to maxBatch); kinds never share a batch', async () => {
  const batches: Array<{ rows: number; logits: boolean }> = [];
  const b = new MicroBatcher(fakeRunner(batches), { maxBatch: 16, maxWaitMs: 5, queueRows: 1000, concurrency: 1 });
  await Promise.all([b.submit(job(3)), b.submit(job(4, true)), b.submit(job(5)), b.submit(job(20))]);
  for (const x of batches) assert.ok(x.rows <= 16);
  assert.equal(batches.map((x) => [x.rows, x.logits]), [[3, false], [4, true], [16, false], [9, false]]);
});

t.run();
