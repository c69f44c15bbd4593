import { MemGuardWasmError } from '../errors.js';
import type { Abi, Ptr } from './abi.js';
import { scalarWasm, simdWasm } from './binary.generated.js';
import { Heap } from './heap.js';

/**
 * Which build to run: `auto` picks SIMD when the runtime supports it.
 *
 * @example
 * const engine = loadEngine({ build: simdSupported() ? 'simd' : 'scalar' });
 * console.log(engine.simd);
 */
export type Build = 'auto' | 'simd' | 'scalar';

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

/**
 * True when this runtime validates WebAssembly SIMD (v128).
 *
 * @example
 * console.log(simdSupported()); // true in Node 20+, Deno, Bun and current browsers
 */
export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function chooseBytes(build: Build): { bytes: Uint8Array<ArrayBuffer>; simd: boolean } {
  const simd = build === 'simd' || (build === 'auto' && simdSupported());
  if (build === 'simd' && !simdSupported()) {
    throw new MemGuardWasmError('build "simd" requested but this runtime does not support WebAssembly SIMD');
  }
  return { bytes: decodeBase64(simd ? simdWasm : scalarWasm), simd };
}

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
  constructor(instance: WebAssembly.Instance, readonly simd: boolean, abortBox: { memory?: WebAssembly.Memory }) {
    this.abi = instance.exports as unknown as Abi;
    abortBox.memory = this.abi.memory;
    if ((this.abi.simdBuild() === 1) !== simd) throw new MemGuardWasmError('loaded build does not match the SIMD choice');
    this.heap = new Heap(this.abi.memory, this.abi.heapBase());
    this.f32View = new Float32Array(this.abi.memory.buffer);
    this.i32View = new Int32Array(this.abi.memory.buffer);
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
  const { bytes, simd } = chooseBytes(options.build ?? 'auto');
  const box: { memory?: WebAssembly.Memory } = {};
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports(box));
  return new Engine(instance, simd, box);
}

/**
 * Instantiates the module asynchronously: the way to load it on a browser's main thread.
 *
 * @example
 * setDefaultEngine(await initEngine());   // once, e.g. at the start of a browser page
 * const m = Mlp.create([4, 2]);           // runs on that engine
 */
export async function initEngine(options: EngineOptions = {}): Promise<Engine> {
  const { bytes, simd } = chooseBytes(options.build ?? 'auto');
  const box: { memory?: WebAssembly.Memory } = {};
  const { instance } = await WebAssembly.instantiate(bytes, imports(box));
  return new Engine(instance, simd, box);
}

let shared: Engine | undefined;

/**
 * The engine used when none is passed explicitly: loaded on first use, SIMD when available.
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
