// The CLI's model files: memguard's JSON (README "Model files") or ONNX, told apart by content when
// read (a JSON model starts with '{'; an ONNX file is binary protobuf) and by extension when written.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { MemGuardFormatError, MemGuardInputError } from '../errors.js';
import { writeFileAtomic } from '../data/files.js';
import { Mlp as MlpClass, type Mlp } from '../nn/mlp.js';
import { loadModel, serializeModel } from '../nn/modelFile.js';
import { loadOnnx, toOnnx } from '../onnx/index.js';
import { ensureParentDir } from './io.js';

/** The two model-file formats. */
export type ModelFormat = 'json' | 'onnx';

/** 'json' when the first non-blank byte is '{' (after an optional UTF-8 BOM), else 'onnx'. */
export function sniffModelFormat(bytes: Uint8Array): ModelFormat {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x7b ? 'json' : 'onnx';
}

/** The format a path is written in: ONNX for `.onnx`, memguard's JSON otherwise. */
export function formatForPath(path: string): ModelFormat {
  return extname(path).toLowerCase() === '.onnx' ? 'onnx' : 'json';
}

/** Loads a model file of either format; format errors name `label` (e.g. "--defense g.onnx"). */
export function readModelFile(path: string, label: string = path): Mlp {
  const bytes = readFileSync(path);
  try {
    if (sniffModelFormat(bytes) === 'onnx') return loadOnnx(bytes);
    return loadModel(new TextDecoder('utf-8').decode(bytes));
  } catch (err) {
    if (err instanceof MemGuardFormatError) {
      const hint = formatForPath(path) === 'onnx' || sniffModelFormat(bytes) === 'json' ? '' : ' (read as ONNX: it does not start with "{")';
      throw new MemGuardFormatError(`${label}: ${err.message}${hint}`);
    }
    throw err;
  }
}

/**
 * Writes a model to `path` atomically: as ONNX when the path ends in `.onnx`, else as JSON by
 * `toJson` (memguard's model file by default; a command whose models may be something other than
 * one Mlp, e.g. a stack of models, passes its own serializer). Only a single Mlp has an ONNX form.
 */
export function writeModelFile<M extends object = Mlp>(path: string, model: M, toJson: (model: M) => string = serializeModel as never): ModelFormat {
  const format = formatForPath(path);
  if (format === 'onnx' && !(model instanceof MlpClass)) {
    throw new MemGuardInputError(`${path}: this model is not a single MLP, so it has no ONNX form; write it as .json`);
  }
  const content = format === 'onnx' ? toOnnx(model as unknown as Mlp) : toJson(model);
  ensureParentDir(path);
  writeFileAtomic(path, content);
  return format;
}
