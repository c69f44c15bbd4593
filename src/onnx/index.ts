// memguard/onnx: ONNX import and export of MLPs, and MemGuard in front of an ONNX Runtime session.
// The only subpath that loads @bufbuild/protobuf; the main entry stays dependency-free.
export { loadOnnx, parseOnnx, ONNX_OPSETS } from './load.js';
export type { LoadOnnxOptions } from './load.js';
export { toOnnx, ONNX_EXPORT } from './export.js';
export type { ToOnnxOptions } from './export.js';
export { guardSession } from './session.js';
export type { GuardSessionOptions, GuardedRun, GuardedSession, OnnxSessionLike, OnnxTensorLike } from './session.js';
