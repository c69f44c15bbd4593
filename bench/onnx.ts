// ONNX model files against memguard's JSON (issue 18): load and write times and sizes for the
// design §2 defense classifier (30 -> 256 -> 128 -> 64 -> 1) and the paper's Location target
// (446 -> 1024 -> 512 -> 256 -> 128 -> 30), each figure the median of REPS runs, JSON measured
// in the same run as the reference. Run: node --import tsx bench/onnx.ts
import { Mlp } from '../src/nn/mlp.js';
import { loadModel, serializeModel } from '../src/nn/modelFile.js';
import { loadOnnx, toOnnx } from '../src/onnx/index.js';

const REPS = Number(process.env.REPS ?? 15);

function median(fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(REPS / 2)]!;
}

for (const [name, sizes, head] of [['defense g', [30, 256, 128, 64, 1], 'sigmoid'], ['Location target', [446, 1024, 512, 256, 128, 30], 'softmax']] as const) {
  const m = Mlp.create([...sizes], { head, seed: 1 });
  const json = serializeModel(m), onnx = toOnnx(m);
  const rows = [
    ['write', median(() => serializeModel(m)), median(() => toOnnx(m))],
    ['load', median(() => loadModel(json).dispose()), median(() => loadOnnx(onnx).dispose())],
  ] as const;
  console.log(`${name} (${m.parameterCount.toLocaleString('en')} parameters): JSON ${(json.length / 1024).toFixed(0)} KiB, ONNX ${(onnx.length / 1024).toFixed(0)} KiB`);
  for (const [what, j, o] of rows) console.log(`  ${what}: JSON ${j.toFixed(2)} ms, ONNX ${o.toFixed(2)} ms (ONNX / JSON ${(o / j).toFixed(2)})`);
  m.dispose();
}
