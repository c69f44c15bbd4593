import { MemGuardInputError, MemGuardWasmError } from '../errors.js';
import type { Abi, Ptr } from './abi.js';
import { relaxedWasm, scalarWasm, simdWasm } from './binary.generated.js';
import { Heap } from './heap.js';

/**
 * Which build to run. `relaxed` adds relaxed SIMD (`f32x4.relaxed_madd`: fused multiply-add where
 * the engine fuses), `simd` uses WebAssembly SIMD with separate multiply and add, `scalar` neither.
 * `auto` picks the fastest the runtime validates: relaxed, else simd, else scalar.
 *
 * @example
 * const engine = loadEngine({ build: 'simd' }); // bit-reproducible across runtimes
 * console.log(engine.build); // 'simd'
 */
export type Build = 'auto' | 'relaxed' | 'simd' | 'scalar';

/**
 * The build an engine actually runs (`auto` resolved).
 *
 * @example
 * const build: ResolvedBuild = loadEngine().build;
 * console.log(build); // 'relaxed' on Node 22+, Deno, Bun, Chromium; 'simd' on Node 20
 */
export type ResolvedBuild = Exclude<Build, 'auto'>;

/**
 * What `loadEngine` / `initEngine` load.
 *
 * @example
 * const options: EngineOptions = { build: 'scalar' };
 * const engine = loadEngine(options);
 */
export interface EngineOptions {
  build?: Build;
}

// The smallest module using a v128 instruction (as in wasm-feature-detect): validates iff SIMD works.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// The same with f32x4.relaxed_madd (0xfd 0x105) over three i32x4.splat(0): validates iff relaxed
// SIMD works (Node 22+, Deno 2, Bun 1.2+, Chromium 114+; not Node 20).
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 17, 65, 0, 253, 17, 65, 0, 253, 17, 253, 133, 2, 11,
]);

/**
 * True when this runtime validates WebAssembly SIMD (v128).
 *
 * @example
 * console.log(simdSupported()); // true in Node 20+, Deno, Bun and current browsers
 */
export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/**
 * True when this runtime validates relaxed SIMD (f32x4.relaxed_madd), so the relaxed build runs.
 *
 * @example
 * console.log(relaxedSimdSupported()); // true in Node 22+, Deno, Bun and Chromium; false in Node 20
 */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/**
 * The build `build` means on this runtime; throws when an explicit build is not supported.
 *
 * @example
 * console.log(resolveBuild('auto')); // 'relaxed', 'simd' or 'scalar', whichever loadEngine() loads
 */
export function resolveBuild(build: Build): ResolvedBuild {
  if (build === 'auto') return relaxedSimdSupported() ? 'relaxed' : simdSupported() ? 'simd' : 'scalar';
  if (build === 'relaxed' && !relaxedSimdSupported()) {
    throw new MemGuardWasmError('build "relaxed" requested but this runtime does not support WebAssembly relaxed SIMD');
  }
  if (build === 'simd' && !simdSupported()) {
    throw new MemGuardWasmError('build "simd" requested but this runtime does not support WebAssembly SIMD');
  }
  if (build !== 'relaxed' && build !== 'simd' && build !== 'scalar') {
    throw new MemGuardInputError(`unknown build ${JSON.stringify(build)}: expected "auto", "relaxed", "simd" or "scalar"`);
  }
  return build;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const BINARIES: Record<ResolvedBuild, string> = { relaxed: relaxedWasm, simd: simdWasm, scalar: scalarWasm };

/**
 * One instance of the WebAssembly module with its heap. Typed-array views over its memory are
 * re-created whenever the memory has grown (growth detaches the old buffer), so always read them
 * through `f32`/`i32` right before use and never keep them across an `alloc`.
 *
 * @example
 * const engine = await initEngine();
 * const ptr = engine.alloc(4);          // room for 4 float32 in WebAssembly memory
 * engine.writeF32(ptr, [1, 2, 3, 4]);
 * console.log(engine.readF32(ptr, 4));  // Float32Array [1, 2, 3, 4]
 * engine.release(ptr);
 */
export class Engine {
  /** The module's raw exports (assembly/index.ts): for the library's own orchestration code. @internal */
  readonly abi: Abi;
  /** The allocator behind `alloc`/`release`. @internal */
  readonly heap: Heap;
  private f32View: Float32Array;
  private i32View: Int32Array;

  /** Use `loadEngine` / `initEngine`; this wires an already instantiated module. */
  constructor(instance: WebAssembly.Instance, readonly build: ResolvedBuild, abortBox: { memory?: WebAssembly.Memory }) {
    this.abi = instance.exports as unknown as Abi;
    abortBox.memory = this.abi.memory;
    if ((this.abi.simdBuild() === 1) !== (build !== 'scalar') || (this.abi.relaxedBuild() === 1) !== (build === 'relaxed')) {
      throw new MemGuardWasmError(`loaded module does not match the ${build} build`);
    }
    this.heap = new Heap(this.abi.memory, this.abi.heapBase());
    this.f32View = new Float32Array(this.abi.memory.buffer);
    this.i32View = new Int32Array(this.abi.memory.buffer);
  }

  /** True on the simd and relaxed builds (both use v128). */
  get simd(): boolean {
    return this.build !== 'scalar';
  }

  /** Float32 view of the whole memory, fresh if the memory grew. */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.abi.memory.buffer) this.f32View = new Float32Array(this.abi.memory.buffer);
    return this.f32View;
  }

  /** Int32 view of the whole memory, fresh if the memory grew. */
  get i32(): Int32Array {
    if (this.i32View.buffer !== this.abi.memory.buffer) this.i32View = new Int32Array(this.abi.memory.buffer);
    return this.i32View;
  }

  /** Allocates room for `count` 4-byte elements (float32 or int32); returns the byte offset. */
  alloc(count: number): Ptr {
    return this.heap.alloc(count * 4);
  }

  /** Returns the block at `ptr` (from `alloc`) to the heap. */
  release(ptr: Ptr): void {
    this.heap.release(ptr);
  }

  /** Copies `data` into memory at `ptr` as float32. */
  writeF32(ptr: Ptr, data: ArrayLike<number>): void {
    this.f32.set(data, ptr >>> 2);
  }

  /** Copies `count` float32 values at `ptr` out of memory. */
  readF32(ptr: Ptr, count: number): Float32Array {
    return this.f32.slice(ptr >>> 2, (ptr >>> 2) + count);
  }

  /**
   * Allocates one block per element count, runs `fn` with their pointers, and releases them even if
   * `fn` throws, so a failed call never leaks or leaves the heap inconsistent.
   */
  withScratch<T>(counts: number[], fn: (...ptrs: Ptr[]) => T): T {
    const ptrs: Ptr[] = [];
    try {
      for (const c of counts) ptrs.push(this.alloc(c));
      return fn(...ptrs);
    } finally {
      for (const p of ptrs) this.release(p);
    }
  }
}

// AssemblyScript strings: UTF-16LE, byte length stored in the 4 bytes before the pointer.
function readAsString(memory: WebAssembly.Memory | undefined, ptr: number): string {
  if (!memory || !ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

function imports(box: { memory?: WebAssembly.Memory }): WebAssembly.Imports {
  return {
    env: {
      abort(msg: number, file: number, line: number, col: number): never {
        const where = `${readAsString(box.memory, file)}:${line}:${col}`;
        throw new MemGuardWasmError(`${readAsString(box.memory, msg) || 'abort'} (at ${where})`);
      },
    },
  };
}

/**
 * Instantiates the module synchronously (Node, Deno, Bun, workers; browsers' main thread may refuse).
 *
 * @example
 * const engine = loadEngine();            // SIMD when supported, else the scalar build
 * const m = Mlp.create([4, 2], { engine });
 */
export function loadEngine(options: EngineOptions = {}): Engine {
  const build = resolveBuild(options.build ?? 'auto');
  const box: { memory?: WebAssembly.Memory } = {};
  const instance = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(BINARIES[build])), imports(box));
  return new Engine(instance, build, box);
}

/**
 * Instantiates the module asynchronously: the way to load it on a browser's main thread.
 *
 * @example
 * setDefaultEngine(await initEngine());   // once, e.g. at the start of a browser page
 * const m = Mlp.create([4, 2]);           // runs on that engine
 */
export async function initEngine(options: EngineOptions = {}): Promise<Engine> {
  const build = resolveBuild(options.build ?? 'auto');
  const box: { memory?: WebAssembly.Memory } = {};
  const { instance } = await WebAssembly.instantiate(decodeBase64(BINARIES[build]), imports(box));
  return new Engine(instance, build, box);
}

let shared: Engine | undefined;

/**
 * The engine used when none is passed explicitly: loaded on first use, the `auto` build.
 *
 * @example
 * const engine = defaultEngine();         // loads on first use
 * console.log(engine === Mlp.create([2, 1]).engine); // true
 */
export function defaultEngine(): Engine {
  return (shared ??= loadEngine());
}

/**
 * Makes `engine` the default (e.g. after `initEngine` in a browser).
 *
 * @example
 * setDefaultEngine(await initEngine({ build: 'scalar' }));
 * console.log(defaultEngine().simd); // false
 */
export function setDefaultEngine(engine: Engine): void {
  shared = engine;
}
