import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadEngine, relaxedSimdSupported, resolveBuild, simdSupported, type Build } from '../../src/wasm/engine.js';
import { MemGuardInputError, MemGuardWasmError } from '../../src/errors.js';
import { throwsTyped } from '../helpers.js';

const t = suite('engine');

t('every build the runtime validates loads and reports which one it is', () => {
  const scalar = loadEngine({ build: 'scalar' });
  assert.is(scalar.build, 'scalar');
  assert.is(scalar.simd, false);
  assert.is(scalar.abi.simdBuild(), 0);
  assert.is(scalar.abi.relaxedBuild(), 0);
  if (simdSupported()) assert.is(loadEngine({ build: 'simd' }).build, 'simd');
  if (relaxedSimdSupported()) assert.is(loadEngine({ build: 'relaxed' }).build, 'relaxed');
});

t('auto = relaxed > simd > scalar by feature detection; an unsupported or unknown build is a typed error', () => {
  const want = relaxedSimdSupported() ? 'relaxed' : simdSupported() ? 'simd' : 'scalar';
  assert.is(resolveBuild('auto'), want);
  assert.is(loadEngine().build, want);
  assert.is(loadEngine({ build: 'auto' }).build, want);
  // Node 20 validates SIMD but not relaxed SIMD: the relaxed build must be refused, not half-loaded.
  if (!relaxedSimdSupported()) throwsTyped(() => loadEngine({ build: 'relaxed' }), MemGuardWasmError, /relaxed SIMD/);
  throwsTyped(() => loadEngine({ build: 'fast' as Build }), MemGuardInputError, /unknown build "fast"/);
});

t('heap reuses released blocks and coalesces neighbours', () => {
  const e = loadEngine();
  const a = e.alloc(100), b = e.alloc(100), c = e.alloc(100);
  assert.ok(a < b && b < c);
  e.release(a); e.release(b);
  const d = e.alloc(200); // fits only in the coalesced a+b hole
  assert.is(d, a);
  e.release(c); e.release(d);
  assert.is(e.heap.bytesInUse, 0);
  throwsTyped(() => e.release(d), MemGuardInputError, /not an allocated block/);
});

t('memory growth re-creates views instead of leaving them detached', () => {
  const e = loadEngine();
  const p = e.alloc(4);
  e.writeF32(p, [1, 2, 3, 4]);
  const before = e.f32;
  const big = e.alloc(1 << 22); // 16 MiB: forces memory.grow
  assert.is.not(e.f32.buffer, before.buffer);
  assert.is(before.length, 0, 'the old view is detached by growth');
  assert.equal(Array.from(e.readF32(p, 4)), [1, 2, 3, 4]);
  e.release(big); e.release(p);
});

t('withScratch releases its blocks when the callback throws', () => {
  const e = loadEngine();
  const used = e.heap.bytesInUse;
  assert.throws(() => e.withScratch([10, 20], () => { throw new Error('boom'); }), /boom/);
  assert.is(e.heap.bytesInUse, used);
});

t.run();

const abortSuite = suite('engine aborts');

abortSuite('an abort inside the module becomes a MemGuardWasmError with its message and location', async () => {
  const { MemGuardWasmError } = await import('../../src/errors.js');
  for (const build of ['scalar', ...(simdSupported() ? ['simd'] : [])] as const) {
    const e = loadEngine({ build });
    throwsTyped(() => e.abi.mlpForward(0, 0, 1, 0, 0), MemGuardWasmError, /mlpForward: needs at least one layer .*\(at assembly\/nn\/mlp\.ts:\d+:\d+\)/);
    // The instance stays usable after the trap.
    const p = e.alloc(4);
    e.writeF32(p, [1, 2, 3, 4]);
    assert.equal(Array.from(e.readF32(p, 4)), [1, 2, 3, 4]);
  }
});

abortSuite.run();

const asyncSuite = suite('engine async init');

asyncSuite('initEngine instantiates asynchronously and computes like the sync loader', async () => {
  const { initEngine } = await import('../../src/wasm/engine.js');
  const a = await initEngine({ build: 'scalar' }), b = loadEngine({ build: 'scalar' });
  const run = (e: typeof a) => e.withScratch([4, 4, 4], (x, y, z) => {
    e.writeF32(x, [1, 2, 3, 4]); e.writeF32(y, [5, 6, 7, 8]);
    e.abi.gemm(0, 0, 2, 2, 2, 1, x, 2, y, 2, 0, z, 2);
    return Array.from(e.readF32(z, 4));
  });
  assert.equal(run(a), [19, 22, 43, 50]);
  assert.equal(run(b), [19, 22, 43, 50]);
  assert.is(a.simd, false);
});

asyncSuite.run();
