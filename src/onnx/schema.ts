// The ONNX messages memguard reads and writes, as a protobuf descriptor built at load time for
// @bufbuild/protobuf (which parses and writes by reflection, with no eval: it runs under a strict
// browser CSP). Field names and numbers are those of onnx/onnx.proto (proto2). Only the fields an
// MLP graph uses are described in full; a message-valued field memguard never interprets (a
// subgraph, a sparse tensor, a function, a non-tensor type) is described as `bytes`, which has the
// same wire form, so it is carried along without being parsed and its presence can be refused.
import { create, createFileRegistry, type DescMessage } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type, FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';

type FieldSpec = [name: string, number: number, type: Type | string, repeated?: 'repeated' | 'packed'];

const I64 = Type.INT64, I32 = Type.INT32, STR = Type.STRING, BYTES = Type.BYTES, F32 = Type.FLOAT, F64 = Type.DOUBLE;

// Enum-typed fields (AttributeProto.type, TensorProto.data_location) are read as int32: same wire form.
const MESSAGES: Record<string, FieldSpec[]> = {
  ModelProto: [
    ['ir_version', 1, I64], ['opset_import', 8, 'OperatorSetIdProto', 'repeated'], ['producer_name', 2, STR],
    ['producer_version', 3, STR], ['domain', 4, STR], ['model_version', 5, I64], ['doc_string', 6, STR],
    ['graph', 7, 'GraphProto'], ['metadata_props', 14, 'StringStringEntryProto', 'repeated'],
    ['training_info', 20, BYTES, 'repeated'], ['functions', 25, BYTES, 'repeated'],
  ],
  OperatorSetIdProto: [['domain', 1, STR], ['version', 2, I64]],
  StringStringEntryProto: [['key', 1, STR], ['value', 2, STR]],
  GraphProto: [
    ['node', 1, 'NodeProto', 'repeated'], ['name', 2, STR], ['initializer', 5, 'TensorProto', 'repeated'],
    ['sparse_initializer', 15, BYTES, 'repeated'], ['doc_string', 10, STR], ['input', 11, 'ValueInfoProto', 'repeated'],
    ['output', 12, 'ValueInfoProto', 'repeated'], ['value_info', 13, 'ValueInfoProto', 'repeated'],
  ],
  NodeProto: [
    ['input', 1, STR, 'repeated'], ['output', 2, STR, 'repeated'], ['name', 3, STR], ['op_type', 4, STR],
    ['domain', 7, STR], ['attribute', 5, 'AttributeProto', 'repeated'], ['doc_string', 6, STR],
  ],
  AttributeProto: [
    ['name', 1, STR], ['ref_attr_name', 21, STR], ['doc_string', 13, STR], ['type', 20, I32], ['f', 2, F32], ['i', 3, I64],
    ['s', 4, BYTES], ['t', 5, 'TensorProto'], ['g', 6, BYTES], ['sparse_tensor', 22, BYTES], ['tp', 14, BYTES],
    ['floats', 7, F32, 'repeated'], ['ints', 8, I64, 'repeated'], ['strings', 9, BYTES, 'repeated'],
    ['tensors', 10, BYTES, 'repeated'], ['graphs', 11, BYTES, 'repeated'], ['sparse_tensors', 23, BYTES, 'repeated'],
    ['type_protos', 15, BYTES, 'repeated'],
  ],
  ValueInfoProto: [['name', 1, STR], ['type', 2, 'TypeProto'], ['doc_string', 3, STR]],
  TypeProto: [
    ['tensor_type', 1, 'TypeProto.Tensor'], ['sequence_type', 4, BYTES], ['map_type', 5, BYTES],
    ['optional_type', 9, BYTES], ['sparse_tensor_type', 8, BYTES], ['denotation', 6, STR],
  ],
  'TypeProto.Tensor': [['elem_type', 1, I32], ['shape', 2, 'TensorShapeProto']],
  TensorShapeProto: [['dim', 1, 'TensorShapeProto.Dimension', 'repeated']],
  // dim_value and dim_param are a oneof in onnx.proto; two optional fields have the same wire form.
  'TensorShapeProto.Dimension': [['dim_value', 1, I64], ['dim_param', 2, STR], ['denotation', 3, STR]],
  TensorProto: [
    ['dims', 1, I64, 'repeated'], ['data_type', 2, I32], ['segment', 3, BYTES], ['float_data', 4, F32, 'packed'],
    ['int32_data', 5, I32, 'packed'], ['string_data', 6, BYTES, 'repeated'], ['int64_data', 7, I64, 'packed'],
    ['name', 8, STR], ['doc_string', 12, STR], ['raw_data', 9, BYTES],
    ['external_data', 13, 'StringStringEntryProto', 'repeated'], ['data_location', 14, I32],
    ['double_data', 10, F64, 'packed'], ['uint64_data', 11, Type.UINT64, 'packed'],
  ],
};

function descriptorProto() {
  const field = ([name, number, type, repeated]: FieldSpec) => ({
    name, number,
    label: repeated ? Label.REPEATED : Label.OPTIONAL,
    ...(typeof type === 'string' ? { type: Type.MESSAGE, typeName: `.onnx.${type}` } : { type }),
    ...(repeated === 'packed' ? { options: { packed: true } } : {}),
  });
  const top = Object.keys(MESSAGES).filter((n) => !n.includes('.'));
  return create(FileDescriptorProtoSchema, {
    name: 'memguard/onnx-subset.proto', package: 'onnx', syntax: 'proto2',
    messageType: top.map((name) => ({
      name,
      field: MESSAGES[name]!.map(field),
      nestedType: Object.keys(MESSAGES).filter((n) => n.startsWith(`${name}.`))
        .map((n) => ({ name: n.slice(name.length + 1), field: MESSAGES[n]!.map(field) })),
    })),
  });
}

const registry = createFileRegistry(descriptorProto(), () => undefined);

/** The descriptor of onnx.ModelProto (the subset above) for fromBinary / toBinary. */
export const ModelProtoSchema: DescMessage = registry.getMessage('onnx.ModelProto')!;
/** Descriptors of the messages a test or the fuzzer adds to a decoded model (toBinary takes only created messages). */
export const PartSchemas = {
  node: registry.getMessage('onnx.NodeProto')!,
  attribute: registry.getMessage('onnx.AttributeProto')!,
  valueInfo: registry.getMessage('onnx.ValueInfoProto')!,
  tensor: registry.getMessage('onnx.TensorProto')!,
};

/** TensorProto.DataType codes memguard reads or writes. */
export const DataType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType codes memguard reads. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4 } as const;

// The decoded shapes (bufbuild names fields in lowerCamelCase; int64 fields are bigint).
export interface OpsetId { domain: string; version: bigint }
export interface Dimension { dimValue: bigint; dimParam: string }
export interface ValueInfo {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim: Dimension[] } }; sequenceType?: Uint8Array; mapType?: Uint8Array; optionalType?: Uint8Array; sparseTensorType?: Uint8Array };
}
export interface Tensor {
  dims: bigint[]; dataType: number; name: string; rawData: Uint8Array; floatData: number[]; doubleData: number[];
  int32Data: number[]; int64Data: bigint[]; dataLocation: number; externalData: unknown[]; segment?: Uint8Array;
}
export interface Attribute { name: string; refAttrName: string; type: number; f: number; i: bigint; s: Uint8Array; t?: Tensor; ints: bigint[]; floats: number[] }
export interface Node { input: string[]; output: string[]; name: string; opType: string; domain: string; attribute: Attribute[] }
export interface Graph { node: Node[]; name: string; initializer: Tensor[]; sparseInitializer: Uint8Array[]; input: ValueInfo[]; output: ValueInfo[] }
export interface Model { irVersion: bigint; opsetImport: OpsetId[]; producerName: string; graph?: Graph; functions: Uint8Array[]; trainingInfo: Uint8Array[] }
