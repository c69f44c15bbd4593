// `memguard export`: converts a model file between memguard's JSON and ONNX, so that a model memguard
// trained can be served by ONNX Runtime (or anything else that loads ONNX), and an ONNX MLP can be
// kept in memguard's own readable format.
import { writeFileAtomic } from '../../data/files.js';
import { serializeModel } from '../../nn/modelFile.js';
import { toOnnx } from '../../onnx/export.js';
import { existingFile, optional, parseFlags, usage, type Command } from '../args.js';
import { ensureParentDir } from '../io.js';
import { readModelFile } from '../modelFiles.js';

const NAME = 'export';

const HELP = `Usage: memguard export MODEL --onnx OUT.onnx [--logits] [--input-name NAME] [--output-name NAME]
       memguard export MODEL --json OUT.json

Converts a model file: MODEL is memguard's JSON model file (e.g. from memguard train-defense or
memguard demo's models/) or an ONNX model of an MLP (told apart by content).

  --onnx FILE            write an ONNX model (opset 13, float32 Gemm layers) whose output equals
                         memguard's predict: probabilities for a softmax or sigmoid head
  --json FILE            write memguard's JSON model file
  --logits               (with --onnx) the graph returns the last layer's logits, not the head
  --input-name NAME      (with --onnx) the graph input's name (default: input)
  --output-name NAME     (with --onnx) the graph output's name (default: output)
  -h, --help             this help

Example:
  memguard export models/target.json --onnx target.onnx
`;

const OPTIONS = {
  onnx: { type: 'string' },
  json: { type: 'string' },
  logits: { type: 'boolean' },
  'input-name': { type: 'string' },
  'output-name': { type: 'string' },
} as const;

export const exportModel: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const [modelPath, ...rest] = argv;
    if (modelPath === undefined || modelPath.startsWith('-')) throw usage(NAME, 'give the model file first: memguard export MODEL --onnx OUT.onnx');
    const v = parseFlags(NAME, rest, OPTIONS);
    const onnxPath = optional(v, 'onnx'), jsonPath = optional(v, 'json');
    if ((onnxPath === undefined) === (jsonPath === undefined)) throw usage(NAME, 'give exactly one of --onnx FILE and --json FILE');
    if (jsonPath !== undefined && (v.logits === true || v['input-name'] !== undefined || v['output-name'] !== undefined)) {
      throw usage(NAME, '--logits, --input-name and --output-name apply to --onnx only');
    }
    const mlp = readModelFile(existingFile('model', modelPath), modelPath);
    try {
      const outPath = (onnxPath ?? jsonPath)!;
      ensureParentDir(outPath);
      writeFileAtomic(outPath, onnxPath !== undefined
        ? toOnnx(mlp, { head: v.logits !== true, inputName: optional(v, 'input-name'), outputName: optional(v, 'output-name') })
        : serializeModel(mlp));
      const shape = [mlp.inputSize, ...mlp.layers.map((l) => l.out)].join(' -> ');
      ctx.out(`wrote ${outPath}: ${onnxPath !== undefined ? 'ONNX' : 'memguard JSON'} model ${shape} (${mlp.head} head${v.logits === true ? ', graph returns logits' : ''})\n`);
    } finally {
      mlp.dispose();
    }
    return 0;
  },
};
