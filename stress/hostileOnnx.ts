// Hostile ONNX files (issue 18): named cases, each refused with one MemGuardFormatError whose message
// says what is wrong, and random mutants (truncated, bytes flipped or inserted, fields rewritten),
// each of which either loads into a working Mlp or is refused with a MemGuardFormatError: never
// another exception, a hang or a crash. A sample goes through `memguard protect --defense x.onnx`,
// which must exit 1 with one line and leave nothing at --out.
//
// Used by stress/hostileFiles.ts (`npm run fuzz -- --files N`) and test/stress/hostileOnnx.test.ts.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { MemGuardFormatError } from '../src/errors.js';
import { Mlp } from '../src/nn/mlp.js';
import { loadOnnx } from '../src/onnx/load.js';
import { toOnnx } from '../src/onnx/export.js';
import { ModelProtoSchema, PartSchemas, type Model, type Node } from '../src/onnx/schema.js';
import { Random } from '../src/random.js';

/** The valid model every case and mutant starts from: 4 -> 5 (relu) -> 3 (tanh) -> 1 (sigmoid). */
export const ONNX_BASE_SIZES = [4, 5, 3, 1]; // 4 inputs: the width of the hostile-files CSV (K)
let baseBytes: Uint8Array | undefined;

export function baseOnnx(): Uint8Array {
  if (!baseBytes) {
    const layers = Mlp.create(ONNX_BASE_SIZES, { head: 'sigmoid', seed: 4 }).parameters();
    layers[1]!.activation = 'tanh';
    const m = Mlp.fromParameters(layers);
    baseBytes = toOnnx(m);
    m.dispose();
  }
  return baseBytes;
}

type Edit = (m: Model & { graph: NonNullable<Model['graph']> }) => void;

function edited(edit: Edit): Uint8Array {
  // A copy: decoded bytes fields are views into the buffer, and edits must not reach the shared base.
  const m = fromBinary(ModelProtoSchema, baseOnnx().slice()) as unknown as Model & { graph: NonNullable<Model['graph']> };
  edit(m);
  return toBinary(ModelProtoSchema, m as never);
}

const node = (fields: Partial<Node>): Node => create(PartSchemas.node, fields as never) as unknown as Node;

/** A hostile file and what its one error must say. */
export interface OnnxCase { name: string; bytes: Uint8Array; message: RegExp }

/** The named hostile files of issue 18: truncated, wrong types, huge dims, unsupported ops, cycles, wrong sizes. */
export function onnxCases(): OnnxCase[] {
  const base = baseOnnx();
  const gemm0 = 'node 0 "layer0.gemm" (Gemm)';
  return [
    { name: 'empty', bytes: new Uint8Array(0), message: /the file is empty/ },
    { name: 'truncated', bytes: base.subarray(0, Math.floor(base.length * 0.6)), message: /not a valid ONNX \(protobuf\) file/ },
    { name: 'not protobuf (JSON text)', bytes: new TextEncoder().encode('{"format":"memguard-mlp"}'), message: /not a valid ONNX \(protobuf\) file|no opset_import/ },
    { name: 'no graph', bytes: edited((m) => { delete (m as Partial<Model>).graph; }), message: /has no graph/ },
    { name: 'opset 99', bytes: edited((m) => { m.opsetImport[0]!.version = 99n; }), message: /opset 99 is not supported/ },
    { name: 'unsupported op', bytes: edited((m) => { m.graph.node[1]!.opType = 'LeakyRelu'; }), message: /node 1 "layer0\.relu" \(LeakyRelu\): operator LeakyRelu is not supported/ },
    { name: 'custom domain', bytes: edited((m) => { m.graph.node[0]!.domain = 'com.example'; }), message: new RegExp(`${escape(gemm0)}: operator domain "com.example"`) },
    { name: 'cycle', bytes: edited((m) => { m.graph.node[0]!.input[0] = m.graph.node[1]!.output[0]!; }), message: /the graph has a cycle through node 0/ },
    { name: 'undefined value', bytes: edited((m) => { m.graph.node[2]!.input[0] = 'nowhere'; }), message: /reads "nowhere", which no node, initializer or input defines/ },
    { name: 'float16 weights', bytes: edited((m) => { m.graph.initializer[0]!.dataType = 10; }), message: /initializer "layer0\.weight" has data type FLOAT16 \(10\)/ },
    { name: 'int64 input', bytes: edited((m) => { m.graph.input[0]!.type!.tensorType!.elemType = 7; }), message: /graph input "input" has element type INT64 \(7\)/ },
    { name: 'wrong initializer size', bytes: edited((m) => { m.graph.initializer[2]!.dims = [5n, 4n]; }), message: /initializer "layer1\.weight" has 60 bytes of data, dims \[5,4\] need 80/ },
    { name: 'huge dims', bytes: edited((m) => { m.graph.initializer[0]!.dims = [1n << 40n, 1n << 40n]; }), message: /initializer "layer0\.weight" has dimension 1099511627776/ },
    { name: 'huge product of dims', bytes: edited((m) => { m.graph.initializer[0]!.dims = [1n << 20n, 1n << 20n]; }), message: /more than 268435456 values/ },
    { name: 'layer widths do not chain', bytes: edited((m) => { m.graph.initializer[2]!.dims = [3n, 5n]; }), message: /node 2 "layer1\.gemm" \(Gemm\): takes 3 features but the rows reaching it have 5/ },
    { name: 'external data', bytes: edited((m) => { m.graph.initializer[0]!.dataLocation = 1; }), message: /stored in an external file/ },
    { name: 'NaN weight', bytes: edited((m) => { new DataView(m.graph.initializer[0]!.rawData.buffer, m.graph.initializer[0]!.rawData.byteOffset).setFloat32(8, NaN, true); }), message: /initializer "layer0\.weight" has a non-finite value at 2/ },
    { name: 'transA', bytes: edited((m) => { m.graph.node[0]!.attribute.push(create(PartSchemas.attribute, { name: 'transA', type: 2, i: 1n } as never) as never); }), message: /transA = 1/ },
    { name: 'two inputs', bytes: edited((m) => { m.graph.input.push(create(PartSchemas.valueInfo, { name: 'extra' } as never) as never); }), message: /must take exactly one input.*"input", "extra"/ },
    { name: 'activation after activation', bytes: edited((m) => { m.graph.node.splice(2, 0, node({ name: 'again', opType: 'Relu', input: ['layer0.relu'], output: ['again'] }) as never); m.graph.node[3]!.input[0] = 'again'; }), message: /node 2 "again" \(Relu\): an activation must follow a Gemm or MatMul/ },
    { name: 'output not at the end', bytes: edited((m) => { m.graph.output[0]!.name = 'layer0.relu'; }), message: /the graph output "layer0\.relu" is not the end of the path/ },
    { name: 'branch off the path', bytes: edited((m) => { m.graph.node.push(node({ name: 'side', opType: 'Relu', input: ['layer0.linear'], output: ['side'] }) as never); }), message: /"side" \(Relu\) is not on the single path/ },
    {
      name: 'dropout in training mode',
      bytes: edited((m) => {
        m.graph.initializer.push(create(PartSchemas.tensor, { name: 'training', dataType: 1, floatData: [1] } as never) as never);
        m.graph.node.splice(2, 0, node({ name: 'drop', opType: 'Dropout', input: ['layer0.relu', '', 'training'], output: ['dropped'] }));
        m.graph.node[3]!.input[0] = 'dropped';
      }),
      message: /node 2 "drop" \(Dropout\): a training_mode input is not supported/,
    },
    { name: 'duplicate initializer', bytes: edited((m) => { m.graph.initializer.push({ ...m.graph.initializer[0]! }); }), message: /initializer "layer0\.weight" is defined twice/ },
  ];
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A random hostile file: byte-level damage or a rewritten field of the base model. */
export function mutateOnnx(rng: Random): { mutation: string; bytes: Uint8Array } {
  const base = baseOnnx();
  const u = rng.next();
  if (u < 0.25) return { mutation: 'onnx truncate', bytes: base.slice(0, rng.int(base.length)) };
  if (u < 0.5) {
    const b = base.slice();
    for (let i = 0, n = 1 + rng.int(4); i < n; i++) b[rng.int(b.length)] = rng.int(256);
    return { mutation: 'onnx flip', bytes: b };
  }
  if (u < 0.6) {
    const at = rng.int(base.length), junk = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
    const b = new Uint8Array(base.length + junk.length);
    b.set(base.subarray(0, at)); b.set(junk, at); b.set(base.subarray(at), at + junk.length);
    return { mutation: 'onnx insert', bytes: b };
  }
  const cases = onnxCases();
  const c = cases[rng.int(cases.length)]!;
  return { mutation: `onnx case ${c.name}`, bytes: c.bytes };
}

/**
 * Loads a mutant: undefined when it loaded into an Mlp whose predictions are finite, or was refused
 * with a MemGuardFormatError; otherwise the violation.
 */
export function checkOnnxMutant(bytes: Uint8Array, mutation: string): { loaded: boolean; violation?: string } {
  let mlp: Mlp;
  try {
    mlp = loadOnnx(bytes);
  } catch (err) {
    if (err instanceof MemGuardFormatError && /^ONNX model: /.test(err.message) && !err.message.includes('\n')) return { loaded: false };
    return { loaded: false, violation: `${mutation}: ${(err as Error)?.name}: ${(err as Error)?.message?.slice(0, 300)}` };
  }
  try {
    const out = mlp.predict(new Float32Array(mlp.inputSize * 2).fill(0.25));
    if (!out.every(Number.isFinite)) return { loaded: true, violation: `${mutation}: loaded, but predicts ${Array.from(out)}` };
    return { loaded: true };
  } finally {
    mlp.dispose();
  }
}
