// The one export surface of the WebAssembly module (the ABI). Every pointer is a byte offset into
// the module's memory, owned by the JavaScript-side heap (src/wasm/heap.ts); dims are element counts;
// outputs come last. src/wasm/abi.ts mirrors this file 1:1. No export allocates.

/** Start of free memory after static data; read once by the loader to seed its heap. */
export function heapBase(): usize { return __heap_base; }

/** 1 when this build was compiled with SIMD; the loader checks it matches the build it chose. */
export function simdBuild(): i32 { return ASC_FEATURE_SIMD ? 1 : 0; }

/** 1 when this build was compiled with relaxed SIMD (relaxed_madd); checked by the loader likewise. */
export function relaxedBuild(): i32 { return ASC_FEATURE_RELAXED_SIMD ? 1 : 0; }

// blas: called per layer and per batch by the MLP and by the benchmarks.
export { gemm } from './blas/gemm';
export { broadcastRow, columnSum, gatherRows, gatherInts } from './blas/vector';

// nn: activations and losses (per batch from Mlp.fit and tests), optimizers (once per batch over all
// parameters), mlp forward/backward (per batch from Mlp and inside the defense's search).
export {
  reluForward, reluBackward, sigmoidForward, sigmoidBackward, softmaxForward, softmaxBackward,
} from './nn/activations';
export { softmaxCrossEntropy, sigmoidBinaryCrossEntropy, softmaxCrossEntropySoft, entropyPenalty } from './nn/losses';
export { sgdStep, adamStep } from './nn/optimizers';
export { mlpForward, mlpBackward, applyHead } from './nn/mlp';
// nn training options (per batch from Mlp.fit / Trainer): weight decay, dropout masks, DP-SGD's
// clipped per-example gradient sum and its seeded Gaussian noise.
export { weightDecay, dropoutMasks } from './nn/regularizers';
export { mlpClippedGradients } from './nn/privacy';
export { addGaussianNoise } from './nn/random';

// memguard: simplex projections and release repair (per row, from the projected optimizer, Phase II
// release and the tests).
export { argmaxFirst, simplexProject, simplexProjectLabelMax, isValidRelease, repairRelease } from './memguard/simplex';

// memguard: Phase I, the batched noise search (one call per batch of queries from MemGuard.protect).
export { phase1, phase1WorkspaceBytes } from './memguard/phase1';
export { releaseCandidates } from './memguard/release';
