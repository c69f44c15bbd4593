// The package's entry points: the main entry ('memguard') must load as native ES modules in a
// browser (only relative imports, no CommonJS package, no node:*, no new Function/eval), and
// ndarray stays the interchange type through duck-typed input and a registered output factory.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import ndarray from 'ndarray';
import { ndarrayOf } from '../../src/ndarray.js';
import { MemGuardInputError } from '../../src/errors.js';
import { setNdarrayFactory, type NdarrayFactory } from '../../src/nn/matrix.js';
import { Mlp } from '../../src/nn/mlp.js';
import { allClose, randomArray, throwsTyped } from '../helpers.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

interface GraphProblem { file: string; problem: string }

/**
 * Walks the run-time import graph from `entry` (a src/ file) as tsc emits it: each module is
 * transpiled (type-only imports vanish, as in dist/), then its static and dynamic imports are
 * followed. Reports every non-relative specifier and every `new Function` / `eval(` in the output.
 */
function walkImports(entry: string): { files: string[]; problems: GraphProblem[] } {
  const seen = new Set<string>(), problems: GraphProblem[] = [];
  const queue = [join(SRC, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const name = relative(SRC, file);
    const js = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: true }, fileName: file,
    }).outputText;
    if (/\bnew\s+Function\b|\beval\s*\(/.test(js)) problems.push({ file: name, problem: 'new Function / eval' });
    for (const { fileName: spec } of ts.preProcessFile(js, true, true).importedFiles) {
      if (!spec.startsWith('./') && !spec.startsWith('../')) {
        problems.push({ file: name, problem: `imports '${spec}'` });
        continue;
      }
      const target = join(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) problems.push({ file: name, problem: `imports missing '${spec}'` });
      else queue.push(target);
    }
  }
  return { files: [...seen].map((f) => relative(SRC, f)).sort(), problems };
}

const graph = suite('main entry import graph');

graph('memguard (src/index.ts) imports only relative ES modules: no CommonJS package, no node:*, no eval', () => {
  const { files, problems } = walkImports('index.ts');
  assert.ok(files.length > 10, `walked only ${files.length} modules`);
  assert.ok(files.includes('wasm/binary.generated.ts'), 'the inlined WASM module is part of the graph');
  assert.equal(problems, []);
});

graph('the walker sees what would break a browser: ndarray in memguard/ndarray, node:* in memguard/node', () => {
  const nd = walkImports('ndarray.ts').problems.map((p) => `${p.file}: ${p.problem}`);
  assert.ok(nd.includes("ndarray.ts: imports 'ndarray'"), nd.join('\n'));
  const node = walkImports('node.ts').problems.map((p) => p.problem);
  assert.ok(node.includes("imports 'node:fs'"), node.join('\n'));
  assert.ok(node.includes("imports 'node:worker_threads'"), node.join('\n'));
});

graph('memguard/onnx imports @bufbuild/protobuf and relative modules only, without eval; the main entry never reaches it', () => {
  const { files, problems } = walkImports('onnx/index.ts');
  assert.ok(files.includes('onnx/load.ts') && files.includes('nn/mlp.ts'), files.join(', '));
  assert.equal([...new Set(problems.map((p) => p.problem))].sort(), ["imports '@bufbuild/protobuf'", "imports '@bufbuild/protobuf/wkt'"]);
  assert.ok(!walkImports('index.ts').files.some((f) => f.startsWith('onnx/')), 'the main entry does not load the onnx subpath');
  // The protobuf runtime itself parses by reflection, without eval: the subpath runs under the strict CSP too.
  const esm = join(SRC, '..', 'node_modules', '@bufbuild', 'protobuf', 'dist', 'esm');
  const js = (readdirSync(esm, { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
  assert.ok(js.length > 20, `${js.length} files`);
  assert.equal(js.filter((f) => /\bnew\s+Function\b|\beval\s*\(/.test(readFileSync(join(esm, f), 'utf8'))), []);
});

const nd = suite('ndarray interchange');

nd('duck-typed input: a plain { shape, stride, offset, data } view, strided, is read element by element', () => {
  const m = Mlp.create([3, 4, 2], { seed: 5 });
  const flat = randomArray(12, 3);
  const expected = m.predict(flat);
  // The same 4 x 3 matrix stored column-major after 2 unused slots, in a plain number[].
  const data = new Array<number>(2 + 12).fill(NaN);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 3; c++) data[2 + c * 4 + r] = flat[r * 3 + c]!;
  const view = { shape: [4, 3], stride: [1, 4], offset: 2, data };
  const out = m.predict(view);
  assert.equal([...out.shape], [4, 2]);
  allClose(out.data as Float32Array, expected, 0, 0, 'strided plain view');
  // ndarray's generic arrays ({ get(i) }) as storage.
  const generic = { shape: [4, 3], stride: [3, 1], offset: 0, data: { length: 12, get: (i: number) => flat[i]! } };
  allClose(m.predict(generic).data as Float32Array, expected, 0, 0, 'generic storage');
  m.dispose();
});

nd('without a factory an ndarray input fails before any work, naming the fix; flat input still works', () => {
  const m = Mlp.create([3, 2], { seed: 1 });
  setNdarrayFactory(undefined);
  try {
    throwsTyped(() => m.predict(ndarray(new Float32Array(6), [2, 3])), MemGuardInputError, /predict x: .*memguard\/ndarray.*setNdarrayFactory/);
    assert.instance(m.predict(new Float32Array(6)), Float32Array);
  } finally {
    setNdarrayFactory(ndarrayOf);
  }
  m.dispose();
});

nd('a caller-given factory builds the result from the row-major data and its [rows, cols] shape', () => {
  const m = Mlp.create([3, 2], { seed: 1 });
  const calls: Array<[Float32Array, [number, number]]> = [];
  const factory: NdarrayFactory = (data, shape) => {
    calls.push([data, shape]);
    return { shape, stride: [shape[1], 1], offset: 0, data };
  };
  setNdarrayFactory(factory);
  try {
    const x = randomArray(6, 9);
    const out = m.logits(ndarray(x, [2, 3]));
    assert.is(calls.length, 1);
    assert.equal(calls[0]![1], [2, 2]);
    assert.is(out.data, calls[0]![0]);
    allClose(out.data as Float32Array, m.logits(x), 0, 0, 'factory data');
    throwsTyped(() => setNdarrayFactory('ndarray' as unknown as NdarrayFactory), MemGuardInputError, /expected a function/);
  } finally {
    setNdarrayFactory(ndarrayOf);
  }
  m.dispose();
});

nd('memguard/ndarray registers the ndarray package: results are real ndarrays', () => {
  const m = Mlp.create([3, 2], { seed: 1 });
  const x = randomArray(6, 2);
  const out = m.predict(ndarray(x, [2, 3]));
  assert.is(typeof out.get, 'function');
  assert.is(out.dtype, 'float32');
  assert.equal(out.shape, [2, 2]);
  const flat = m.predict(x);
  assert.is(out.get(1, 1), flat[3]);
  m.dispose();
});

graph.run();
nd.run();
