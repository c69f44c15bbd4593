// The module's exports as TypeScript sees them: mirrors assembly/index.ts 1:1 (same names, same
// order). Pointers are byte offsets into the module memory; `Ptr` documents which numbers are those.

export type Ptr = number;

export interface Abi {
  memory: WebAssembly.Memory;
  heapBase(): Ptr;
  simdBuild(): number;

  // blas
  gemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: Ptr, lda: number, b: Ptr, ldb: number, beta: number, c: Ptr, ldc: number,
  ): void;
}
