// The module's exports as TypeScript sees them: mirrors assembly/index.ts 1:1 (same names, same
// order). Pointers are byte offsets into the module memory; `Ptr` documents which numbers are those.

export type Ptr = number;

export interface Abi {
  memory: WebAssembly.Memory;
  heapBase(): Ptr;
  simdBuild(): number;
  relaxedBuild(): number;

  // blas
  gemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: Ptr, lda: number, b: Ptr, ldb: number, beta: number, c: Ptr, ldc: number,
  ): void;

  broadcastRow(rows: number, cols: number, bias: Ptr, y: Ptr): void;
  columnSum(rows: number, cols: number, x: Ptr, out: Ptr): void;
  gatherRows(cols: number, src: Ptr, index: Ptr, count: number, dst: Ptr): void;
  gatherInts(src: Ptr, index: Ptr, count: number, dst: Ptr): void;

  // nn
  reluForward(n: number, x: Ptr, y: Ptr): void;
  reluBackward(n: number, y: Ptr, dy: Ptr, dx: Ptr): void;
  sigmoidForward(n: number, x: Ptr, y: Ptr): void;
  sigmoidBackward(n: number, y: Ptr, dy: Ptr, dx: Ptr): void;
  softmaxForward(rows: number, cols: number, x: Ptr, y: Ptr): void;
  softmaxBackward(rows: number, cols: number, y: Ptr, dy: Ptr, dx: Ptr): void;
  softmaxCrossEntropy(rows: number, cols: number, logits: Ptr, labels: Ptr, dLogits: Ptr): number;
  sigmoidBinaryCrossEntropy(n: number, logits: Ptr, targets: Ptr, dLogits: Ptr): number;
  sgdStep(n: number, w: Ptr, g: Ptr, velocity: Ptr, lr: number, momentum: number): void;
  adamStep(
    n: number, w: Ptr, g: Ptr, m: Ptr, v: Ptr, lr: number, beta1: number, beta2: number, eps: number, step: number,
  ): void;
  mlpForward(desc: Ptr, nLayers: number, batch: number, x: Ptr, acts: Ptr): void;
  mlpBackward(
    desc: Ptr, nLayers: number, batch: number, x: Ptr, acts: Ptr, dLogits: Ptr, dx: Ptr, paramGrads: number, scratch: Ptr,
  ): void;
  applyHead(act: number, rows: number, cols: number, logits: Ptr, y: Ptr): void;
  softmaxCrossEntropySoft(rows: number, cols: number, logits: Ptr, targets: Ptr, dLogits: Ptr): number;
  entropyPenalty(rows: number, cols: number, logits: Ptr, weight: number, dLogits: Ptr): number;
  weightDecay(desc: Ptr, nLayers: number, lambda: number): number;
  dropoutMasks(n: number, rate: number, rng: Ptr, mask: Ptr): void;
  mlpClippedGradients(
    desc: Ptr, nLayers: number, batch: number, x: Ptr, acts: Ptr, dLogits: Ptr,
    lossScale: number, clip: number, deltas: Ptr, norms: Ptr, accumulate: number,
  ): void;
  addGaussianNoise(n: number, x: Ptr, std: number, scale: number, rng: Ptr): void;

  // memguard: simplex
  argmaxFirst(k: number, v: Ptr): number;
  simplexProject(k: number, x: Ptr, scratch: Ptr): void;
  simplexProjectLabelMax(k: number, x: Ptr, label: number, margin: number, scratch: Ptr): void;
  isValidRelease(k: number, v: Ptr, label: number): number;
  repairRelease(k: number, s: Ptr, candidate: Ptr, scratch: Ptr, out: Ptr): number;

  // memguard: Phase I
  phase1(
    desc: Ptr, nLayers: number, batch: number, k: number, s: Ptr, logits: Ptr, options: Ptr, work: Ptr, noise: Ptr, report: Ptr,
  ): void;
  phase1WorkspaceBytes(desc: Ptr, nLayers: number, batch: number, k: number): number;
  releaseCandidates(rows: number, k: number, s: Ptr, noise: Ptr, scratch: Ptr, out: Ptr, codes: Ptr): void;
}
